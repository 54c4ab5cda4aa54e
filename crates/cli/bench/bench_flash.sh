#!/usr/bin/env bash
# STM32 programming benchmark (not a test: it prints figures, and takes a few minutes).
#
# A 256 KiB image goes into `otaflash sim stm32 --pty`, paced at 115200 8E1 in BOTH
# directions (a byte the host writes reaches the model only after its 11 bits on the wire),
# with the model's default programming and erase times. For each part it prints the wall
# time of `otaflash flash` and of Debian's `stm32flash -w -v` against the same simulator,
# their ratio (target <= 0.8), and the raw line time of one pass over the image.
#
#   f405      STM32F405, bootloader v3.1: no Get Checksum (0xA1), so both tools verify by
#             reading every byte back.
#   f405-crc  the same flash with a newer bootloader that lists Get Checksum (the
#             simulator's `get_checksum` knob): otaflash verifies with the bootloader's
#             CRC-32; stm32flash -v still reads back (its -v always does).
#
# Usage: crates/cli/bench/bench_flash.sh [PART...]   (default: f405 f405-crc)
#        BIN=path/to/otaflash picks a build; SIZE=bytes changes the image size;
#        RUNS=n times each tool n times and keeps its fastest run (a busy machine only
#        ever adds time, so the minimum is the better estimate of what the tool needs).
set -euo pipefail

source "$(dirname "$0")/sim.sh"
SIZE=${SIZE:-262144}
RUNS=${RUNS:-1}
PARTS=("$@")
[ ${#PARTS[@]} -gt 0 ] || PARTS=(f405 f405-crc)

# fastest <a> <b>: the smaller of two durations ("" counts as none).
fastest() { python3 -c "import sys; v=[float(x) for x in sys.argv[1:] if x]; print(min(v))" "$@"; }

python3 - "$WORK/img.bin" "$SIZE" <<'PY'
import random, sys
random.seed(7)
data = bytearray(random.getrandbits(8) for _ in range(int(sys.argv[2])))
data[0:8] = bytes([0x00, 0x50, 0x00, 0x20, 0x01, 0x01, 0x00, 0x08])  # SP in RAM, Thumb reset
open(sys.argv[1], "wb").write(data)
PY

for part in "${PARTS[@]}"; do
  case "$part" in
    f405) scenario='{ "part": "f405" }' ;;
    f405-crc) scenario='{ "part": "f405", "get_checksum": true }' ;;
    *) echo "unknown part $part (f405, f405-crc)" >&2; exit 2 ;;
  esac
  echo "$scenario" > "$WORK/stm32.json"
  echo "== $part: $SIZE B over a pty paced at 115200 8E1 both ways"

  ota=
  stm=
  for _ in $(seq "$RUNS"); do
    start_sim stm32 "$WORK/stm32.json"
    t0=$(now)
    "$BIN" flash --mcu "$PTY" "$WORK/img.bin" --boot none --report "$WORK/flash.json" \
      2> "$WORK/flash.err" > /dev/null || { cat "$WORK/flash.err" >&2; exit 1; }
    t1=$(now)
    stop_sim
    ota=$(fastest "$ota" "$(python3 -c "print($t1 - $t0)")")

    if [ -x /usr/bin/stm32flash ]; then
      start_sim stm32 "$WORK/stm32.json"
      t0=$(now)
      # -m 8n1: a Linux pty cannot keep even parity; the simulator paces 11 bits per byte anyway.
      /usr/bin/stm32flash -m 8n1 -b 115200 -w "$WORK/img.bin" -v "$PTY" > "$WORK/stm32flash.log" 2>&1 \
        || { cat "$WORK/stm32flash.log" >&2; exit 1; }
      t1=$(now)
      stop_sim
      stm=$(fastest "$stm" "$(python3 -c "print($t1 - $t0)")")
    fi
  done
  [ -x /usr/bin/stm32flash ] || echo "notice: /usr/bin/stm32flash missing; comparison skipped"

  python3 - "$WORK/flash.json" "$ota" "$stm" "$SIZE" "$RUNS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "success", r
size = int(sys.argv[4])
line = size * 11 / 115200
ota = float(sys.argv[2])
stages = ", ".join(f"{d['stage']} {d['ms'] / 1000:.1f} s" for d in r["durations"])
if sys.argv[5] != "1":
    print(f"(fastest of {sys.argv[5]} runs per tool; stages from the last otaflash run)")
print(f"raw line time per pass:  {line:6.1f} s  ({size} B x 11 bits at 115200 baud)")
# What no host can beat on this link: every Write Memory is 2 + 5 + 258 bytes out and 3 ACKs
# back plus the model's 2 ms programming time; every 256-byte read-back is 9 bytes out and
# 257 back. Both tools move exactly these bytes when they verify by reading back.
chunks = -(-size // 256)
byte = 11 / 115200
write_floor = chunks * ((265 + 3) * byte + 0.002)
read_floor = chunks * (9 + 257) * byte
print(f"link floor:              {write_floor:6.1f} s  write pass, {read_floor:.1f} s read-back pass")
print(f"otaflash flash:          {ota:6.1f} s  ({stages})")
if sys.argv[3]:
    s = float(sys.argv[3])
    print(f"stm32flash -w -v:        {s:6.1f} s")
    print(f"ratio otaflash/stm32flash: {ota / s:.2f}  (target <= 0.80)")
PY
  echo
done
