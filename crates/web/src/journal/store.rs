//! The journal in IndexedDB (through `rexie`): database `otaflash-journal`, one object
//! store `jobs`, keyed by MCU component. A record is a plain object
//! `{format, kind: "transfer" | "verified", component, checkpoint (JSON text), to_version,
//! bytes (Uint8Array), saved_at (ms since the epoch)}`; bytes are stored as a typed array
//! (structured clone), not as text.
//!
//! Records that do not decode or do not pass [`JournalEntry::problem`] are skipped on
//! reading and deleted, so a half-written or foreign record never reaches the core.

use super::{coalesce, JournalEntry, JournalError, JournalOp, VerifiedImage};
use futures::channel::mpsc;
use futures::StreamExt as _;
use js_sys::{Object, Reflect, Uint8Array};
use otaflash_core::jobs::{SotaCheckpoint, SotaResume};
use rexie::{ObjectStore, Rexie, TransactionMode};
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::spawn_local;

const DATABASE: &str = "otaflash-journal";
const STORE: &str = "jobs";
/// Bumped when the record layout changes; older records are dropped, not misread.
const FORMAT: f64 = 1.0;

/// An open journal. Cheap to clone (one shared database connection).
#[derive(Clone)]
pub struct Journal {
    db: Rc<Rexie>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Journal")
    }
}

impl Journal {
    /// Open (creating on first use) the journal database.
    pub async fn open() -> Result<Self, JournalError> {
        let db = Rexie::builder(DATABASE)
            .version(1)
            .add_object_store(ObjectStore::new(STORE))
            .build()
            .await
            .map_err(|e| JournalError::Unavailable(describe(&e)))?;
        Ok(Self { db: Rc::new(db) })
    }

    /// Every usable entry (invalid records are deleted on the way).
    pub async fn entries(&self) -> Result<Vec<JournalEntry>, JournalError> {
        let (keys, values) = {
            let tx = self
                .db
                .transaction(&[STORE], TransactionMode::ReadOnly)
                .map_err(failed)?;
            let store = tx.store(STORE).map_err(failed)?;
            let keys = store.get_all_keys(None, None).await.map_err(failed)?;
            let values = store.get_all(None, None).await.map_err(failed)?;
            tx.done().await.map_err(failed)?;
            (keys, values)
        };
        let mut entries = Vec::new();
        for (key, value) in keys.into_iter().zip(values) {
            match decode(&value) {
                Some(entry) if entry.problem().is_none() => entries.push(entry),
                _ => {
                    if let Some(component) = key.as_string() {
                        self.remove(&component).await?;
                    }
                }
            }
        }
        Ok(entries)
    }

    /// Store `entry`, replacing what the journal held for its component.
    pub async fn put(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        if let Some(why) = entry.problem() {
            return Err(JournalError::Failed(why));
        }
        let record = encode(entry)?;
        let tx = self
            .db
            .transaction(&[STORE], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let store = tx.store(STORE).map_err(failed)?;
        store
            .put(&record, Some(&JsValue::from_str(entry.component())))
            .await
            .map_err(failed)?;
        tx.done().await.map_err(failed)?;
        Ok(())
    }

    /// Forget what the journal holds for `component`.
    pub async fn remove(&self, component: &str) -> Result<(), JournalError> {
        let tx = self
            .db
            .transaction(&[STORE], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let store = tx.store(STORE).map_err(failed)?;
        store
            .delete(JsValue::from_str(component))
            .await
            .map_err(failed)?;
        tx.done().await.map_err(failed)?;
        Ok(())
    }
}

/// Applies [`JournalOp`]s one at a time, in order, on a background task, so checkpoints
/// emitted faster than IndexedDB writes cannot reorder; of several saves queued for one
/// component only the newest is written.
#[derive(Debug, Clone)]
pub struct JournalWriter {
    ops: mpsc::UnboundedSender<JournalOp>,
}

impl JournalWriter {
    /// Start the writer on `journal`; `on_error` hears of each failed operation.
    pub fn start(journal: Journal, mut on_error: impl FnMut(JournalError) + 'static) -> Self {
        let (ops, mut inbox) = mpsc::unbounded::<JournalOp>();
        spawn_local(async move {
            while let Some(first) = inbox.next().await {
                let mut batch = vec![first];
                while let Ok(op) = inbox.try_recv() {
                    batch.push(op);
                }
                for op in coalesce(batch) {
                    let done = match &op {
                        JournalOp::Save(entry) => journal.put(entry).await,
                        JournalOp::Clear(component) => journal.remove(component).await,
                    };
                    if let Err(e) = done {
                        on_error(e);
                    }
                }
            }
        });
        Self { ops }
    }

    /// Queue an operation (ignored once the page is shutting down).
    pub fn apply(&self, op: JournalOp) {
        let _ = self.ops.unbounded_send(op);
    }
}

fn encode(entry: &JournalEntry) -> Result<JsValue, JournalError> {
    let record = Object::new();
    let set = |key: &str, value: &JsValue| {
        Reflect::set(&record, &JsValue::from_str(key), value)
            .map(|_| ())
            .map_err(|_| JournalError::Failed(format!("cannot build the record field {key}")))
    };
    set("format", &JsValue::from_f64(FORMAT))?;
    set("component", &JsValue::from_str(entry.component()))?;
    set("saved_at", &JsValue::from_f64(js_sys::Date::now()))?;
    match entry {
        JournalEntry::Transfer(resume) => {
            let checkpoint = serde_json::to_string(&resume.checkpoint)
                .map_err(|e| JournalError::Failed(e.to_string()))?;
            set("kind", &JsValue::from_str("transfer"))?;
            set("checkpoint", &JsValue::from_str(&checkpoint))?;
            set("bytes", &Uint8Array::from(&resume.received[..]).into())?;
        }
        JournalEntry::Verified(image) => {
            set("kind", &JsValue::from_str("verified"))?;
            set("to_version", &JsValue::from_str(&image.to_version))?;
            set("bytes", &Uint8Array::from(&image.image[..]).into())?;
        }
    }
    Ok(record.into())
}

fn decode(record: &JsValue) -> Option<JournalEntry> {
    let get = |key: &str| Reflect::get(record, &JsValue::from_str(key)).ok();
    let text = |key: &str| get(key).and_then(|v| v.as_string());
    if get("format").and_then(|v| v.as_f64()) != Some(FORMAT) {
        return None;
    }
    let bytes = get("bytes")?;
    if !bytes.is_instance_of::<Uint8Array>() {
        return None;
    }
    let bytes: Arc<[u8]> = Uint8Array::from(bytes).to_vec().into();
    match text("kind")?.as_str() {
        "transfer" => {
            let checkpoint: SotaCheckpoint = serde_json::from_str(&text("checkpoint")?).ok()?;
            Some(JournalEntry::Transfer(SotaResume {
                checkpoint,
                received: bytes,
            }))
        }
        "verified" => Some(JournalEntry::Verified(VerifiedImage {
            component: text("component")?,
            to_version: text("to_version")?,
            image: bytes,
        })),
        _ => None,
    }
}

fn failed(e: rexie::Error) -> JournalError {
    JournalError::Failed(describe(&e))
}

/// rexie's errors say "idb error"; the browser's DOMException inside says what happened.
fn describe(e: &rexie::Error) -> String {
    format!("{e:?}")
}
