#!/usr/bin/env bash
# Starts a local control plane: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok with fake nodes. Idempotent: when the cluster of the
# data dir is already running and healthy it only prints how to use it.
#
#   bash tools/local-cluster/up.sh          (pnpm run cluster:up)
#
# Environment (see README.md):
#   SLUICE_CLUSTER_DIR         data dir (default <repo>/.cluster)
#   SLUICE_CLUSTER_PORT_BASE   first of 6 consecutive ports, or "auto" (default 16443)
#   SLUICE_CLUSTER_NODES       number of fake nodes (default 1)
#   SLUICE_CLUSTER_TIMEOUT     seconds to wait for each readiness step (default 120)
#   SLUICE_CLUSTER_OWNER_PID   stop the cluster when this process exits
#   SLUICE_BIN_DIR             use these binaries instead of running build.sh
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

lc_dir=$(lc_resolve_dir)
timeout_s="${SLUICE_CLUSTER_TIMEOUT:-120}"
node_count="${SLUICE_CLUSTER_NODES:-1}"
started_at=$SECONDS

print_usage_hint() {
  # shellcheck disable=SC1091
  . "$lc_dir/cluster.env"
  cat <<EOF
Cluster is up: Kubernetes ${KUBERNETES_VERSION}, API server https://127.0.0.1:${SLUICE_CLUSTER_API_PORT}, data in ${lc_dir}
Point kubectl at it:
  export KUBECONFIG=${lc_dir}/admin.kubeconfig
  export PATH=${SLUICE_BIN_DIR}:\$PATH      # the kubectl built with the cluster
  kubectl get nodes
Stop it: SLUICE_CLUSTER_DIR=${lc_dir} bash ${lc_here}/down.sh   (pnpm run cluster:down for the default dir)
EOF
}

# ---------------------------------------------------------------- reuse
if [ -f "$lc_dir/cluster.env" ]; then
  alive=0
  for c in "${lc_components[@]}"; do
    if lc_pid_ours "$c" >/dev/null; then alive=$((alive + 1)); fi
  done
  # shellcheck disable=SC1091
  . "$lc_dir/cluster.env"
  if [ "$alive" = "${#lc_components[@]}" ] &&
     curl -fsS --max-time 5 --cacert "$lc_dir/pki/ca.crt" \
       "https://127.0.0.1:${SLUICE_CLUSTER_API_PORT}/readyz" >/dev/null 2>&1; then
    lc_log "already running"
    print_usage_hint
    exit 0
  fi
  lc_log "found an incomplete cluster in $lc_dir ($alive of ${#lc_components[@]} processes alive); replacing it"
  SLUICE_CLUSTER_DIR="$lc_dir" bash "$lc_here/down.sh"
  mkdir -p "$lc_dir"
fi

# ---------------------------------------------------------------- binaries
if [ -n "${SLUICE_BIN_DIR:-}" ]; then
  bin="$SLUICE_BIN_DIR"
else
  bin=$(bash "$lc_here/build.sh" | tail -n 1)
fi
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
  [ -x "$bin/$b" ] || { lc_log "missing $bin/$b"; exit 1; }
done
# shellcheck source=go/versions.env
. "$lc_here/go/versions.env"

# ---------------------------------------------------------------- ports
base="${SLUICE_CLUSTER_PORT_BASE:-16443}"
ports_free() {
  local p
  for ((p = $1; p < $1 + lc_port_count; p++)); do
    if lc_port_busy "$p"; then return 1; fi
  done
}
if [ "$base" = auto ]; then
  base=""
  for _ in $(seq 1 50); do
    candidate=$((20000 + (RANDOM % 2000) * 10))
    if ports_free "$candidate"; then base=$candidate; break; fi
  done
  [ -n "$base" ] || { lc_log "found no free port range"; exit 1; }
elif ! ports_free "$base"; then
  lc_log "a port in $base..$((base + lc_port_count - 1)) is already in use; set SLUICE_CLUSTER_PORT_BASE to another value (or auto)"
  rmdir "$lc_dir" 2>/dev/null || true
  exit 1
fi
lc_set_ports "$base"

mkdir -p "$lc_dir"/{pki,logs,pids,run}
cat >"$lc_dir/cluster.env" <<EOF
# written by tools/local-cluster/up.sh
SLUICE_CLUSTER_DIR=$lc_dir
SLUICE_CLUSTER_PORT_BASE=$base
SLUICE_CLUSTER_API_PORT=$port_apiserver
SLUICE_KUBECONFIG=$lc_dir/admin.kubeconfig
SLUICE_BIN_DIR=$bin
SLUICE_CLUSTER_OWNER_PID=${SLUICE_CLUSTER_OWNER_PID:-}
KUBERNETES_VERSION=$KUBERNETES_VERSION
EOF

# From here on any failure (or Ctrl-C) stops whatever was started and keeps
# the logs for inspection.
up_ok=0
failed() { # component-or-empty message
  lc_log "FAILED: $2"
  if [ -n "$1" ]; then lc_tail_log "$1"; fi
  exit 1
}
on_exit() {
  local rc=$?
  [ "$up_ok" = 1 ] && return 0
  [ "$rc" = 0 ] && rc=1
  lc_log "stopping the processes started so far (logs kept in $lc_dir/logs; pnpm run cluster:down removes them)"
  SLUICE_CLUSTER_KEEP_DATA=1 SLUICE_CLUSTER_DIR="$lc_dir" bash "$lc_here/down.sh" || true
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- PKI
pki="$lc_dir/pki"
ossl() { openssl "$@" >>"$lc_dir/logs/openssl.log" 2>&1; }
if [ ! -s "$pki/admin.crt" ]; then
  ossl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=sluice-local-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt"
  issue() { # name subject extensions
    ossl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr"
    printf '%s\n' "$3" >"$pki/$1.ext"
    ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 3650 -extfile "$pki/$1.ext" -out "$pki/$1.crt"
  }
  issue apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
keyUsage=digitalSignature,keyEncipherment"
  issue admin "/O=system:masters/CN=sluice-admin" "extendedKeyUsage=clientAuth
keyUsage=digitalSignature,keyEncipherment"
  ossl genrsa -out "$pki/sa.key" 2048
  ossl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
fi

b64() { base64 -w0 <"$1"; }
kc="$lc_dir/admin.kubeconfig"
cat >"$kc.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sluice-local
  cluster:
    server: https://127.0.0.1:$port_apiserver
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: sluice-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: sluice-local
  context:
    cluster: sluice-local
    user: sluice-admin
current-context: sluice-local
EOF
chmod 600 "$kc.tmp"
mv "$kc.tmp" "$kc"

# ---------------------------------------------------------------- helpers
start() { # name binary args...
  local name="$1"
  shift
  # setsid: own session, so a Ctrl-C meant for a test runner does not hit the
  # cluster before the runner's teardown gets to stop it cleanly.
  setsid "$@" >"$lc_dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$lc_dir/pids/$name.pid"
}

# wait_for NAME DESCRIPTION COMMAND...: polls COMMAND until it succeeds; fails
# early when the component's process has died.
wait_for() {
  local name="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout_s))
  until "$@" >/dev/null 2>&1; do
    if ! lc_pid_ours "$name" >/dev/null; then failed "$name" "$name exited while waiting for $what"; fi
    if [ $SECONDS -ge $deadline ]; then failed "$name" "timed out after ${timeout_s}s waiting for $what"; fi
    sleep 0.3
  done
  lc_log "$what ($((SECONDS - started_at))s)"
}

kubectl_() { "$bin/kubectl" --kubeconfig "$kc" "$@"; }

# ---------------------------------------------------------------- etcd
start etcd "$bin/etcd" --name=sluice --data-dir="$lc_dir/etcd-data" \
  --listen-client-urls="http://127.0.0.1:$port_etcd" --advertise-client-urls="http://127.0.0.1:$port_etcd" \
  --listen-peer-urls="http://127.0.0.1:$port_etcd_peer" --initial-advertise-peer-urls="http://127.0.0.1:$port_etcd_peer" \
  --initial-cluster="sluice=http://127.0.0.1:$port_etcd_peer" --initial-cluster-state=new \
  --unsafe-no-fsync --log-level=warn
wait_for etcd "etcd healthy on :$port_etcd" curl -fsS --max-time 2 "http://127.0.0.1:$port_etcd/health"

# ---------------------------------------------------------------- apiserver
# --endpoint-reconciler-type=none: the only address is 127.0.0.1, which the
# Endpoints of the `kubernetes` Service may not hold (the reconciler would log
# an error every 10 s). Nothing runs inside the cluster that needs it.
start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$port_etcd" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port_apiserver" \
  --cert-dir="$lc_dir/run/apiserver" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true --profiling=false --v=1 \
  --endpoint-reconciler-type=none
wait_for kube-apiserver "kube-apiserver ready on :$port_apiserver" \
  curl -fsS --max-time 2 --cacert "$pki/ca.crt" "https://127.0.0.1:$port_apiserver/readyz"

# ---------------------------------------------------------------- controllers, scheduler, kwok
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
  --leader-elect=false --use-service-account-credentials=false \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --bind-address=127.0.0.1 --secure-port="$port_kcm" --cert-dir="$lc_dir/run/kcm" \
  --profiling=false --v=1
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
  --leader-elect=false --bind-address=127.0.0.1 --secure-port="$port_scheduler" \
  --cert-dir="$lc_dir/run/scheduler" --profiling=false --v=1

# kwok has no built-in stages: assemble them from the kwok module in the Go
# module cache (downloaded on demand; nothing is vendored in the repository).
kwok_src=$(cd "$lc_here/go/kwok" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
  go mod download -json sigs.k8s.io/kwok | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[ -d "$kwok_src/kustomize/stage" ] || failed "" "kwok stage YAMLs not found in the module cache ($kwok_src)"
{
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo '---'
    cat "$kwok_src/kustomize/stage/$f"
  done
} >"$lc_dir/kwok-stages.yaml"
start kwok "$bin/kwok" --kubeconfig="$kc" --config="$lc_dir/kwok-stages.yaml" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr=10.244.0.0/16 --node-ip=10.240.0.1 --node-lease-duration-seconds=40 \
  --server-address="127.0.0.1:$port_kwok"

{
  for ((i = 0; i < node_count; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
spec: {}
EOF
  done
} >"$lc_dir/nodes.yaml"
kubectl_ apply -f "$lc_dir/nodes.yaml" >>"$lc_dir/logs/kubectl.log" 2>&1 ||
  failed "" "could not create the fake nodes (see $lc_dir/logs/kubectl.log)"

wait_for kube-controller-manager "kube-controller-manager healthy on :$port_kcm" \
  curl -fsSk --max-time 2 "https://127.0.0.1:$port_kcm/healthz"
wait_for kube-scheduler "kube-scheduler healthy on :$port_scheduler" \
  curl -fsSk --max-time 2 "https://127.0.0.1:$port_scheduler/healthz"
nodes_ready() {
  local n
  n=$(kubectl_ get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')
  [ "$n" -ge "$node_count" ]
}
wait_for kwok "$node_count kwok node(s) Ready" nodes_ready
wait_for kube-controller-manager "service account default/default exists" \
  kubectl_ get serviceaccount default -n default

# ---------------------------------------------------------------- owner watchdog
if [ -n "${SLUICE_CLUSTER_OWNER_PID:-}" ]; then
  # Stops the cluster when the owner (say, a test runner) dies without
  # tearing down, e.g. on SIGKILL.
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -f "$2/cluster.env" ]; do sleep 2; done
                  [ -f "$2/cluster.env" ] && SLUICE_CLUSTER_DIR="$2" bash "$3/down.sh"' \
    sluice-cluster-watchdog "$SLUICE_CLUSTER_OWNER_PID" "$lc_dir" "$lc_here" \
    >"$lc_dir/logs/watchdog.log" 2>&1 </dev/null &
  echo $! >"$lc_dir/pids/watchdog.pid"
fi

up_ok=1
echo "SLUICE_CLUSTER_STARTUP_SECONDS=$((SECONDS - started_at))" >>"$lc_dir/cluster.env"
lc_log "started in $((SECONDS - started_at))s"
print_usage_hint
