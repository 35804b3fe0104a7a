#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok) from the pinned Go modules in ./go and caches
# the binaries outside the repository, one directory per component, version
# and go.sum hash. Rebuilds only what is missing.
#
#   bash tools/local-cluster/build.sh      # progress on stderr, bin dir on stdout
#
# The last line of stdout is a directory holding all six binaries (symlinks
# into the per-component cache directories).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=go/versions.env
. "$here/go/versions.env"

cache_root="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/bin"
mkdir -p "$cache_root"

export GOTOOLCHAIN=local CGO_ENABLED=0
# -mod=readonly: the committed go.mod/go.sum must be complete; never edit them here.
export GOFLAGS="-mod=readonly -buildvcs=false"

log() { printf '[cluster:build] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "go is not on PATH; install Go $(sed -n 's/^go //p' "$here/go/k8s/go.mod") or newer"
  exit 1
fi

# shellcheck source=go-build.sh
. "$here/go-build.sh"

# Version stamping: the same variables upstream's hack/lib/version.sh sets.
# gitVersion must equal the module version, the binaries derive their
# emulation version and feature-gate defaults from it. buildDate is the
# release's tag time as the module proxy reports it.
k8s_ldflags() {
  local minor="${KUBERNETES_VERSION#v1.}" date p flags="-s -w"
  minor="${minor%%.*}"
  date=$(cd "$here/go/k8s" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' \
    "k8s.io/kubernetes@$KUBERNETES_VERSION" 2>/dev/null) || date=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    flags+=" -X $p.gitTreeState=clean -X $p.gitCommit=module-proxy"
    flags+=" -X $p.buildDate=${date:-1970-01-01T00:00:00Z}"
  done
  printf '%s' "$flags"
}

total_start=$SECONDS
build_component kubernetes "$here/go/k8s" "$KUBERNETES_VERSION" "@k8s" \
  k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler=kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl=kubectl
k8s_dir="$built_dir"
# The server binary's package is the module root; `go build` would name it "server".
build_component etcd "$here/go/etcd" "$ETCD_VERSION" "-s -w" go.etcd.io/etcd/server/v3=etcd
etcd_dir="$built_dir"
build_component kwok "$here/go/kwok" "$KWOK_VERSION" "-s -w" sigs.k8s.io/kwok/cmd/kwok=kwok
kwok_dir="$built_dir"

# One directory with all binaries, named after the three entries it points to.
set_hash=$(printf '%s\n' "$k8s_dir" "$etcd_dir" "$kwok_dir" | sha256sum | cut -c1-12)
bin_dir="$cache_root/set-$KUBERNETES_VERSION-$set_hash"
if [ ! -d "$bin_dir" ]; then
  tmp="$bin_dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do ln -s "$k8s_dir/$b" "$tmp/$b"; done
  ln -s "$etcd_dir/etcd" "$tmp/etcd"
  ln -s "$kwok_dir/kwok" "$tmp/kwok"
  mv "$tmp" "$bin_dir" 2>/dev/null || rm -rf "$tmp"   # a concurrent run may have won
fi
if [ $((SECONDS - total_start)) -gt 5 ]; then
  log "all components ready after $(fmt_secs $((SECONDS - total_start)))"
fi
echo "$bin_dir"
