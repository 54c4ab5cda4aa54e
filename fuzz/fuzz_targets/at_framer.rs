//! The AT framer on arbitrary bytes: `frame` never consumes more than it is given in any
//! mode, and `LineReader` hands out only bounded items whatever the fragmentation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otaflash_core::at::framer::{frame, Item, LineReader, Mode, MAX_LINE};

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else {
        return;
    };
    for mode in [
        Mode::Lines,
        Mode::Discard,
        Mode::Payload {
            remaining: usize::from(split),
            skip_lf: split & 1 == 1,
        },
    ] {
        let (_, consumed) = frame(bytes, mode);
        assert!(
            consumed <= bytes.len(),
            "{mode:?} consumed {consumed} of {}",
            bytes.len()
        );
    }
    // The same bytes in chunks of `split + 1`, switching to payload mode after any line
    // that looks like a +QIOTOTARD header (as the engine does).
    let mut reader = LineReader::new();
    let mut taken = 0usize;
    for chunk in bytes.chunks(usize::from(split) + 1) {
        reader.push(chunk);
        while let Some(item) = reader.next_item() {
            match &item {
                Item::Line(line) => {
                    assert!(line.len() <= MAX_LINE, "line of {} bytes", line.len());
                    taken += line.len();
                    if line.starts_with(b"+QIOTOTARD:") {
                        reader.expect_payload(line.len() % 64);
                    }
                }
                Item::Payload(p) => {
                    assert!(p.len() < 64, "payload of {} bytes", p.len());
                    taken += p.len();
                }
                Item::Prompt | Item::Overflow => {}
            }
            assert!(taken <= bytes.len(), "handed out more than was pushed");
        }
    }
});
