//! The STM32 parts we know by product ID (Get ID): flash base, family-maximum size,
//! page/sector layout and where the chip stores its real flash size.
//!
//! Sizes are the *family maximum* (as in stm32flash's `dev_table.c`); the programmer
//! reads the flash-size register to learn the actual part's size. Page numbers are
//! consecutive across the layout runs, which is also how the bootloader numbers them for
//! Extended Erase (F4 sectors 0..11, L4 pages 0..511).

/// A run of equally sized erase units (pages or sectors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// How many units.
    pub count: u16,
    /// Bytes per unit.
    pub size: u32,
}

/// One entry of the part table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// Product ID from Get ID.
    pub pid: u16,
    /// Family name shown to the technician.
    pub name: &'static str,
    /// First flash address.
    pub flash_base: u32,
    /// Largest flash of the family, in bytes.
    pub flash_size: u32,
    /// Erase units from `flash_base` upwards.
    pub layout: &'static [Run],
    /// Address of the 16-bit "flash size in KiB" register, if the family has one.
    pub flash_size_register: Option<u32>,
}

/// One erase unit of a part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Page / sector number as the bootloader's erase commands expect it.
    pub number: u16,
    /// First address.
    pub address: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Part {
    /// The table entry for `pid`.
    pub fn lookup(pid: u16) -> Option<&'static Self> {
        PARTS.iter().find(|p| p.pid == pid)
    }

    /// Every known part (for documentation and tests).
    pub fn all() -> &'static [Self] {
        PARTS
    }

    /// The erase unit holding `address`, if it lies within the first `flash_size` bytes.
    pub fn page_at(&self, address: u32, flash_size: u32) -> Option<Page> {
        let offset = address.checked_sub(self.flash_base)?;
        if offset >= flash_size {
            return None;
        }
        let mut start = 0u32;
        let mut number = 0u16;
        for run in self.layout {
            let len = run.size.checked_mul(u32::from(run.count))?;
            if offset < start.checked_add(len)? {
                let index = (offset - start) / run.size;
                return Some(Page {
                    number: number.checked_add(u16::try_from(index).ok()?)?,
                    address: self.flash_base + start + index * run.size,
                    size: run.size,
                });
            }
            start = start.checked_add(len)?;
            number = number.checked_add(run.count)?;
        }
        None
    }
}

const KIB: u32 = 1024;
const F0_SIZE_REG: u32 = 0x1FFF_F7CC;
const F1_SIZE_REG: u32 = 0x1FFF_F7E0;
const F4_SIZE_REG: u32 = 0x1FFF_7A22;
const G0_L4_SIZE_REG: u32 = 0x1FFF_75E0;
const FLASH: u32 = 0x0800_0000;

const PAGES_128X1K: &[Run] = &[Run {
    count: 128,
    size: KIB,
}];
const PAGES_128X2K: &[Run] = &[Run {
    count: 128,
    size: 2 * KIB,
}];
const PAGES_256X2K: &[Run] = &[Run {
    count: 256,
    size: 2 * KIB,
}];
const PAGES_32X1K: &[Run] = &[Run {
    count: 32,
    size: KIB,
}];
const PAGES_32X2K: &[Run] = &[Run {
    count: 32,
    size: 2 * KIB,
}];
const PAGES_512X2K: &[Run] = &[Run {
    count: 512,
    size: 2 * KIB,
}];
const PAGES_64X1K: &[Run] = &[Run {
    count: 64,
    size: KIB,
}];
const PAGES_64X2K: &[Run] = &[Run {
    count: 64,
    size: 2 * KIB,
}];
const F4_1M: &[Run] = &[
    Run {
        count: 4,
        size: 16 * KIB,
    },
    Run {
        count: 1,
        size: 64 * KIB,
    },
    Run {
        count: 7,
        size: 128 * KIB,
    },
];
const F4_2M: &[Run] = &[
    Run {
        count: 4,
        size: 16 * KIB,
    },
    Run {
        count: 1,
        size: 64 * KIB,
    },
    Run {
        count: 7,
        size: 128 * KIB,
    },
    Run {
        count: 4,
        size: 16 * KIB,
    },
    Run {
        count: 1,
        size: 64 * KIB,
    },
    Run {
        count: 7,
        size: 128 * KIB,
    },
];
const F4_512K: &[Run] = &[
    Run {
        count: 4,
        size: 16 * KIB,
    },
    Run {
        count: 1,
        size: 64 * KIB,
    },
    Run {
        count: 3,
        size: 128 * KIB,
    },
];
const F4_256K: &[Run] = &[
    Run {
        count: 4,
        size: 16 * KIB,
    },
    Run {
        count: 1,
        size: 64 * KIB,
    },
    Run {
        count: 1,
        size: 128 * KIB,
    },
];

const fn part(
    pid: u16,
    name: &'static str,
    flash_size: u32,
    layout: &'static [Run],
    reg: u32,
) -> Part {
    Part {
        pid,
        name,
        flash_base: FLASH,
        flash_size,
        layout,
        flash_size_register: Some(reg),
    }
}

static PARTS: &[Part] = &[
    // F0: 1 KiB pages up to 64 KiB, 2 KiB pages above.
    part(0x444, "STM32F03xx4/6", 32 * KIB, PAGES_32X1K, F0_SIZE_REG),
    part(
        0x445,
        "STM32F04xxx/F070x6",
        32 * KIB,
        PAGES_32X1K,
        F0_SIZE_REG,
    ),
    part(
        0x440,
        "STM32F030x8/F05xxx",
        64 * KIB,
        PAGES_64X1K,
        F0_SIZE_REG,
    ),
    part(
        0x448,
        "STM32F070xB/F071xx/F072xx",
        128 * KIB,
        PAGES_64X2K,
        F0_SIZE_REG,
    ),
    part(
        0x442,
        "STM32F030xC/F09xxx",
        256 * KIB,
        PAGES_128X2K,
        F0_SIZE_REG,
    ),
    // F1: low/medium density 1 KiB pages, high/XL density and connectivity line 2 KiB.
    part(
        0x412,
        "STM32F10xxx low-density",
        32 * KIB,
        PAGES_32X1K,
        F1_SIZE_REG,
    ),
    part(
        0x410,
        "STM32F10xxx medium-density",
        128 * KIB,
        PAGES_128X1K,
        F1_SIZE_REG,
    ),
    part(
        0x414,
        "STM32F10xxx high-density",
        512 * KIB,
        PAGES_256X2K,
        F1_SIZE_REG,
    ),
    part(
        0x430,
        "STM32F10xxx XL-density",
        1024 * KIB,
        PAGES_512X2K,
        F1_SIZE_REG,
    ),
    part(
        0x418,
        "STM32F105/F107",
        256 * KIB,
        PAGES_128X2K,
        F1_SIZE_REG,
    ),
    // F4: sectors of 16/64/128 KiB; dual-bank parts repeat the pattern as sectors 12..23.
    part(
        0x413,
        "STM32F405/F407/F415/F417",
        1024 * KIB,
        F4_1M,
        F4_SIZE_REG,
    ),
    part(0x419, "STM32F42xxx/F43xxx", 2048 * KIB, F4_2M, F4_SIZE_REG),
    part(0x423, "STM32F401xB/C", 256 * KIB, F4_256K, F4_SIZE_REG),
    part(0x433, "STM32F401xD/E", 512 * KIB, F4_512K, F4_SIZE_REG),
    part(0x431, "STM32F411xx", 512 * KIB, F4_512K, F4_SIZE_REG),
    part(0x421, "STM32F446xx", 512 * KIB, F4_512K, F4_SIZE_REG),
    // G0 and L4: 2 KiB pages.
    part(
        0x466,
        "STM32G03xxx/G04xxx",
        64 * KIB,
        PAGES_32X2K,
        G0_L4_SIZE_REG,
    ),
    part(
        0x460,
        "STM32G07xxx/G08xxx",
        128 * KIB,
        PAGES_64X2K,
        G0_L4_SIZE_REG,
    ),
    part(
        0x435,
        "STM32L43xxx/L44xxx",
        256 * KIB,
        PAGES_128X2K,
        G0_L4_SIZE_REG,
    ),
    part(
        0x462,
        "STM32L45xxx/L46xxx",
        512 * KIB,
        PAGES_256X2K,
        G0_L4_SIZE_REG,
    ),
    part(
        0x415,
        "STM32L47xxx/L48xxx",
        1024 * KIB,
        PAGES_512X2K,
        G0_L4_SIZE_REG,
    ),
];
