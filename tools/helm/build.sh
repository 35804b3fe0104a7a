#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy (no binary downloads here) into the cache, once per
# version; prints the path of the binary. Used to render and install the chart in tests and the demo.
#   bash tools/helm/build.sh            → ~/.cache/sluice/bin/helm-v3.22.0/helm
set -euo pipefail
HELM_VERSION="${SLUICE_HELM_VERSION:-v3.22.0}"
cache="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/bin/helm-${HELM_VERSION}"
if [ -x "$cache/helm" ]; then
  echo "$cache/helm"
  exit 0
fi
mkdir -p "$cache"
echo "[helm] building helm ${HELM_VERSION} from the Go module proxy (a few minutes the first time)..." >&2
start=$SECONDS
GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$cache.tmp" GOFLAGS=-mod=mod \
  go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >&2
mv "$cache.tmp/helm" "$cache/helm"
rmdir "$cache.tmp" 2>/dev/null || true
echo "[helm] built in $((SECONDS - start)) s" >&2
echo "$cache/helm"
