# Shared by the Go-module builds (tools/local-cluster/build.sh, tools/argo-rollouts/build.sh);
# sourced, not run. The caller sets cache_root and defines log().
# shellcheck shell=bash

# Changing this string invalidates every cached binary (bump it when the
# build flags below change).
recipe="r1"

# Short content hash of a wrapper module plus the recipe.
module_hash() {
  cat "$1/go.mod" "$1/go.sum" | { cat; printf '%s' "$recipe"; } | sha256sum | cut -c1-12
}

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# build_component NAME MODULE_DIR VERSION LDFLAGS PKG=BIN...
# Compiles into a temporary directory and renames it into place, so an
# interrupted build never leaves a half-filled cache entry.
build_component() {
  local name="$1" dir="$2" version="$3" ldflags="$4"
  shift 4
  local dest; dest="$cache_root/$name-$version-$(module_hash "$dir")"
  local missing=0 spec
  for spec in "$@"; do [ -x "$dest/${spec#*=}" ] || missing=1; done
  if [ "$missing" = 0 ]; then
    log "$name $version: cached in $dest"
    built_dir="$dest"
    return 0
  fi

  # Two concurrent builds (say, a test run and `pnpm cluster:up`) must not
  # race on the same entry: the second one waits and then finds it built.
  exec {lock_fd}>"$dest.lock"
  if ! flock -n "$lock_fd"; then
    log "$name: another build holds $dest.lock, waiting for it"
    flock "$lock_fd"
  fi
  missing=0
  for spec in "$@"; do [ -x "$dest/${spec#*=}" ] || missing=1; done
  if [ "$missing" = 0 ]; then
    exec {lock_fd}>&-
    built_dir="$dest"
    return 0
  fi

  local pkgs=() out
  for spec in "$@"; do pkgs+=("${spec%%=*}"); done
  out="$dest.tmp.$$"
  rm -rf "$out"; mkdir -p "$out"
  local logf="$dest.build.log"
  : >"$logf"
  local t0=$SECONDS total
  log "$name $version: resolving packages (downloads missing modules from the Go module proxy)"
  if ! total=$(cd "$dir" && go list -deps "${pkgs[@]}" 2>>"$logf" | wc -l) || [ "$total" -eq 0 ]; then
    log "$name: go list failed; last lines of $logf:"
    tail -n 30 "$logf" >&2
    rm -rf "$out"
    exec {lock_fd}>&-
    return 1
  fi
  if [ "$ldflags" = "@k8s" ]; then ldflags=$(k8s_ldflags); fi
  log "$name $version: building ${#pkgs[@]} command(s), up to $total packages to compile, after $(fmt_secs $((SECONDS - t0))) resolving (full log: $logf)"

  local start=$SECONDS rc=0
  # `go build -v` prints each package as it is compiled; count them for a
  # progress line every 200 packages or 30 seconds, whichever comes first.
  # One `go build` for all commands whose binary is named after the package
  # (lets compiling and linking overlap); a separate one for a renamed binary.
  local same=1
  for spec in "$@"; do [ "${spec#*=}" = "$(basename "${spec%%=*}")" ] || same=0; done
  set +e
  (
    cd "$dir"
    if [ "$same" = 1 ]; then
      exec go build -v -trimpath -ldflags "$ldflags" -o "$out/" "${pkgs[@]}"
    fi
    for spec in "$@"; do
      go build -v -trimpath -ldflags "$ldflags" -o "$out/${spec#*=}" "${spec%%=*}" || exit $?
    done
  ) 2>&1 | tee -a "$logf" | {
    n=0 last_t=$SECONDS last_n=0
    while IFS= read -r line; do
      case "$line" in
        *" "*|"") ;;              # compiler messages, not package paths
        *) n=$((n + 1)) ;;
      esac
      if [ $((n - last_n)) -ge 200 ] || [ $((SECONDS - last_t)) -ge 30 ]; then
        log "$name: $n/$total packages compiled, $(fmt_secs $((SECONDS - start))) elapsed"
        last_n=$n last_t=$SECONDS
      fi
    done
  }
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ]; then
    log "$name: go build failed (exit $rc); last lines of $logf:"
    tail -n 30 "$logf" >&2
    rm -rf "$out"
    exec {lock_fd}>&-
    return "$rc"
  fi
  rm -rf "$dest"
  mv "$out" "$dest"
  exec {lock_fd}>&-
  log "$name $version: built in $(fmt_secs $((SECONDS - start))) -> $dest"
  built_dir="$dest"
}

