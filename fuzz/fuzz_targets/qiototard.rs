//! The `AT+QIOTOTARD` path end to end: the AT engine with a read in flight takes arbitrary
//! module output (header, raw payload by count, final result, URCs, garbage) in arbitrary
//! fragments and timeouts, and the typed parser checks the reply. The accepted data is
//! never longer than the read asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otaflash_core::at::{AtCommand, AtEngine, AtEvent};
use otaflash_core::quecthing::commands::ReadData;
use otaflash_core::{Instant, Outbox};

fuzz_target!(|data: &[u8]| {
    let Some((&shape, bytes)) = data.split_first() else {
        return;
    };
    let read = ReadData {
        start: 1024,
        length: u32::from(shape) * 4 + 1,
    };
    let mut engine = AtEngine::new(str::to_owned);
    let mut out = Outbox::default();
    let mut now = Instant(0);
    engine.send(now, read.request(), &mut out);
    let mut events = Vec::new();
    for (i, chunk) in bytes.chunks(usize::from(shape % 17) + 1).enumerate() {
        now = Instant(now.0 + 7);
        events.extend(engine.on_bytes(now, chunk, &mut out));
        if i % 13 == 12 {
            events.extend(engine.on_timeout(Instant(now.0 + 60_000), &mut out));
        }
        while out.pop().is_some() {}
    }
    for event in events {
        if let AtEvent::Reply(reply) = event {
            if let Ok(payload) = read.parse(&reply) {
                assert!(payload.len() <= read.length as usize);
            }
        }
    }
});
