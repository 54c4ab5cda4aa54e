# Shared by the benchmarks in this folder (sourced, not run): the otaflash binary, a scratch
# directory removed on exit, and one `otaflash sim … --pty` at a time.
#   BIN    the otaflash build to use (default: $CARGO_TARGET_DIR or target/, debug)
#   WORK   scratch directory for scenarios, images and logs
#   start_sim <device> <scenario.json>  starts the simulator; sets SIM_PID and PTY
#   stop_sim                            stops it
#   now                                 wall clock in seconds (float)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/otaflash}
[ -x "$BIN" ] || { echo "build first: cargo build -p otaflash-cli (or set BIN)" >&2; exit 1; }
WORK=$(mktemp -d)
SIM_PID=
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_sim() {
  "$BIN" sim "$1" --pty --scenario "$2" > "$WORK/sim.out" 2> "$WORK/sim.err" &
  SIM_PID=$!
  for _ in $(seq 100); do
    PTY=$(head -n1 "$WORK/sim.out" 2>/dev/null || true)
    [ -n "$PTY" ] && return 0
    sleep 0.05
  done
  echo "simulator did not start: $(cat "$WORK/sim.err")" >&2
  exit 1
}
stop_sim() { kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=; }
now() { date +%s.%N; }
