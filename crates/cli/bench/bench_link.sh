#!/usr/bin/env bash
# Link benchmark for otaflash over pseudo-terminals (not a test: it prints figures).
#
#   1. SOTA transfer efficiency: `otaflash sota --out` against `otaflash sim module --pty`
#      paced at 115200 8N1 with zero added latency and echo off, once with 1024-byte reads
#      and once at the module's `AT+QIOTOTARD=?` maximum (MAX_READ). Prints the payload rate
#      of the transfer stage as a percentage of the line rate (115200 / 10 bits = 11520 B/s)
#      and of the protocol ceiling: the best rate any host can reach at that read size,
#      given each read's command, reply framing and the mandatory 20 ms AT guard time.
#      (The simulator paces only the module's output, so the ~25-byte command costs no
#      wire time here and a run can land slightly above 100 % of the ceiling.)
#   2. STM32 programming: runs `bench_flash.sh f405` (a 256 KiB image into
#      `otaflash sim stm32 --pty`, paced at 115200 8E1 both ways: `otaflash flash` vs
#      `stm32flash -w -v` vs the raw line time). `bench_flash.sh` alone also covers a
#      bootloader with Get Checksum.
#
# Usage: crates/cli/bench/bench_link.sh   (BIN=path/to/otaflash to pick a build;
#        SOTA_SIZE=bytes for part 1, default 131072; MAX_READ=the module's =? maximum,
#        default 4096; SKIP_FLASH=1 skips part 2)
set -euo pipefail

source "$(dirname "$0")/sim.sh"
SOTA_SIZE=${SOTA_SIZE:-131072}
MAX_READ=${MAX_READ:-4096}

# run_sota <label> [--read-size N]: one SOTA of SOTA_SIZE bytes against a module whose
# `AT+QIOTOTARD=?` maximum is MAX_READ; prints the payload rate against the line rate and
# against the protocol ceiling, and the host's turnaround between reads.
run_sota() {
  local label=$1
  shift
  cat > "$WORK/module.json" <<JSON
{ "echo": false, "latency_ms": 0, "free_space": 1048576, "max_read_len": $MAX_READ,
  "serial": { "baud": 115200, "bits_per_byte": 10, "pacing": true },
  "plan": [{ "image": { "size": $SOTA_SIZE } }],
  "timing": { "register_ms": 50, "plan_ms": 50, "url_ms": 50, "download_per_block_ms": 100 } }
JSON
  start_sim module "$WORK/module.json"
  "$BIN" sota --module "$PTY" --component STM32 --current 1_0_0 --out "$WORK/sota.bin" \
    --echo-off --yes --report "$WORK/sota.json" --transcript "$WORK/sota.txt" "$@" \
    2> "$WORK/sota.err" > /dev/null
  stop_sim
  echo "-- $label"
  python3 - "$WORK/sota.json" "$WORK/sota.txt" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "success", r
ms = next(d["ms"] for d in r["durations"] if d["stage"] == "transfer")
size = r["size"]
rate = size / (ms / 1000)
line = 115200 / 10  # bytes per second at 8N1
# The reads actually made, from the transcript: (offset, length asked).
reads = [(int(m.group(1)), int(m.group(2)))
         for m in re.finditer(r'AT\+QIOTOTARD=(\d+),(\d+)', open(sys.argv[2]).read())]
read_len = max(n for _, n in reads)
# Protocol ceiling: every read costs its command, its reply (header, payload, blank line,
# OK) on the wire, and the 20 ms guard the AT layer must leave after each final result;
# nothing else (zero module latency, zero host time). Exact for these offsets.
GUARD = 0.020
wire = 0.0
off = 0
while off < size:
    n = min(read_len, size - off)
    cmd = len(f"AT+QIOTOTARD={off},{n}\r\n")
    reply = len(f"\r\n+QIOTOTARD: {off},{n}\r\n") + n + len("\r\n\r\nOK\r\n")
    wire += (cmd + reply) / line + GUARD
    off += n
ceiling = size / wire
print(f"image {size} B in {len(reads)} reads of {read_len} B, transfer stage {ms} ms: {rate:.0f} B/s payload")
print(f"  {100 * rate / line:.1f} % of the {line:.0f} B/s line rate")
print(f"  {100 * rate / ceiling:.1f} % of the protocol ceiling ({ceiling:.0f} B/s = "
      f"{100 * ceiling / line:.1f} % of line rate: framing + 20 ms guard per read)")
# Turnaround: from the last byte of a read's reply to the next AT+QIOTOTARD on the wire.
gaps, last_rx, last_tx_was_read = [], None, False
for rec in open(sys.argv[2]):
    t, _port, direction, _rest = rec.split(" ", 3)
    if direction == "rx":
        last_rx = float(t)
        continue
    is_read = "AT+QIOTOTARD=" in rec
    if is_read and last_tx_was_read and last_rx is not None:
        gaps.append(float(t) - last_rx)
    last_tx_was_read = is_read
if gaps:
    print(f"  host turnaround between reads: {1000 * sum(gaps) / len(gaps):.1f} ms average "
          f"(the 20 ms guard included)")
PY
}

echo "== 1. SOTA transfer at 115200 8N1, echo off, no added latency, module =? maximum $MAX_READ B"
run_sota "1024-byte reads (--read-size 1024)" --read-size 1024
run_sota "the module's =? maximum ($MAX_READ-byte reads)"

if [ -z "${SKIP_FLASH:-}" ]; then
  echo
  "$(dirname "$0")/bench_flash.sh" f405
fi
