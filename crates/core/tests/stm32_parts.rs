//! The part table: page/sector lookup for uniform and F4 sector layouts.

use otaflash_core::stm32::{Page, Part};

#[test]
fn f4_sectors_are_numbered_across_runs() {
    let f405 = Part::lookup(0x413).expect("F405 known");
    let size = f405.flash_size;
    let at = |address| f405.page_at(address, size);
    assert_eq!(
        at(0x0800_0000),
        Some(Page {
            number: 0,
            address: 0x0800_0000,
            size: 16 * 1024
        })
    );
    assert_eq!(
        at(0x0800_FFFF),
        Some(Page {
            number: 3,
            address: 0x0800_C000,
            size: 16 * 1024
        })
    );
    assert_eq!(
        at(0x0801_0000),
        Some(Page {
            number: 4,
            address: 0x0801_0000,
            size: 64 * 1024
        })
    );
    assert_eq!(
        at(0x0802_0000),
        Some(Page {
            number: 5,
            address: 0x0802_0000,
            size: 128 * 1024
        })
    );
    assert_eq!(
        at(0x080F_FFFF),
        Some(Page {
            number: 11,
            address: 0x080E_0000,
            size: 128 * 1024
        })
    );
    assert_eq!(at(0x0810_0000), None);
    assert_eq!(at(0x07FF_FFFF), None);
    // A smaller real flash (from the size register) cuts the layout short.
    assert_eq!(f405.page_at(0x0808_0000, 512 * 1024), None);
}

#[test]
fn uniform_pages_and_dual_bank_numbering() {
    let f103 = Part::lookup(0x410).expect("F103 known");
    assert_eq!(
        f103.page_at(0x0800_0BFF, f103.flash_size).map(|p| p.number),
        Some(2)
    );
    let f42x = Part::lookup(0x419).expect("F42x known");
    assert_eq!(
        f42x.page_at(0x0810_0000, f42x.flash_size)
            .map(|p| (p.number, p.size)),
        Some((12, 16 * 1024))
    );
}

#[test]
fn every_layout_covers_exactly_its_flash_size() {
    for part in Part::all() {
        let total: u64 = part
            .layout
            .iter()
            .map(|r| u64::from(r.count) * u64::from(r.size))
            .sum();
        assert_eq!(total, u64::from(part.flash_size), "{}", part.name);
        let last = part.flash_base + part.flash_size - 1;
        assert!(
            part.page_at(last, part.flash_size).is_some(),
            "{}",
            part.name
        );
    }
    let mut pids: Vec<u16> = Part::all().iter().map(|p| p.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), Part::all().len(), "duplicate PID");
}
