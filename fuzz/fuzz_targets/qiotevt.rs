//! The `+QIOTEVT` parser and the quote-aware field splitter on arbitrary lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otaflash_core::quecthing::fields::split;
use otaflash_core::quecthing::QiotEvent;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split(['\r', '\n']) {
        let _ = QiotEvent::parse(line);
        if let Some(rest) = line.strip_prefix("+QIOTEVT:") {
            let fields = split(rest);
            // Every field comes from the input: there cannot be more of them than bytes.
            assert!(fields.len() <= rest.len() + 1);
        }
    }
});
