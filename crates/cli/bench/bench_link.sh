#!/usr/bin/env bash
# Link benchmark for otaflash over pseudo-terminals (not a test: it prints figures).
#
#   1. SOTA transfer efficiency: `otaflash sota --out` against `otaflash sim module --pty`
#      paced at 115200 8N1 with zero added latency, echo off, 1024-byte reads. Prints the
#      payload rate of the transfer stage as a percentage of the line-rate limit
#      (115200 / 10 bits = 11520 B/s). Target: >= 95 %.
#   2. STM32 programming: runs `bench_flash.sh f405` (a 256 KiB image into
#      `otaflash sim stm32 --pty`, paced at 115200 8E1 both ways: `otaflash flash` vs
#      `stm32flash -w -v` vs the raw line time). `bench_flash.sh` alone also covers a
#      bootloader with Get Checksum.
#
# Usage: crates/cli/bench/bench_link.sh   (BIN=path/to/otaflash to pick a build;
#        SOTA_SIZE=bytes for part 1, default 131072)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/otaflash}
SOTA_SIZE=${SOTA_SIZE:-131072}
[ -x "$BIN" ] || { echo "build first: cargo build -p otaflash-cli (or set BIN)" >&2; exit 1; }
WORK=$(mktemp -d)
SIM_PID=
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_sim <device> <scenario.json>: starts the simulator, sets SIM_PID and PTY.
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

echo "== 1. SOTA transfer at 115200 8N1, echo off, 1024-byte reads, no added latency"
cat > "$WORK/module.json" <<JSON
{ "echo": false, "latency_ms": 0, "free_space": 1048576,
  "serial": { "baud": 115200, "bits_per_byte": 10, "pacing": true },
  "plan": [{ "image": { "size": $SOTA_SIZE } }],
  "timing": { "register_ms": 50, "plan_ms": 50, "url_ms": 50, "download_per_block_ms": 100 } }
JSON
start_sim module "$WORK/module.json"
"$BIN" sota --module "$PTY" --component STM32 --current 1_0_0 --out "$WORK/sota.bin" \
  --read-size 1024 --echo-off --yes --report "$WORK/sota.json" --transcript "$WORK/sota.txt" \
  2> "$WORK/sota.err" > /dev/null
stop_sim
python3 - "$WORK/sota.json" "$WORK/sota.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "success", r
ms = next(d["ms"] for d in r["durations"] if d["stage"] == "transfer")
size = r["size"]
rate = size / (ms / 1000)
limit = 115200 / 10
print(f"image {size} B, transfer stage {ms} ms: {rate:.0f} B/s payload = {100 * rate / limit:.1f} % "
      f"of the {limit:.0f} B/s line rate (target >= 95 %)")
# Turnaround: from the last byte of a read's reply to the next AT+QIOTOTARD on the wire.
gaps, last_rx, last_tx_was_read = [], None, False
for line in open(sys.argv[2]):
    t, _port, direction, _rest = line.split(" ", 3)
    if direction == "rx":
        last_rx = float(t)
        continue
    is_read = "AT+QIOTOTARD=" in line
    if is_read and last_tx_was_read and last_rx is not None:
        gaps.append(float(t) - last_rx)
    last_tx_was_read = is_read
reply = 1024 + len("\r\n+QIOTOTARD: 1048576,1024\r\n\r\nOK\r\n")
frame_limit = 1024 / reply
print(f"framing limit (reply header + OK per 1024 B): {100 * frame_limit:.1f} %")
if gaps:
    avg = 1000 * sum(gaps) / len(gaps)
    wire = reply / limit * 1000
    print(f"host turnaround between reads: {avg:.1f} ms average over {len(gaps)} reads "
          f"(otaflash-core's AT GUARD_TIME is 20 ms of it)")
    print(f"projected with a {avg - 20:.1f} ms turnaround (no guard time): "
          f"{100 * 1024 / ((wire + avg - 20) / 1000) / limit:.1f} %")
PY

echo
"$(dirname "$0")/bench_flash.sh" f405
