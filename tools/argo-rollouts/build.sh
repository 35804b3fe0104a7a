#!/usr/bin/env bash
# Builds Argo Rollouts' controller and its kubectl plugin from the pinned Go module
# (./go), once per version and go.sum hash, into ~/.cache/sluice/bin. The differential
# suite and `pnpm run bench --compare argo` run these binaries: the reference itself, not a
# re-implementation. About 9 minutes cold on 2 cores; seconds once cached.
#
#   bash tools/argo-rollouts/build.sh     # progress on stderr; the binaries' directory on stdout
#
# The directory holds rollouts-controller and kubectl-argo-rollouts. Argo Rollouts' CRDs are
# read at test time from the same module in the Go module cache (`crds` below prints where).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"
cache_root="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/bin"
mkdir -p "$cache_root"
export GOTOOLCHAIN="$ARGO_ROLLOUTS_GOTOOLCHAIN" CGO_ENABLED=0
export GOFLAGS="-mod=readonly -buildvcs=false"
log() { printf '[argo-rollouts:build] %s\n' "$*" >&2; }
if ! command -v go >/dev/null 2>&1; then
  log "go is not on PATH; install Go 1.26 or newer"
  exit 1
fi
# shellcheck source=../local-cluster/go-build.sh
. "$here/../local-cluster/go-build.sh"

module=github.com/argoproj/argo-rollouts
if [ "${1:-}" = crds ]; then
  # The module's own CRD manifests, from the module cache (downloaded if missing).
  dir=$(cd "$here/go" && go mod download -json "$module@$ARGO_ROLLOUTS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  echo "$dir/manifests/crds"
  exit 0
fi
p="$module/utils/version"
ldflags="-s -w -X $p.version=${ARGO_ROLLOUTS_VERSION#v} -X $p.gitTag=$ARGO_ROLLOUTS_VERSION"
ldflags+=" -X $p.gitCommit=module-proxy -X $p.gitTreeState=clean"
build_component argo-rollouts "$here/go" "$ARGO_ROLLOUTS_VERSION" "$ldflags" \
  "$module/cmd/rollouts-controller=rollouts-controller" \
  "$module/cmd/kubectl-argo-rollouts=kubectl-argo-rollouts"
echo "$built_dir"
