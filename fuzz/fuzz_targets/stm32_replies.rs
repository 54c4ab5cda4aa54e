//! Bootloader reply decoding: the frame decoders on raw bytes, and the whole programmer
//! fed arbitrary MCU-port bytes and timeouts. It must end or wait, never panic, and
//! never call a flash verified that the (absent) bootloader did not confirm.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otaflash_core::image::FlashImage;
use otaflash_core::stm32::frame::{decode_checksum, decode_get, decode_id, decode_version};
use otaflash_core::stm32::{EntrySequence, Programmer, Stm32Config};
use otaflash_core::{Instant, Outbox};

fuzz_target!(|data: &[u8]| {
    let _ = decode_get(data);
    let _ = decode_version(data);
    let _ = decode_id(data);
    let _ = decode_checksum(data);

    let Some((&shape, bytes)) = data.split_first() else {
        return;
    };
    let Ok(image) = FlashImage::from_bin(&[0xA5; 16], 0x0800_0000) else {
        return;
    };
    let config = Stm32Config {
        entry: EntrySequence::None,
        ..Stm32Config::default()
    };
    let mut programmer = Programmer::new(image, config);
    let mut out = Outbox::default();
    let mut now = Instant(0);
    programmer.start(now, &mut out);
    for (i, chunk) in bytes.chunks(usize::from(shape % 9) + 1).enumerate() {
        now = Instant(now.0 + 3);
        programmer.on_received(now, chunk, &mut out);
        if i % 5 == 4 {
            if let Some(deadline) = programmer.deadline() {
                now = Instant(now.0.max(deadline.0));
                programmer.on_timeout(now, &mut out);
            }
        }
        while out.pop().is_some() {}
        if programmer.outcome().is_some() {
            break;
        }
    }
});
