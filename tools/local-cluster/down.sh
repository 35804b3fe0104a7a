#!/usr/bin/env bash
# Stops the cluster whose data dir is SLUICE_CLUSTER_DIR (default
# <repo>/.cluster): exactly the processes up.sh recorded in pids/, each
# checked to still be ours, then removes the data up.sh wrote.
#
#   bash tools/local-cluster/down.sh        (pnpm run cluster:down)
#
# SLUICE_CLUSTER_KEEP_DATA=1 stops the processes but keeps the data dir
# (up.sh uses it after a failed start so the logs can be read).
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

d="${SLUICE_CLUSTER_DIR:-$lc_repo/.cluster}"
if [ ! -d "$d" ]; then
  lc_log "nothing to stop: $d does not exist"
  exit 0
fi
lc_dir="$(cd "$d" && pwd)"

# stop NAME...: SIGTERM to each, then wait up to 15 s, then SIGKILL.
stop() {
  local name pid pids=() names=()
  for name in "$@"; do
    if pid=$(lc_pid_ours "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$name")
    fi
    rm -f "$lc_dir/pids/$name.pid"
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  local deadline=$((SECONDS + 15)) i remaining
  while :; do
    remaining=0
    for i in "${!pids[@]}"; do
      if kill -0 "${pids[$i]}" 2>/dev/null; then remaining=1; fi
    done
    [ "$remaining" = 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      for i in "${!pids[@]}"; do
        if kill -0 "${pids[$i]}" 2>/dev/null; then
          lc_log "${names[$i]} (pid ${pids[$i]}) ignored SIGTERM, killing it"
          kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
      done
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  lc_log "stopped ${names[*]}"
}

# The watchdog first (unless it is the one running us), then the clients of
# the API server, then the API server, then etcd.
if [ -s "$lc_dir/pids/watchdog.pid" ] && [ "$(cat "$lc_dir/pids/watchdog.pid")" != "$PPID" ]; then
  stop watchdog
fi
rm -f "$lc_dir/pids/watchdog.pid"
stop kwok kube-scheduler kube-controller-manager
stop kube-apiserver
stop etcd

if [ "${SLUICE_CLUSTER_KEEP_DATA:-0}" = 1 ]; then
  lc_log "processes stopped; data kept in $lc_dir"
  exit 0
fi
# Remove what up.sh wrote, not the whole directory: other clusters (the test
# harness's) may live in subdirectories of the default one.
rm -rf "$lc_dir"/{pki,logs,pids,run,etcd-data} \
  "$lc_dir"/{cluster.env,admin.kubeconfig,kwok-stages.yaml,nodes.yaml}
rmdir "$lc_dir" 2>/dev/null || true
lc_log "cluster in $lc_dir stopped and its data removed"
