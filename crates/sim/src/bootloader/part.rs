//! The STM32 parts the bootloader model can impersonate: product ID, flash
//! geometry, RAM and the bootloader's command set, from AN2606/AN3155 and
//! stm32flash's device table. Only what a programming flow touches is
//! described (no option bytes, no system memory contents).

use serde::{Deserialize, Serialize};

/// A simulated STM32 part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// STM32F103x8: PID 0x410, 64 KiB in 1 KiB pages, bootloader 2.2, legacy Erase (0x43).
    F103C8,
    /// STM32F103xB: PID 0x410, 128 KiB in 1 KiB pages, bootloader 2.2, legacy Erase (0x43).
    F103Cb,
    /// STM32F405/407: PID 0x413, 1 MiB in sectors 4×16K, 1×64K, 7×128K,
    /// bootloader 3.1, Extended Erase (0x44).
    F405,
    /// STM32G07x/G08x: PID 0x460, 128 KiB in 2 KiB pages, bootloader 3.1,
    /// Extended Erase (0x44).
    G071,
}

/// Flash base address shared by all supported parts.
const FLASH_BASE: u32 = 0x0800_0000;
/// SRAM base address shared by all supported parts.
const RAM_BASE: u32 = 0x2000_0000;

/// Bootloader version from which the model offers Get Checksum (0xA1) when
/// a scenario turns it on without choosing a version.
///
/// None of the parts above lists 0xA1 by default: protocol.md says Get
/// Checksum exists "only on newer bootloaders", the F1 (v2.2) and F4 (v3.1)
/// Get replies in the application notes end at Readout Unprotect, and we
/// could not confirm from AN2606 which product's ROM lists it. So the command
/// is a scenario knob (`get_checksum`) that stands for such a newer ROM, and
/// this version number is inferred, not taken from a datasheet.
pub(crate) const CHECKSUM_VERSION: u8 = 0x33;

impl Part {
    /// Product ID returned by Get ID (0x02).
    pub fn pid(self) -> u16 {
        match self {
            Self::F103C8 | Self::F103Cb => 0x410,
            Self::F405 => 0x413,
            Self::G071 => 0x460,
        }
    }

    /// Flash base address (0x0800_0000).
    pub fn flash_base(self) -> u32 {
        FLASH_BASE
    }

    /// Flash size in bytes.
    pub fn flash_size(self) -> u32 {
        match self {
            Self::F103C8 => 64 * 1024,
            Self::F103Cb | Self::G071 => 128 * 1024,
            Self::F405 => 1024 * 1024,
        }
    }

    /// SRAM base address (0x2000_0000).
    pub fn ram_base(self) -> u32 {
        RAM_BASE
    }

    /// SRAM size in bytes (main SRAM only).
    pub fn ram_size(self) -> u32 {
        match self {
            Self::F103C8 | Self::F103Cb => 20 * 1024,
            Self::F405 => 128 * 1024,
            Self::G071 => 36 * 1024,
        }
    }

    /// Bootloader version byte (Get, Get Version).
    pub fn bootloader_version(self) -> u8 {
        match self {
            Self::F103C8 | Self::F103Cb => 0x22,
            Self::F405 | Self::G071 => 0x31,
        }
    }

    /// Whether the part's bootloader erases with Extended Erase (0x44)
    /// rather than the legacy Erase (0x43).
    pub fn extended_erase(self) -> bool {
        !matches!(self, Self::F103C8 | Self::F103Cb)
    }

    /// Erase units (pages or sectors) as `(offset from flash base, size)`.
    pub(crate) fn erase_units(self) -> Vec<(u32, u32)> {
        match self {
            Self::F405 => {
                let sizes =
                    [16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128].map(|k| k * 1024);
                let mut offset = 0;
                sizes
                    .iter()
                    .map(|&size| {
                        let unit = (offset, size);
                        offset += size;
                        unit
                    })
                    .collect()
            }
            _ => {
                let page = if self == Self::G071 { 2048 } else { 1024 };
                (0..self.flash_size() / page)
                    .map(|i| (i * page, page))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erase_units_cover_the_flash_exactly() {
        for part in [Part::F103C8, Part::F103Cb, Part::F405, Part::G071] {
            let units = part.erase_units();
            let mut next = 0;
            for (offset, size) in &units {
                assert_eq!(*offset, next);
                next += size;
            }
            assert_eq!(next, part.flash_size(), "{part:?}");
        }
        assert_eq!(Part::F405.erase_units().len(), 12);
        assert_eq!(Part::F103Cb.erase_units().len(), 128);
    }
}
