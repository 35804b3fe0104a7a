#!/usr/bin/env bash
# Regenerates the wrapper Go modules that pin the control-plane sources.
#   tools/local-cluster/go/regen.sh            # uses the versions in versions.env
# Run it only to bump a version; the generated go.mod/go.sum files are committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

staging_version="v0.${KUBERNETES_VERSION#v1.}"   # v1.36.3 -> v0.36.3

# --- kubernetes: k8s.io/kubernetes requires every staging module at v0.0.0 and
# maps it with a relative replace that is ignored for a dependency, so the
# wrapper replaces each one with its published v0.M.P tag.
cd "$here/k8s"
rm -f go.mod go.sum
go mod init sluice.local/k8s-bins >/dev/null 2>&1
go mod download "k8s.io/kubernetes@$KUBERNETES_VERSION"
upstream="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod"
modules=$( { sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$upstream"
             sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) v0\.0\.0\([[:space:]].*\)\{0,1\}$#\1#p' "$upstream"; } | sort -u )
for m in $modules; do go mod edit -replace="$m=$m@$staging_version"; done
go mod edit -go="$(sed -n 's/^go //p' "$upstream")"
godebug=$(sed -n 's/^godebug default=//p' "$upstream")
if [ -n "$godebug" ]; then go mod edit -godebug=default="$godebug"; fi
# Every package argument carries @version: `go get -tool pkg` without one means
# @upgrade, which silently moves k8s.io/kubernetes to the newest release while
# the staging replaces stay on the old minor (packages then go missing).
tools=""
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  tools="$tools k8s.io/kubernetes/cmd/$c@$KUBERNETES_VERSION"
done
# shellcheck disable=SC2086
go get -tool $tools
go mod tidy
got=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
if [ "$got" != "$KUBERNETES_VERSION" ]; then
  echo "regen: k8s.io/kubernetes resolved to $got, expected $KUBERNETES_VERSION" >&2; exit 1
fi
echo "kubernetes $KUBERNETES_VERSION: $(grep -c '=> k8s.io/' go.mod) staging replaces"

# --- etcd: the server module has relative replaces too, so go install is refused.
cd "$here/etcd"
rm -f go.mod go.sum
go mod init sluice.local/etcd-bin >/dev/null 2>&1
go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
go mod tidy

# --- kwok: fake nodes and pod status, in its own module so that its
# dependency graph never lifts the versions kubernetes pinned.
cd "$here/kwok"
rm -f go.mod go.sum
go mod init sluice.local/kwok-bin >/dev/null 2>&1
go get -tool "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
go mod tidy
