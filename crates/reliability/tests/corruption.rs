//! Matrix (b): a thousand seeded single-bit corruptions of the transferred SOTA image, each
//! rejected by the hash before the bootloader sees a single command.

use otaflash_reliability::corruption::{matrix, run};

#[test]
fn a_thousand_single_bit_corruptions_are_rejected_before_any_erase() {
    let figures = matrix(1000);
    println!(
        "figure: corrupt images rejected before erase = {}/{}",
        figures.rejected_before_erase, figures.runs
    );
    assert_eq!(figures.runs, 1000);
    assert!(figures.failed.is_empty(), "{:#?}", figures.failed);
}

#[test]
fn the_flip_lands_where_the_seed_says_and_is_reported_as_integrity() {
    let r = run(7);
    assert!(r.injected, "{r:?}");
    assert_eq!(r.code, "integrity");
    assert_eq!((r.mcu_commands, r.mcu_erases_writes), (0, 0));
}
