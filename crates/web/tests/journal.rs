//! The job journal against the browser's real IndexedDB (headless Chromium through
//! wasm-bindgen-test): entries survive a reopen byte for byte, one entry per component,
//! transfers are stored in chunks that rebuild the prefix (a damaged chunk refuses the
//! transfer), and the writer applies queued operations in order.
#![cfg(target_arch = "wasm32")]

use otaflash_core::jobs::{ResumeRefusal, SotaCheckpoint, SotaResume};
use otaflash_web::{Journal, JournalEntry, JournalOp, JournalWriter, VerifiedImage};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn transfer(component: &str, received: usize) -> JournalEntry {
    let bytes: Vec<u8> = (0..received).map(|i| (i % 251) as u8).collect();
    JournalEntry::Transfer(SotaResume {
        checkpoint: SotaCheckpoint {
            component: component.into(),
            from_version: "1_0_0".into(),
            to_version: "2_0_0".into(),
            total_size: 8192,
            md5: "0f".repeat(16),
            sha256: Some("aa".repeat(32)),
            crc: 42,
            next_offset: received as u64,
            block_start: 0,
            block_end: 8192,
            read_max: 1024,
        },
        received: bytes.into(),
    })
}

fn verified(component: &str) -> JournalEntry {
    JournalEntry::Verified(VerifiedImage {
        component: component.into(),
        to_version: "2_0_0".into(),
        image: vec![0xa5_u8; 3000].into(),
    })
}

async fn empty_journal() -> Journal {
    let journal = Journal::open().await.expect("IndexedDB opens");
    for entry in journal.entries().await.expect("entries").entries {
        journal.remove(entry.component()).await.expect("remove");
    }
    journal
}

async fn sorted_entries(journal: &Journal) -> Vec<JournalEntry> {
    let mut entries = journal.entries().await.expect("entries").entries;
    entries.sort_by(|a, b| a.component().cmp(b.component()));
    entries
}

#[wasm_bindgen_test]
async fn entries_survive_a_reopen_and_replace_each_other_per_component() {
    let journal = empty_journal().await;
    journal.put(&transfer("STM32", 4096)).await.expect("put");
    journal.put(&verified("GD32")).await.expect("put");

    let reopened = Journal::open().await.expect("reopen");
    let entries = sorted_entries(&reopened).await;
    assert_eq!(entries, vec![verified("GD32"), transfer("STM32", 4096)]);

    // A verified image replaces the component's transfer; removing leaves the other alone.
    reopened.put(&verified("STM32")).await.expect("put");
    reopened.remove("GD32").await.expect("remove");
    assert_eq!(sorted_entries(&reopened).await, vec![verified("STM32")]);
}

#[wasm_bindgen_test]
async fn a_transfer_saved_checkpoint_by_checkpoint_reads_back_whole() {
    let journal = empty_journal().await;
    for received in [0, 1024, 1024, 4096, 8192] {
        journal
            .put(&transfer("STM32", received))
            .await
            .expect("put");
    }
    assert_eq!(
        sorted_entries(&journal).await,
        vec![transfer("STM32", 8192)]
    );
    // The module started the file over: the old chunks go, the new prefix reads back.
    journal.put(&transfer("STM32", 2048)).await.expect("put");
    assert_eq!(
        sorted_entries(&journal).await,
        vec![transfer("STM32", 2048)]
    );
}

#[wasm_bindgen_test]
async fn a_missing_chunk_refuses_the_transfer_with_a_reason() {
    let journal = empty_journal().await;
    journal.put(&transfer("STM32", 1024)).await.expect("put");
    journal.put(&transfer("STM32", 4096)).await.expect("put");
    // Lose the chunk at 1024 behind the journal's back.
    let db = rexie::Rexie::builder("otaflash-journal")
        .build()
        .await
        .expect("db");
    let tx = db
        .transaction(&["chunks"], rexie::TransactionMode::ReadWrite)
        .expect("tx");
    let key = js_sys::Array::of2(&"STM32".into(), &1024.0.into());
    tx.store("chunks")
        .expect("store")
        .delete(key.into())
        .await
        .expect("delete");
    tx.done().await.expect("done");
    db.close();

    let loaded = journal.entries().await.expect("entries");
    assert!(loaded.entries.is_empty());
    assert_eq!(
        loaded.refused,
        vec![(
            "STM32".to_owned(),
            ResumeRefusal::JournalDamaged { offset: 1024 }
        )]
    );
    // The refused transfer was dropped: the next read finds nothing to refuse.
    assert!(journal.entries().await.expect("entries").refused.is_empty());
}

#[wasm_bindgen_test]
async fn bytes_that_do_not_match_the_checkpoint_are_refused() {
    let journal = empty_journal().await;
    let JournalEntry::Transfer(mut resume) = transfer("STM32", 2048) else {
        unreachable!("transfer() builds a transfer");
    };
    resume.checkpoint.next_offset = 4096;
    assert!(journal.put(&JournalEntry::Transfer(resume)).await.is_err());
    assert!(journal.entries().await.expect("entries").entries.is_empty());
}

#[wasm_bindgen_test]
async fn the_writer_applies_operations_in_order() {
    let journal = empty_journal().await;
    let writer = JournalWriter::start(journal.clone(), |e| panic!("journal write failed: {e}"));
    writer.apply(JournalOp::Save(transfer("STM32", 1024)));
    writer.apply(JournalOp::Save(transfer("STM32", 2048)));
    writer.apply(JournalOp::Save(verified("GD32")));
    writer.apply(JournalOp::Clear("GD32".into()));
    writer.apply(JournalOp::Save(transfer("STM32", 3072)));
    let mut last = Vec::new();
    for _ in 0..50 {
        gloo_timers::future::TimeoutFuture::new(20).await;
        last = sorted_entries(&journal).await;
        if last == vec![transfer("STM32", 3072)] {
            return;
        }
    }
    panic!("the journal ended as {last:?}");
}
