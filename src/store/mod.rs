//! The SQLite store: one file, WAL, one writer, a few read-only readers.
//!
//! SQL never runs on an async worker thread. [`Store::read`] runs a closure on a
//! blocking thread with a pooled `query_only` connection; [`Store::write`] queues
//! a closure for the single writer thread, which commits every queued job in one
//! `BEGIN IMMEDIATE` transaction (group commit, each job inside its own savepoint
//! so one failure does not undo its neighbours) and answers each job only after
//! that commit is on disk (`synchronous=FULL`). Both waits are bounded and map to
//! [`Error::Busy`] (503).
//!
//! Store functions in the submodules are plain sync fns over `&Connection`, so
//! they compose in one transaction, unit-test without tokio and serve the CLI.

pub mod assignments;
pub mod audit;
pub mod cases;
pub mod documents;
pub mod enterprises;
pub mod grids;
pub mod media;
pub mod migrate;
pub mod patrols;
pub mod people;
pub mod rivers;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::error::{Error, Msg, Result};

/// How often the background thread checkpoints the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Most jobs the writer folds into one transaction.
const MAX_BATCH: usize = 256;

/// Opens a connection with the pragmas every connection needs.
pub fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )?;
    Ok(conn)
}

/// Opens the database file for one-shot work (the CLI): pragmas set, schema migrated.
pub fn open_migrated(path: &Path) -> Result<Connection> {
    let mut conn = open_connection(path)?;
    migrate::run(&mut conn)?;
    Ok(conn)
}

/// Tuning knobs of the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Number of pooled read-only connections.
    pub readers: usize,
    /// Most write jobs admitted at once (queued or running).
    pub write_queue: usize,
    /// How long a request waits for a reader or a write slot before 503.
    pub wait: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { readers: 4, write_queue: 1024, wait: Duration::from_secs(5) }
    }
}

/// A queued write, type-erased for the writer thread.
trait WriteJob: Send {
    /// Runs the closure; true when it succeeded (its savepoint is kept).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, commit: std::result::Result<(), String>);
}

struct Job<T, F> {
    work: Option<F>,
    outcome: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
    _permit: OwnedSemaphorePermit,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let work = self.work.take().expect("a job runs once");
        let outcome = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(Error::Internal(anyhow::anyhow!("a write job panicked"))));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, commit: std::result::Result<(), String>) {
        let outcome = self.outcome.expect("finish follows run");
        let answer = match (commit, outcome) {
            (Ok(()), outcome) => outcome,
            (Err(_), Err(e)) => Err(e),
            (Err(e), Ok(_)) => Err(Error::Internal(anyhow::anyhow!("commit failed: {e}"))),
        };
        // The caller may have gone away (client disconnected); the write stands.
        let _ = self.reply.send(answer);
    }
}

struct Inner {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    reader_permits: Arc<Semaphore>,
    writer: Mutex<mpsc::Sender<Box<dyn WriteJob>>>,
    write_permits: Arc<Semaphore>,
    wait: Duration,
}

/// The async facade over the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

fn busy(what_zh: &str, what_en: &str) -> Error {
    Error::Busy(Msg::new(
        format!("系统繁忙（{what_zh}），请稍后重试"),
        format!("the system is busy ({what_en}), please retry shortly"),
    ))
}

impl Store {
    /// Opens (creating if needed) and migrates the database, starts the writer
    /// thread and opens the readers.
    pub fn open(path: &Path, options: &StoreOptions) -> Result<Self> {
        let writer_conn = open_migrated(path)?;
        // Commits never checkpoint inline (a stall on the write path); a
        // background thread checkpoints passively instead.
        writer_conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpointer = open_connection(path)?;
        let mut readers = Vec::with_capacity(options.readers);
        for _ in 0..options.readers.max(1) {
            let conn = open_connection(path)?;
            conn.execute_batch("PRAGMA query_only = ON;")?;
            readers.push(conn);
        }
        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        std::thread::Builder::new()
            .name("gridsafe-writer".into())
            .spawn(move || writer_loop(&writer_conn, &rx))
            .map_err(|e| Error::Internal(anyhow::anyhow!("cannot start the writer thread: {e}")))?;
        let store = Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                reader_permits: Arc::new(Semaphore::new(readers.len())),
                readers: Mutex::new(readers),
                writer: Mutex::new(tx),
                write_permits: Arc::new(Semaphore::new(options.write_queue.max(1))),
                wait: options.wait,
            }),
        };
        let alive = Arc::downgrade(&store.inner);
        std::thread::Builder::new()
            .name("gridsafe-checkpoint".into())
            .spawn(move || {
                // Ends with the last handle on the store.
                while alive.upgrade().is_some() {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    if let Err(e) = checkpointer.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
                        tracing::warn!(error = %e, "background checkpoint failed");
                    }
                }
            })
            .map_err(|e| Error::Internal(anyhow::anyhow!("cannot start the checkpoint thread: {e}")))?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a pooled read-only connection, off the async threads.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = tokio::time::timeout(self.inner.wait, self.inner.reader_permits.clone().acquire_owned())
            .await
            .map_err(|_| busy("读连接已满", "no reader free"))?
            .map_err(|_| busy("存储已关闭", "store closed"))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner
                .readers
                .lock()
                .expect("reader pool lock poisoned")
                .pop()
                .expect("a permit guarantees a free reader");
            let result = catch_unwind(AssertUnwindSafe(|| f(&conn)));
            inner.readers.lock().expect("reader pool lock poisoned").push(conn);
            drop(permit);
            result.unwrap_or_else(|_| Err(Error::Internal(anyhow::anyhow!("a read job panicked"))))
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("read task failed: {e}")))?
    }

    /// Queues `f` for the writer. Resolves only after the transaction holding
    /// it has committed (or with the error that undid it).
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = tokio::time::timeout(self.inner.wait, self.inner.write_permits.clone().acquire_owned())
            .await
            .map_err(|_| busy("写队列已满", "write queue full"))?
            .map_err(|_| busy("存储已关闭", "store closed"))?;
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(Job { work: Some(f), outcome: None, reply, _permit: permit });
        self.inner
            .writer
            .lock()
            .expect("writer sender lock poisoned")
            .send(job)
            .map_err(|_| Error::Internal(anyhow::anyhow!("the writer thread has stopped")))?;
        answer.await.map_err(|_| Error::Internal(anyhow::anyhow!("the writer dropped a job")))?
    }
}

/// The single writer: take what is queued, run it in one transaction, commit, answer.
fn writer_loop(conn: &Connection, rx: &mpsc::Receiver<Box<dyn WriteJob>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "cannot begin a write transaction");
            for job in batch {
                job.finish(Err(e.to_string()));
            }
            continue;
        }
        let mut i = 0;
        while i < batch.len() {
            run_in_savepoint(conn, batch[i].as_mut());
            i += 1;
            if i == batch.len() && batch.len() < MAX_BATCH {
                if let Ok(next) = rx.try_recv() {
                    batch.push(next);
                }
            }
        }
        let commit = conn.execute_batch("COMMIT").map_err(|e| {
            tracing::error!(error = %e, jobs = batch.len(), "group commit failed");
            let _ = conn.execute_batch("ROLLBACK");
            e.to_string()
        });
        for job in batch {
            job.finish(commit.clone());
        }
    }
}

fn run_in_savepoint(conn: &Connection, job: &mut dyn WriteJob) {
    if let Err(e) = conn.prepare_cached("SAVEPOINT job").and_then(|mut s| s.execute([])) {
        tracing::error!(error = %e, "cannot open a savepoint");
    }
    let closed = if job.run(conn) {
        conn.prepare_cached("RELEASE job").and_then(|mut s| s.execute([])).map(drop)
    } else {
        conn.execute_batch("ROLLBACK TO job; RELEASE job")
    };
    if let Err(e) = closed {
        tracing::error!(error = %e, "cannot close a savepoint");
    }
}

/// Maps a unique-constraint violation to [`Error::Conflict`], anything else to [`Error::Sqlite`].
pub fn on_unique(e: rusqlite::Error, zh: &str, en: &str) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => Error::Conflict(Msg::new(zh, en)),
        _ => Error::Sqlite(e),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use super::*;

    fn options() -> StoreOptions {
        StoreOptions { readers: 2, write_queue: 1, wait: Duration::from_millis(200) }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_proceed_while_a_write_is_held_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), &options()).unwrap();
        store.write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")?)).await.unwrap();
        let gate = Arc::new(Barrier::new(2));
        let held = gate.clone();
        let writing = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .write(move |c| {
                        c.execute("INSERT INTO t VALUES (2)", [])?;
                        held.wait(); // the write is inside its transaction here
                        held.wait();
                        Ok(())
                    })
                    .await
            }
        });
        let waiter = gate.clone();
        tokio::task::spawn_blocking(move || waiter.wait()).await.unwrap();
        // Mid-write, readers see the last committed state, not the open transaction.
        let seen: i64 = store.read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(seen, 1);
        // With the single write slot taken, another write waits its bound and gets Busy.
        let refused = store.write(|_| Ok(())).await.unwrap_err();
        assert!(matches!(refused, Error::Busy(_)), "{refused:?}");
        tokio::task::spawn_blocking(move || gate.wait()).await.unwrap();
        writing.await.unwrap().unwrap();
        let seen: i64 = store.read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(seen, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_in_a_batch_does_not_undo_its_neighbours() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), &StoreOptions::default()).unwrap();
        store.write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")?)).await.unwrap();
        let jobs = (0..50).map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .write(move |c| {
                        c.execute("INSERT INTO t VALUES (?1)", [i])?;
                        if i % 10 == 3 {
                            return Err(Error::invalid("x", "坏", "bad"));
                        }
                        Ok(())
                    })
                    .await
            })
        });
        let mut failed = 0;
        for job in jobs {
            failed += usize::from(job.await.unwrap().is_err());
        }
        assert_eq!(failed, 5);
        let rows: i64 = store.read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(rows, 45);
    }
}
