//! Matrix (a): the link cut at every bootloader command of a 64 KiB flash, then re-run
//! from the kept image. CI runs every 37th index (both cut kinds); the report script runs
//! the whole matrix (`--ignored`).

use otaflash_reliability::stm32_cuts::{clean_command_count, matrix, point, Cut, Figures};

fn check(figures: &Figures, label: &str) {
    println!(
        "{label}: stm32 cut points tried = {}, passed = {} ({} commands per clean 64 KiB flash)",
        figures.tried, figures.passed, figures.commands
    );
    println!(
        "{label}: stm32 false successes = {}",
        figures.false_successes
    );
    assert!(
        figures.commands > 400,
        "a 64 KiB flash takes hundreds of commands: {figures:?}"
    );
    assert_eq!(figures.false_successes, 0, "{:#?}", figures.failed);
    assert!(figures.failed.is_empty(), "{:#?}", figures.failed);
    assert_eq!(figures.passed, figures.tried);
}

#[test]
fn every_37th_command_cut_recovers_on_a_rerun_without_false_success() {
    check(&matrix(37), "figure (sampled)");
}

#[test]
#[ignore = "full matrix, about a thousand 64 KiB flashes: scripts/reliability-report runs it"]
fn every_command_cut_recovers_on_a_rerun_without_false_success() {
    check(&matrix(1), "figure");
}

#[test]
fn a_cut_during_the_writes_fails_honestly_first() {
    let writes = clean_command_count() / 3;
    for cut in [Cut::Wire, Cut::Unplug] {
        let p = point(writes, cut);
        assert_ne!(p.first_code, "success", "{p:?}");
        assert!(p.passed(), "{p:?}");
    }
}
