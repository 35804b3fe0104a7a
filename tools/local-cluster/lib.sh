# Shared by up.sh and down.sh (sourced, not run).
# shellcheck shell=bash

lc_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lc_repo="$(cd "$lc_here/../.." && pwd)"

# The processes of a cluster, in start order. down.sh stops them in reverse.
lc_components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

lc_log() { printf '[cluster] %s\n' "$*" >&2; }

lc_resolve_dir() {
  local d="${SLUICE_CLUSTER_DIR:-$lc_repo/.cluster}"
  mkdir -p "$d"
  (cd "$d" && pwd)
}

# Port layout relative to SLUICE_CLUSTER_PORT_BASE: +0 apiserver, +1 etcd
# client, +2 etcd peer, +3 controller-manager, +4 scheduler, +5 kwok.
lc_port_count=6
lc_set_ports() {
  local b="$1"
  port_apiserver=$b
  port_etcd=$((b + 1))
  port_etcd_peer=$((b + 2))
  port_kcm=$((b + 3))
  port_scheduler=$((b + 4))
  port_kwok=$((b + 5))
}

# True when something accepts connections on 127.0.0.1:$1.
lc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when the pid in $D/pids/$1.pid is alive and still one of ours: every
# process we start has the data dir in its command line, which guards
# against a recycled pid.
lc_pid_ours() {
  local f="$lc_dir/pids/$1.pid" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qF -- "$lc_dir" || return 1
  echo "$pid"
}

lc_tail_log() {
  local f="$lc_dir/logs/$1.log"
  if [ -s "$f" ]; then
    lc_log "last lines of $f:"
    tail -n "${2:-40}" "$f" | sed 's/^/    /' >&2
  else
    lc_log "$f is empty or missing"
  fi
}
