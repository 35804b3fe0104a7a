#!/usr/bin/env bash
# Regenerates the wrapper module that pins Argo Rollouts' sources (the committed go.mod/go.sum).
#   tools/argo-rollouts/go/regen.sh          # uses the version in ../versions.env
# Argo Rollouts' go.mod carries `replace` directives (the Kubernetes staging modules and two
# forks) that only apply in the main module, so a plain `go install` is refused; this wrapper
# repeats every one of them, read from the release's own go.mod, and pins the two commands.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../versions.env
. "$here/../versions.env"
export GOTOOLCHAIN="$ARGO_ROLLOUTS_GOTOOLCHAIN" GOFLAGS=-mod=mod
module=github.com/argoproj/argo-rollouts
cd "$here"
rm -f go.mod go.sum
go mod init sluice.local/argo-rollouts-bins >/dev/null 2>&1
go mod download "$module@$ARGO_ROLLOUTS_VERSION"
upstream="$(go env GOMODCACHE)/cache/download/$module/@v/$ARGO_ROLLOUTS_VERSION.mod"
# Single-line and block forms: `replace a => b v` and, inside `replace ( ... )`, `a => b v`.
sed -n 's#^[[:space:]]*\(replace[[:space:]]\{1,\}\)\{0,1\}\([^[:space:]()]\{1,\}\) => \([^[:space:]]\{1,\}\) \(v[^[:space:]]\{1,\}\)[[:space:]]*$#\2=\3@\4#p' "$upstream" |
  while IFS= read -r r; do go mod edit -replace="$r"; done
go mod edit -go="$(sed -n 's/^go //p' "$upstream")"
go get -tool "$module/cmd/rollouts-controller@$ARGO_ROLLOUTS_VERSION" "$module/cmd/kubectl-argo-rollouts@$ARGO_ROLLOUTS_VERSION"
go mod tidy
got=$(go list -m -f '{{.Version}}' "$module")
if [ "$got" != "$ARGO_ROLLOUTS_VERSION" ]; then
  echo "regen: $module resolved to $got, expected $ARGO_ROLLOUTS_VERSION" >&2; exit 1
fi
echo "argo-rollouts $ARGO_ROLLOUTS_VERSION: $(grep -c '=>' go.mod) replaces"
