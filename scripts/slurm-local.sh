#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the bench's Slurm end-to-end test and for trying
# `pnpm bench slurm` without a cluster. Needs root and Debian's slurmctld, slurmd, slurm-client and munge
# (`apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge`). No systemd: the daemons
# are started by hand, and their pids are recorded so that `stop` ends exactly those processes.
#
#   eval "$(scripts/slurm-local.sh start)"   # prints `export SLURM_CONF=... SLURM_LOCAL_DIR=...`; sinfo works
#   scripts/slurm-local.sh stop [DIR]        # stops the daemons of DIR (default $SLURM_LOCAL_DIR), removes DIR
#   scripts/slurm-local.sh status [DIR]      # sinfo of DIR's cluster
#
# stdout of `start`: export lines only; progress and errors go to stderr.
#
# Layout (one temporary folder, $SLURM_LOCAL_DIR or a fresh mktemp -d): slurm.conf, munge/ (key, socket, pid,
# log), state/ (slurmctld), spool/ (slurmd), log/, pids. One node named after this host (`hostname -s`) with
# 2 CPUs (or $SLURM_LOCAL_CPUS) at 127.0.0.1, one partition `local`. Free ports are picked at start, so two
# clusters (two CI checkouts) do not collide. Process tracking is proctrack/linuxproc and there is no task
# plugin: cgroups need systemd or a writable cgroup tree, which containers and CI machines often lack.
set -euo pipefail

say() { echo "slurm-local: $*" >&2; }
die() { say "$*"; exit 1; }

cmd="${1:-}"
dir="${2:-${SLURM_LOCAL_DIR:-}}"

# Ends the daemons recorded in $1/pids (slurmd, slurmctld, munged: the reverse of start), waiting up to 10 s for
# each, then SIGKILL. Only those pids, and only when the process still runs the expected program.
stop_dir() {
  local d="$1" name pid i
  [ -f "$d/pids" ] || return 0
  for name in slurmd slurmctld munged; do
    pid="$(awk -v n="$name" '$1 == n { print $2 }' "$d/pids")"
    [ -n "$pid" ] || continue
    if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]; then
      kill "$pid" 2>/dev/null || true
      for i in $(seq 1 100); do
        [ -d "/proc/$pid" ] || break
        sleep 0.1
      done
      if [ -d "/proc/$pid" ]; then
        say "$name ($pid) did not stop in 10 s; killing it"
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
  done
  rm -f "$d/pids"
}

# A TCP port nobody listens on, from a range above the usual ephemeral ports' start.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free TCP port found"
}

# Reads the pid a daemon wrote into its pid file (waits up to 10 s for it).
wait_pid_file() {
  local file="$1" name="$2" log="$3"
  for _ in $(seq 1 100); do
    if [ -s "$file" ] && [ -d "/proc/$(cat "$file")" ]; then
      cat "$file"
      return 0
    fi
    sleep 0.1
  done
  say "$name did not start; the end of its log ($log):"
  tail -n 20 "$log" >&2 2>/dev/null || true
  return 1
}

case "$cmd" in
  start)
    [ "$(id -u)" = 0 ] || die "must run as root (slurmd starts jobs as their users; SlurmUser is root here)"
    for bin in munged mungekey slurmctld slurmd sinfo sbatch; do
      command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] ||
        die "'$bin' not found: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge"
    done
    export PATH="$PATH:/usr/sbin"
    if [ -z "$dir" ]; then dir="$(mktemp -d "${TMPDIR:-/tmp}/slurm-local.XXXXXX")"; fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    [ ! -f "$dir/pids" ] || die "$dir already holds a running cluster (scripts/slurm-local.sh stop $dir first)"
    # munged refuses group- or world-writable folders on the way to its socket and key.
    chmod 700 "$dir"
    mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
    chmod 700 "$dir/munge"
    host="$(hostname -s)"
    cpus="${SLURM_LOCAL_CPUS:-2}"
    ctld_port="$(free_port)"
    slurmd_port="$(free_port)"
    [ "$ctld_port" != "$slurmd_port" ] || slurmd_port=$((ctld_port + 1))
    : >"$dir/pids"
    trap 'say "start failed; stopping what was started"; stop_dir "$dir"' ERR

    # munge: a fresh key for this cluster only, its own socket (the system munged, if any, is left alone).
    mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null
    chmod 600 "$dir/munge/munge.key"
    munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
      --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
      --num-threads=2 --force
    echo "munged $(wait_pid_file "$dir/munge/munged.pid" munged "$dir/log/munged.log")" >>"$dir/pids"

    cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster for tests.
ClusterName=dblocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# Short timers: a test waits on them.
SchedulerParameters=sched_interval=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
# Finished jobs stay visible to scontrol for an hour (the test reads their states after later jobs end).
MinJobAge=3600
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=2048 State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$dir/slurm.conf"
    # -i: ignore saved state (a fresh cluster); the daemons fork into the background and write their pid files.
    slurmctld -i -f "$SLURM_CONF" 2>>"$dir/log/slurmctld.stderr"
    echo "slurmctld $(wait_pid_file "$dir/slurmctld.pid" slurmctld "$dir/log/slurmctld.log")" >>"$dir/pids"
    slurmd -f "$SLURM_CONF" 2>>"$dir/log/slurmd.stderr"
    echo "slurmd $(wait_pid_file "$dir/slurmd.pid" slurmd "$dir/log/slurmd.log")" >>"$dir/pids"

    # Ready when sinfo shows the node idle (slurmd registered with slurmctld).
    state=""
    for _ in $(seq 1 150); do
      state="$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)"
      [ "$state" = idle ] && break
      sleep 0.2
    done
    if [ "$state" != idle ]; then
      say "the node is '${state:-unknown}', not idle, after 30 s; logs in $dir/log"
      tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
      false
    fi
    trap - ERR
    say "node $host ($cpus CPUs) idle; state in $dir; stop with: scripts/slurm-local.sh stop $dir"
    echo "export SLURM_CONF=$dir/slurm.conf"
    echo "export SLURM_LOCAL_DIR=$dir"
    ;;
  stop)
    [ -n "$dir" ] || die "stop: which cluster? pass its folder or set SLURM_LOCAL_DIR"
    [ -d "$dir" ] || die "stop: no such folder '$dir'"
    [ -f "$dir/slurm.conf" ] || die "stop: '$dir' is not a slurm-local folder (no slurm.conf)"
    stop_dir "$dir"
    rm -rf "$dir"
    say "stopped; removed $dir"
    ;;
  status)
    [ -n "$dir" ] || die "status: which cluster? pass its folder or set SLURM_LOCAL_DIR"
    SLURM_CONF="$dir/slurm.conf" sinfo
    ;;
  -h|--help|help)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    die "usage: scripts/slurm-local.sh start|stop|status [DIR]"
    ;;
esac
