//! The journal in IndexedDB (through `rexie`): database `otaflash-journal` (or
//! `otaflash-journal-<scope>`, [`Journal::open_scoped`]) with two object stores.
//! - `jobs`, keyed by MCU component: `{format, kind: "transfer" | "verified", component,
//!   checkpoint (JSON text), to_version, bytes (Uint8Array, verified images only), saved_at
//!   (ms since the epoch)}`.
//! - `chunks`, keyed by `[component, offset]`: `{md5, bytes}`, the received bytes of a
//!   transfer, written as they arrive ([`ChunkPlan`]). A save reads the component's stored
//!   checkpoint, writes the new chunk and the new checkpoint in one transaction, so the
//!   checkpoint never describes bytes that are not stored.
//!
//! Bytes are stored as typed arrays (structured clone), not as text. Records that do not
//! decode or do not pass [`JournalEntry::problem`] are deleted on reading; a transfer whose
//! chunks do not rebuild its prefix ([`assemble`]) is deleted and reported with the reason,
//! so a half-written or foreign record never reaches the core.

use super::{
    assemble, coalesce, ChunkPlan, JournalEntry, JournalError, JournalOp, StoredChunk,
    VerifiedImage,
};
use futures::channel::mpsc;
use futures::StreamExt as _;
use js_sys::{Array, Object, Reflect, Uint8Array};
use otaflash_core::jobs::{ResumeRefusal, SotaCheckpoint, SotaResume};
use rexie::{KeyRange, ObjectStore, Rexie, Store, TransactionMode};
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::spawn_local;

const DATABASE: &str = "otaflash-journal";
const STORE: &str = "jobs";
const CHUNKS: &str = "chunks";
/// Bumped when the record layout changes; older records are dropped, not misread.
const FORMAT: f64 = 2.0;

/// What [`Journal::entries`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Usable entries.
    pub entries: Vec<JournalEntry>,
    /// Transfers that cannot be resumed (and were deleted), with the reason, by component.
    pub refused: Vec<(String, ResumeRefusal)>,
}

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
    /// Open (creating on first use, or upgrading) the journal database.
    pub async fn open() -> Result<Self, JournalError> {
        Self::open_named(DATABASE).await
    }

    /// Open a journal of its own for `scope` (a board's station): database
    /// `otaflash-journal-<scope>`, so two scopes never share a checkpoint.
    pub async fn open_scoped(scope: &str) -> Result<Self, JournalError> {
        Self::open_named(&format!("{DATABASE}-{scope}")).await
    }

    async fn open_named(name: &str) -> Result<Self, JournalError> {
        let db = Rexie::builder(name)
            .version(2)
            .add_object_store(ObjectStore::new(STORE))
            .add_object_store(ObjectStore::new(CHUNKS))
            .build()
            .await
            .map_err(|e| JournalError::Unavailable {
                detail: describe(&e),
            })?;
        Ok(Self { db: Rc::new(db) })
    }

    /// Every usable entry; unusable records are deleted on the way, and transfers whose
    /// bytes cannot be rebuilt are reported with the reason.
    pub async fn entries(&self) -> Result<Loaded, JournalError> {
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
        let mut loaded = Loaded::default();
        for (key, value) in keys.into_iter().zip(values) {
            let Some(component) = key.as_string() else {
                continue;
            };
            let entry = match decode(&value) {
                Some(Record::Transfer(checkpoint)) => {
                    match self.transfer_bytes(&checkpoint).await? {
                        Ok(received) => Some(JournalEntry::Transfer(SotaResume {
                            checkpoint,
                            received,
                        })),
                        Err(why) => {
                            loaded.refused.push((component.clone(), why));
                            None
                        }
                    }
                }
                Some(Record::Verified(image)) => Some(JournalEntry::Verified(image)),
                None => None,
            };
            match entry {
                Some(entry) if entry.problem().is_none() => loaded.entries.push(entry),
                _ => self.remove(&component).await?,
            }
        }
        Ok(loaded)
    }

    /// Store `entry`, replacing what the journal held for its component. A transfer writes
    /// only the bytes the store does not hold yet.
    pub async fn put(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        if let Some(why) = entry.problem() {
            return Err(JournalError::Failed { detail: why });
        }
        let component = JsValue::from_str(entry.component());
        let tx = self
            .db
            .transaction(&[STORE, CHUNKS], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let store = tx.store(STORE).map_err(failed)?;
        let chunks = tx.store(CHUNKS).map_err(failed)?;
        let stored = match store.get(component.clone()).await.map_err(failed)? {
            Some(record) => decode(&record),
            None => None,
        };
        match entry {
            JournalEntry::Transfer(resume) => {
                let stored = match &stored {
                    Some(Record::Transfer(checkpoint)) => Some(checkpoint),
                    _ => None,
                };
                let plan = ChunkPlan::for_save(stored, &resume.checkpoint);
                if plan.restart {
                    delete_chunks(&chunks, entry.component()).await?;
                }
                let new_bytes = usize::try_from(plan.start)
                    .ok()
                    .zip(usize::try_from(plan.end).ok())
                    .and_then(|(start, end)| resume.received.get(start..end))
                    .filter(|bytes| !bytes.is_empty());
                if let Some(bytes) = new_bytes {
                    let record = chunk_record(&resume.checkpoint.md5, bytes)?;
                    let key = chunk_key(entry.component(), plan.start);
                    chunks.put(&record, Some(&key)).await.map_err(failed)?;
                }
            }
            JournalEntry::Verified(_) => delete_chunks(&chunks, entry.component()).await?,
        }
        store
            .put(&encode(entry)?, Some(&component))
            .await
            .map_err(failed)?;
        tx.done().await.map_err(failed)?;
        Ok(())
    }

    /// Forget what the journal holds for `component`.
    pub async fn remove(&self, component: &str) -> Result<(), JournalError> {
        let tx = self
            .db
            .transaction(&[STORE, CHUNKS], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let store = tx.store(STORE).map_err(failed)?;
        store
            .delete(JsValue::from_str(component))
            .await
            .map_err(failed)?;
        delete_chunks(&tx.store(CHUNKS).map_err(failed)?, component).await?;
        tx.done().await.map_err(failed)?;
        Ok(())
    }

    /// The received prefix of `checkpoint`'s transfer, rebuilt from its chunks, or why not.
    async fn transfer_bytes(
        &self,
        checkpoint: &SotaCheckpoint,
    ) -> Result<Result<Arc<[u8]>, ResumeRefusal>, JournalError> {
        let tx = self
            .db
            .transaction(&[CHUNKS], TransactionMode::ReadOnly)
            .map_err(failed)?;
        let store = tx.store(CHUNKS).map_err(failed)?;
        let range = Some(component_range(&checkpoint.component)?);
        let keys = store
            .get_all_keys(range.clone(), None)
            .await
            .map_err(failed)?;
        let values = store.get_all(range, None).await.map_err(failed)?;
        tx.done().await.map_err(failed)?;
        let chunks = keys
            .iter()
            .zip(&values)
            .map(|(key, value)| decode_chunk(key, value))
            .collect::<Option<Vec<_>>>();
        Ok(match chunks {
            Some(chunks) => assemble(checkpoint, chunks),
            None => Err(ResumeRefusal::JournalDamaged { offset: 0 }),
        })
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

/// A `jobs` record, decoded.
enum Record {
    Transfer(SotaCheckpoint),
    Verified(VerifiedImage),
}

fn encode(entry: &JournalEntry) -> Result<JsValue, JournalError> {
    let record = Object::new();
    let set = |key: &str, value: &JsValue| set_field(&record, key, value);
    set("format", &JsValue::from_f64(FORMAT))?;
    set("component", &JsValue::from_str(entry.component()))?;
    set("saved_at", &JsValue::from_f64(js_sys::Date::now()))?;
    match entry {
        JournalEntry::Transfer(resume) => {
            let checkpoint =
                serde_json::to_string(&resume.checkpoint).map_err(|e| JournalError::Failed {
                    detail: e.to_string(),
                })?;
            set("kind", &JsValue::from_str("transfer"))?;
            set("checkpoint", &JsValue::from_str(&checkpoint))?;
        }
        JournalEntry::Verified(image) => {
            set("kind", &JsValue::from_str("verified"))?;
            set("to_version", &JsValue::from_str(&image.to_version))?;
            set("bytes", &Uint8Array::from(&image.image[..]).into())?;
        }
    }
    Ok(record.into())
}

fn decode(record: &JsValue) -> Option<Record> {
    let text = |key: &str| get_field(record, key).and_then(|v| v.as_string());
    if get_field(record, "format").and_then(|v| v.as_f64()) != Some(FORMAT) {
        return None;
    }
    match text("kind")?.as_str() {
        "transfer" => serde_json::from_str(&text("checkpoint")?)
            .ok()
            .map(Record::Transfer),
        "verified" => Some(Record::Verified(VerifiedImage {
            component: text("component")?,
            to_version: text("to_version")?,
            image: bytes_field(record)?.into(),
        })),
        _ => None,
    }
}

fn chunk_record(md5: &str, bytes: &[u8]) -> Result<JsValue, JournalError> {
    let record = Object::new();
    set_field(&record, "md5", &JsValue::from_str(md5))?;
    set_field(&record, "bytes", &Uint8Array::from(bytes).into())?;
    Ok(record.into())
}

fn decode_chunk(key: &JsValue, record: &JsValue) -> Option<StoredChunk> {
    let offset = Reflect::get(key, &JsValue::from_f64(1.0)).ok()?.as_f64()?;
    if !(offset >= 0.0 && offset.fract() == 0.0 && offset <= 2_f64.powi(53)) {
        return None;
    }
    Some(StoredChunk {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked above
        offset: offset as u64,
        md5: get_field(record, "md5")?.as_string()?,
        bytes: bytes_field(record)?,
    })
}

/// `[component, offset]`, the key of a chunk.
fn chunk_key(component: &str, offset: u64) -> JsValue {
    #[allow(clippy::cast_precision_loss)] // offsets are bounded by MAX_IMAGE_BYTES
    let offset = offset as f64;
    Array::of2(&JsValue::from_str(component), &JsValue::from_f64(offset)).into()
}

/// Every chunk key of `component`.
fn component_range(component: &str) -> Result<KeyRange, JournalError> {
    let lower = Array::of2(&JsValue::from_str(component), &JsValue::from_f64(0.0));
    let upper = Array::of2(
        &JsValue::from_str(component),
        &JsValue::from_f64(f64::INFINITY),
    );
    KeyRange::bound(&lower, &upper, None, None)
        .map_err(|e| JournalError::from_browser(e.to_string()))
}

async fn delete_chunks(chunks: &Store, component: &str) -> Result<(), JournalError> {
    let range = component_range(component)?;
    chunks.delete(range.into()).await.map_err(failed)
}

fn set_field(record: &Object, key: &str, value: &JsValue) -> Result<(), JournalError> {
    Reflect::set(record, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|_| JournalError::Failed {
            detail: format!("cannot build the record field {key}"),
        })
}

fn get_field(record: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(record, &JsValue::from_str(key)).ok()
}

fn bytes_field(record: &JsValue) -> Option<Vec<u8>> {
    let bytes = get_field(record, "bytes")?;
    bytes
        .is_instance_of::<Uint8Array>()
        .then(|| Uint8Array::from(bytes).to_vec())
}

fn failed(e: rexie::Error) -> JournalError {
    JournalError::from_browser(describe(&e))
}

/// rexie's errors say "idb error"; the idb error inside names the operation and carries
/// the browser's DOMException as "Name: message" (e.g. "QuotaExceededError: …").
fn describe(e: &rexie::Error) -> String {
    match std::error::Error::source(e) {
        Some(inner) => inner.to_string(),
        None => e.to_string(),
    }
}
