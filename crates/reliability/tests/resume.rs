//! Matrix (d): the module link dropped at every read boundary and mid-read of a 1 MiB SOTA
//! transfer (1024-byte reads), restored two seconds later. CI runs all 2048 drops in one
//! job plus every 128th point as its own job; the report script runs every point as its
//! own job (`--ignored`).

use otaflash_reliability::resume::{every_point_in_one_job, matrix, Figures, READS};

fn check(figures: &Figures, label: &str) {
    println!(
        "{label}: sota resume points tried = {}, resumed with the right SHA-256 = {}",
        figures.tried, figures.passed
    );
    assert!(figures.failed.is_empty(), "{:#?}", figures.failed);
    assert_eq!(figures.passed, figures.tried);
}

#[test]
fn a_drop_at_every_read_boundary_and_mid_read_in_one_job_still_ends_with_the_image() {
    let run = every_point_in_one_job();
    println!(
        "figure: sota drops in one 1 MiB job = {}, re-read 1 KiB reads = {}, result = {}",
        run.drops, run.rereads, run.code
    );
    assert_eq!(run.drops, 2 * READS, "every point was hit: {run:?}");
    assert!(run.passed(), "{run:?}");
}

#[test]
fn every_128th_point_as_its_own_job_resumes() {
    check(&matrix(128), "figure (sampled)");
}

#[test]
#[ignore = "2048 jobs of 1 MiB each: scripts/reliability-report runs it in release"]
fn every_point_as_its_own_job_resumes() {
    check(&matrix(1), "figure");
}
