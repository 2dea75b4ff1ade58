#!/usr/bin/env bash
# Two simulated hosts joined by a 1 Gbit/s link: two network namespaces, a veth pair shaped with tc (token bucket,
# both directions), Open MPI over TCP between them with one rank in each namespace, as a two-node job. Runs `kernels-perf compressed-link`
# (a 100 MB fp32 gradient all-reduce per step: dense, and through CompressedAllReduce with each compressor) and writes
# perf/results/<UTC>/two-hosts.md. Needs root (ip netns, tc) and a build (./build.sh build).
#
#   perf/two-hosts-1gbit.sh [--rate 1gbit] [--floats 25000000] [--steps 5] [--out dir]
set -euo pipefail

# Called by mpirun as its remote shell: `<this> --host-shell <address> <command...>` runs the command in the namespace
# that holds the address.
if [ "${1:-}" = "--host-shell" ]; then
  [ "$2" = "$KN_TWO_HOSTS_REMOTE_ADDR" ] || { echo "--host-shell: unknown host $2" >&2; exit 1; }
  shift 2
  exec ip netns exec "$KN_TWO_HOSTS_REMOTE_NS" /bin/sh -c "$*"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATE=1gbit FLOATS=25000000 STEPS=5
OUT="$ROOT/perf/results/$(date -u +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --floats) FLOATS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "usage: $0 [--rate 1gbit] [--floats n] [--steps s] [--out dir]" >&2; exit 2 ;;
  esac
done
case "$RATE" in
  *gbit) GBIT="${RATE%gbit}" ;;
  *mbit) GBIT="$(awk "BEGIN { print ${RATE%mbit} / 1000 }")" ;;
  *) echo "--rate must end in gbit or mbit (tc's units)" >&2; exit 2 ;;
esac

PERF="$ROOT/perf/Kernels.Perf/bin/Release/net10.0/kernels-perf.dll"
[ -f "$PERF" ] || { echo "$PERF is missing: run ./build.sh build first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root: ip netns and tc" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpirun is missing: ./build.sh deps installs openmpi-bin" >&2; exit 1; }

# Names unique per run (this script may run beside other jobs); interface names must stay within 15 characters.
TAG="kn$$"
NS0="$TAG-h0" NS1="$TAG-h1" IF0="${TAG}a" IF1="${TAG}b"
SUBNET=10.231.$(( $$ % 250 ))
ADDR0="$SUBNET.1" ADDR1="$SUBNET.2"
cleanup() {
  ip netns del "$NS0" 2>/dev/null || true  # deleting a namespace deletes its end of the veth pair, and so the pair
  ip netns del "$NS1" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add "$NS0"
ip netns add "$NS1"
ip link add "$IF0" type veth peer name "$IF1"
ip link set "$IF0" netns "$NS0"
ip link set "$IF1" netns "$NS1"
ip -n "$NS0" addr add "$ADDR0/24" dev "$IF0"
ip -n "$NS1" addr add "$ADDR1/24" dev "$IF1"
for ns in "$NS0" "$NS1"; do ip -n "$ns" link set lo up; done
ip -n "$NS0" link set "$IF0" up
ip -n "$NS1" link set "$IF1" up
# Token bucket on each end's egress: the link carries RATE each way (full duplex, as an Ethernet link).
# burst: at least rate / HZ; 256 kB keeps 1 Gbit/s reachable at any kernel HZ. latency bounds the queue (bufferbloat).
tc -n "$NS0" qdisc add dev "$IF0" root tbf rate "$RATE" burst 256kb latency 20ms
tc -n "$NS1" qdisc add dev "$IF1" root tbf rate "$RATE" burst 256kb latency 20ms

# Open MPI sees two nodes, by address: mpirun runs in the first namespace (where the first address is local) and
# starts its daemon on the second "node" through this script as the remote shell (--host-shell below, in place of ssh),
# which runs the daemon's command in the second namespace. Daemons reach each other and the ranks reach each other over
# TCP on the veth subnet only; each daemon's PMIx server is on its own namespace's loopback. So the job is a real
# two-host job to Open MPI (OMPI_COMM_WORLD_LOCAL_SIZE = 1): the communicator goes hierarchical by itself, and every
# byte between the ranks crosses the shaped link.
mpirun --version | grep -q "Open MPI" || { echo "this script drives Open MPI's mpirun" >&2; exit 1; }
HOSTFILE="$(mktemp)"
trap 'cleanup; rm -f "$HOSTFILE"' EXIT INT TERM
printf '%s slots=1\n%s slots=1\n' "$ADDR0" "$ADDR1" > "$HOSTFILE"
export KN_TWO_HOSTS_REMOTE_ADDR="$ADDR1" KN_TWO_HOSTS_REMOTE_NS="$NS1"
ip netns exec "$NS0" mpirun --allow-run-as-root --hostfile "$HOSTFILE" -n 2 --map-by node \
  --mca plm_rsh_agent "$0 --host-shell" --mca plm_rsh_no_tree_spawn 1 \
  --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include "$SUBNET.0/24" --mca oob_tcp_if_include "$SUBNET.0/24" \
  dotnet "$PERF" compressed-link --floats "$FLOATS" --steps "$STEPS" --shaped-gbit "$GBIT" --out "$OUT"
echo "written: $OUT/two-hosts.md"
