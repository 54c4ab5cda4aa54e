//! The STM32 parts the bootloader model can impersonate, with their flash
//! geometry and bootloader command sets (from AN2606/AN3155 and stm32flash's
//! device table). Only what the programming flow needs is described.

use serde::{Deserialize, Serialize};

/// A simulated STM32 part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// STM32F103x8: PID 0x410, 64 KiB in 1 KiB pages, bootloader 2.2, legacy Erase (0x43).
    F103C8,
    /// STM32F103xB: PID 0x410, 128 KiB in 1 KiB pages, bootloader 2.2, legacy Erase (0x43).
    F103Cb,
    /// STM32F405/407: PID 0x413, 1 MiB in sectors 4×16K, 1×64K, 7×128K, bootloader 3.1, Extended Erase (0x44).
    F405,
    /// STM32G07x/G08x: PID 0x460, 128 KiB in 2 KiB pages, Extended Erase, Get Checksum offered.
    G071,
}

/// Flash base address shared by all supported parts.
pub(crate) const FLASH_BASE: u32 = 0x0800_0000;

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
}
