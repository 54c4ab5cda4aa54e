//! Intel HEX loading: any input is an image within the size limit or an error, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otaflash_core::image::{load, MAX_IMAGE_BYTES};

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = load("fuzz.hex", data) {
        assert!(image.len() <= MAX_IMAGE_BYTES && !image.segments().is_empty());
    }
});
