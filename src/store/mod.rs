//! The SQLite store: one file, WAL, one writer, a few read-only readers.
//!
//! SQL never runs on an async worker thread. [`Store::read`] runs a closure on a
//! blocking thread with a pooled `query_only` connection; [`Store::write`] queues
//! a closure for the single writer thread, which commits every queued job in one
//! `BEGIN IMMEDIATE` transaction (group commit) and answers each job only after
//! that commit is on disk (`synchronous=FULL`). Both waits are bounded and map to
//! [`Error::Busy`] (503).
//!
//! A failed job never undoes its neighbours and never leaves half its writes.
//! Jobs run without savepoints while they succeed (a savepoint copies every page
//! a job touches into a statement journal: about a third of a filing's cost). A
//! job that fails having written nothing costs nothing more. One that fails
//! after writing rolls the batch back; the jobs before it run again, each in its
//! own savepoint, as does the rest of that batch. So a write job may run more
//! than once and must have no effect outside its connection.
//!
//! Store functions in the submodules are plain sync fns over `&Connection`, so
//! they compose in one transaction, unit-test without tokio and serve the CLI.

pub mod assignments;
pub mod audit;
pub mod case_query;
pub mod cases;
pub mod documents;
pub mod enterprise_query;
pub mod enterprises;
pub mod grids;
pub mod media;
pub mod migrate;
pub mod patrols;
pub mod people;
pub mod rivers;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
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

/// Past this much WAL the writer restarts it between batches (see [`bound_wal`]).
pub const WAL_RESTART_BYTES: i64 = 16 << 20;

/// What a reset WAL file is truncated back to (`journal_size_limit`).
pub const WAL_SIZE_LIMIT_BYTES: i64 = 32 << 20;

/// How long the writer waits for readers to leave an old WAL before it gives
/// up restarting it for this batch (a long export holds its snapshot).
const WAL_RESTART_WAIT: Duration = Duration::from_millis(50);

/// Opens a connection with the pragmas every connection needs.
pub fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
    // Plan a statement once: with partial indexes SQLite otherwise plans a
    // statement again whenever a new value is bound to it (every page, every
    // batch of an export, every filing's update).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // A list runs a statement per driving term and rank: keep them all prepared.
    conn.set_prepared_statement_cache_capacity(128);
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
    /// Runs the closure (again, if it ran before: the last outcome counts);
    /// true when it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Whether its last run failed because the disk (or the page limit) is full.
    fn disk_full(&self) -> bool;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, commit: std::result::Result<(), Failed>);
}

/// Why a batch did not commit, shared by all its jobs.
#[derive(Debug, Clone)]
struct Failed {
    /// The disk (or the page limit) is full: the caller should retry later.
    full: bool,
    /// What SQLite said.
    text: String,
}

/// Whether `e` is SQLite's "database or disk is full".
fn is_disk_full(e: &Error) -> bool {
    matches!(e, Error::Sqlite(s) if s.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull))
}

/// What a write answers while the disk is full: retry later, nothing was kept.
fn storage_full() -> Error {
    Error::Full(Msg::new(
        "服务器存储空间已满，本次提交未保存，请稍后重试（已通知管理员）",
        "the server's storage is full: nothing was saved, please retry later (the administrator is alerted)",
    ))
}

struct Job<T, F> {
    work: F,
    outcome: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
    _permit: OwnedSemaphorePermit,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.work)(conn)))
            .unwrap_or_else(|_| Err(Error::Internal(anyhow::anyhow!("a write job panicked"))));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn disk_full(&self) -> bool {
        matches!(&self.outcome, Some(Err(e)) if is_disk_full(e))
    }

    fn finish(self: Box<Self>, commit: std::result::Result<(), Failed>) {
        let outcome = self.outcome.expect("finish follows run");
        let answer = match (commit, outcome) {
            (Ok(()), Err(e)) if is_disk_full(&e) => Err(storage_full()),
            (Ok(()), outcome) => outcome,
            (Err(failed), _) if failed.full => Err(storage_full()),
            (Err(_), Err(e)) => Err(e),
            (Err(failed), Ok(_)) => Err(Error::Internal(anyhow::anyhow!("commit failed: {}", failed.text))),
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
    /// Why the last batch did not commit, until one does.
    write_failure: Arc<Mutex<Option<String>>>,
    /// Write jobs admitted at once (the queue's capacity).
    write_queue: usize,
    /// Batch sizes and checkpoint times.
    metrics: crate::metrics::StoreMetrics,
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
        let mut writer_conn = open_migrated(path)?;
        // Commits never checkpoint inline (a stall on the write path); a
        // background thread checkpoints passively instead, and the writer
        // restarts the WAL between batches once it is long (`bound_wal`).
        writer_conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let wal_pages = Arc::new(AtomicI64::new(0));
        let pages = wal_pages.clone();
        writer_conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, n: std::ffi::c_int| {
            pages.store(i64::from(n), Ordering::Relaxed);
            Ok(())
        }))?;
        let page_size: i64 = writer_conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let checkpointer = open_connection(path)?;
        let mut readers = Vec::with_capacity(options.readers);
        for _ in 0..options.readers.max(1) {
            let conn = open_connection(path)?;
            conn.execute_batch("PRAGMA query_only = ON;")?;
            readers.push(conn);
        }
        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        let write_failure = Arc::new(Mutex::new(None));
        let failure = write_failure.clone();
        let metrics = crate::metrics::StoreMetrics::default();
        let recorded = metrics.clone();
        std::thread::Builder::new()
            .name("gridsafe-writer".into())
            .spawn(move || writer_loop(&writer_conn, &rx, &Wal { pages: &wal_pages, page_size }, &failure, &recorded))
            .map_err(|e| Error::Internal(anyhow::anyhow!("cannot start the writer thread: {e}")))?;
        let store = Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                reader_permits: Arc::new(Semaphore::new(readers.len())),
                readers: Mutex::new(readers),
                writer: Mutex::new(tx),
                write_permits: Arc::new(Semaphore::new(options.write_queue.max(1))),
                wait: options.wait,
                write_failure,
                write_queue: options.write_queue.max(1),
                metrics,
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

    /// Why the last write batch failed to commit, if none has committed since
    /// (a full disk, an I/O error): the store is not writable now.
    pub fn write_failure(&self) -> Option<String> {
        self.inner.write_failure.lock().ok().and_then(|f| f.clone())
    }

    /// Write jobs queued or running now.
    pub fn writer_queue_depth(&self) -> usize {
        self.inner.write_queue.saturating_sub(self.inner.write_permits.available_permits())
    }

    /// The writer's batch sizes and checkpoint times.
    pub fn metrics(&self) -> &crate::metrics::StoreMetrics {
        &self.inner.metrics
    }

    /// The size of the write-ahead log beside the database, in bytes.
    pub fn wal_bytes(&self) -> u64 {
        let mut wal = self.inner.path.clone().into_os_string();
        wal.push("-wal");
        std::fs::metadata(wal).map_or(0, |m| m.len())
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
    /// it has committed (or with the error that undid it). `f` may run more
    /// than once (see the module docs): it must act only through the connection.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = tokio::time::timeout(self.inner.wait, self.inner.write_permits.clone().acquire_owned())
            .await
            .map_err(|_| busy("写队列已满", "write queue full"))?
            .map_err(|_| busy("存储已关闭", "store closed"))?;
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(Job { work: f, outcome: None, reply, _permit: permit });
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
/// The WAL's length as the writer's hook counts it.
struct Wal<'a> {
    pages: &'a AtomicI64,
    page_size: i64,
}

fn writer_loop(
    conn: &Connection,
    rx: &mpsc::Receiver<Box<dyn WriteJob>>,
    wal: &Wal<'_>,
    failure: &Mutex<Option<String>>,
    metrics: &crate::metrics::StoreMetrics,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        let commit = run_batch(conn, rx, &mut batch).map_err(|e| {
            let full = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) || batch.iter().any(|j| j.disk_full());
            if full {
                tracing::error!(error = %e, jobs = batch.len(), "STORAGE FULL: group commit failed, nothing of it was kept");
            } else {
                tracing::error!(error = %e, jobs = batch.len(), "group commit failed");
            }
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            Failed { full, text: e.to_string() }
        });
        if let Ok(mut last) = failure.lock() {
            *last = match &commit {
                Err(failed) => Some(failed.text.clone()),
                Ok(()) if batch.iter().any(|j| j.disk_full()) => Some("database or disk is full".to_owned()),
                Ok(()) => None,
            };
        }
        if commit.is_ok() {
            metrics.batch_size.observe(batch.len() as f64);
        }
        for job in batch {
            job.finish(commit.clone());
        }
        if wal.pages.load(Ordering::Relaxed) * wal.page_size >= WAL_RESTART_BYTES {
            let started = std::time::Instant::now();
            bound_wal(conn, wal.pages);
            metrics.checkpoint_seconds.observe(started.elapsed().as_secs_f64());
        }
    }
}

/// Restarts the WAL from its beginning (a `RESTART` checkpoint), so that a
/// writer that never pauses cannot grow it without bound: the background
/// passive checkpoint has copied most of it already, so this copies the
/// little written since and waits for readers still on the old frames, at
/// most [`WAL_RESTART_WAIT`]. A reader holding a snapshot longer (a long
/// export) keeps the WAL as it is until the next batch tries again.
fn bound_wal(conn: &Connection, wal_pages: &AtomicI64) {
    let restarted = conn
        .busy_timeout(WAL_RESTART_WAIT)
        .and_then(|()| conn.prepare_cached("PRAGMA wal_checkpoint(RESTART)")?.query_row([], |r| r.get::<_, i64>(0)));
    let _ = conn.busy_timeout(Duration::from_secs(5));
    match restarted {
        Ok(0) => wal_pages.store(0, Ordering::Relaxed),
        Ok(_) => tracing::debug!("WAL restart deferred: a reader is still on it"),
        Err(e) => tracing::warn!(error = %e, "WAL restart failed"),
    }
}

/// Runs `batch`, taking in whatever else is queued up to [`MAX_BATCH`], and
/// commits. A job that fails after writing is undone as the module docs say.
fn run_batch(
    conn: &Connection,
    rx: &mpsc::Receiver<Box<dyn WriteJob>>,
    batch: &mut Vec<Box<dyn WriteJob>>,
) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let schema = schema_version(conn)?;
    let mut guarded = false;
    let mut i = 0;
    while i < batch.len() {
        if guarded {
            run_in_savepoint(conn, batch[i].as_mut())?;
        } else {
            let before = conn.total_changes();
            let ok = batch[i].run(conn);
            lost_transaction(conn)?;
            if !ok && (conn.total_changes() != before || schema_version(conn)? != schema) {
                // It failed with writes of its own: start the batch over without them.
                conn.execute_batch("ROLLBACK; BEGIN IMMEDIATE")?;
                for job in &mut batch[..i] {
                    run_in_savepoint(conn, job.as_mut())?;
                }
                guarded = true;
            }
        }
        i += 1;
        if i == batch.len()
            && batch.len() < MAX_BATCH
            && let Ok(next) = rx.try_recv()
        {
            batch.push(next);
        }
    }
    conn.execute_batch("COMMIT")
}

/// The schema cookie: DDL in a job changes it without counting as a change.
fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("PRAGMA schema_version")?.query_row([], |r| r.get(0))
}

/// Runs one job inside its own savepoint, rolled back if the job fails.
fn run_in_savepoint(conn: &Connection, job: &mut dyn WriteJob) -> rusqlite::Result<()> {
    conn.execute_batch("SAVEPOINT job")?;
    let ok = job.run(conn);
    lost_transaction(conn)?;
    if ok { conn.execute_batch("RELEASE job") } else { conn.execute_batch("ROLLBACK TO job; RELEASE job") }
}

/// Fails the batch when SQLite rolled its transaction back by itself (as it
/// may on a full disk or an I/O error): the jobs after it would otherwise
/// run, and commit, one by one outside it.
fn lost_transaction(conn: &Connection) -> rusqlite::Result<()> {
    if conn.is_autocommit() {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
            Some("the batch's transaction was rolled back by SQLite".into()),
        ));
    }
    Ok(())
}

/// Rows of a bulk load bound into one multi-row `INSERT`, value by value.
pub struct Binder<'s, 'c> {
    stmt: &'s mut rusqlite::Statement<'c>,
    next: usize,
}

impl Binder<'_, '_> {
    /// Binds the next value.
    pub fn value(&mut self, value: impl rusqlite::ToSql) -> rusqlite::Result<()> {
        self.next += 1;
        self.stmt.raw_bind_parameter(self.next, value)
    }
}

/// Rows per multi-row statement of [`insert_many`].
const ROWS_PER_STATEMENT: usize = 32;

/// Inserts `rows` into `table (columns)` with multi-row statements: a bulk
/// load pays a statement's bind, step and reset once per 32 rows rather than
/// per row. `bind` binds one row's values in the order of `columns`.
pub fn insert_many<T>(
    conn: &Connection,
    table: &str,
    columns: &str,
    rows: &[T],
    bind: impl Fn(&mut Binder<'_, '_>, &T) -> rusqlite::Result<()>,
) -> Result<()> {
    let width = columns.split(',').count();
    let one = format!("({})", vec!["?"; width].join(", "));
    let sql = |n: usize| format!("INSERT INTO {table} ({columns}) VALUES {}", vec![one.as_str(); n].join(", "));
    let full = if rows.len() >= ROWS_PER_STATEMENT { sql(ROWS_PER_STATEMENT) } else { String::new() };
    let mut chunks = rows.chunks_exact(ROWS_PER_STATEMENT);
    for chunk in chunks.by_ref() {
        let mut stmt = conn.prepare_cached(&full)?;
        let mut binder = Binder { stmt: &mut stmt, next: 0 };
        for row in chunk {
            bind(&mut binder, row)?;
        }
        stmt.raw_execute()?;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut stmt = conn.prepare_cached(&sql(rest.len()))?;
        let mut binder = Binder { stmt: &mut stmt, next: 0 };
        for row in rest {
            bind(&mut binder, row)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
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

    /// With partial indexes on a table, SQLite by default marks every
    /// statement with a bound parameter in its WHERE as depending on the
    /// value, and plans it again each time a new value is bound: about a
    /// tenth of a ledger export went to the parser. The planner's stability
    /// guarantee keeps the first plan.
    #[test]
    fn a_list_statement_is_planned_once_not_again_for_each_value_bound() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_migrated(&dir.path().join("t.db")).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT id FROM cases INDEXED BY cases_day WHERE substr(reported_at, 1, 10) = ?1
                 AND NOT (deadline IS NOT NULL AND status NOT IN ('closed', 'cancelled') AND deadline < ?2)
                 AND id > ?3 AND id < ?4 ORDER BY id DESC LIMIT ?5",
            )
            .unwrap();
        for day in ["2026-01-01", "2026-01-02", "2026-01-03"] {
            let found = stmt.query_map(rusqlite::params![day, day, 0, i64::MAX, 10], |r| r.get::<_, i64>(0)).unwrap();
            assert_eq!(found.count(), 0);
        }
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    fn synchronous(c: &Connection) -> Result<i64> {
        Ok(c.pragma_query_value(None, "synchronous", |r| r.get(0))?)
    }

    /// `synchronous=FULL` (2) on every connection: with `NORMAL` a power cut
    /// can undo a commit that was already answered 201.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_connection_the_store_opens_commits_with_synchronous_full() {
        const FULL: i64 = 2;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        assert_eq!(synchronous(&open_connection(&path).unwrap()).unwrap(), FULL, "open_connection");
        assert_eq!(synchronous(&open_migrated(&path).unwrap()).unwrap(), FULL, "open_migrated (the CLI)");
        let store = Store::open(&path, &StoreOptions { readers: 3, ..StoreOptions::default() }).unwrap();
        assert_eq!(store.write(synchronous).await.unwrap(), FULL, "the writer");
        let journal: String =
            store.write(|c| Ok(c.pragma_query_value(None, "journal_mode", |r| r.get(0))?)).await.unwrap();
        assert_eq!(journal, "wal");
        // Three reads held open at once take all three readers.
        let gate = Arc::new(Barrier::new(3));
        let reads: Vec<_> = (0..3)
            .map(|_| {
                let (store, gate) = (store.clone(), gate.clone());
                tokio::spawn(async move {
                    store
                        .read(move |c| {
                            gate.wait();
                            synchronous(c)
                        })
                        .await
                })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap().unwrap(), FULL, "a reader");
        }
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

    /// `store.write` as a future that owns its store, so it can be polled here and spawned later.
    async fn write_owned<F>(store: Store, f: F) -> Result<()>
    where
        F: FnMut(&Connection) -> Result<()> + Send + 'static,
    {
        store.write(f).await
    }

    /// Queues `jobs` behind a job that holds the writer, so they all land in
    /// one batch; returns their outcomes and how often each ran.
    async fn one_batch(store: &Store, jobs: Vec<(Option<i64>, bool, bool)>) -> Vec<(bool, usize)> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(Barrier::new(2));
        let mut held = Some(gate.clone());
        let (holding, started) = std::sync::mpsc::channel();
        let holder = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .write(move |_| {
                        // It may run again (if the batch starts over): hold only once.
                        if let Some(held) = held.take() {
                            let _ = holding.send(());
                            held.wait();
                        }
                        Ok(())
                    })
                    .await
            }
        });
        // Queue the jobs only once the writer is held, so they form one batch.
        tokio::task::spawn_blocking(move || started.recv()).await.unwrap().unwrap();
        // (row to insert, create a table, then fail?)
        let mut queued = Vec::new();
        for (row, ddl, fail) in jobs {
            let runs = Arc::new(AtomicUsize::new(0));
            let counter = runs.clone();
            let mut write = Box::pin(write_owned(store.clone(), move |c| {
                counter.fetch_add(1, Ordering::SeqCst);
                if let Some(x) = row {
                    c.execute("INSERT INTO t VALUES (?1)", [x])?;
                }
                if ddl {
                    c.execute_batch("CREATE TABLE u (y INTEGER)")?;
                }
                if fail {
                    return Err(Error::invalid("x", "坏", "bad"));
                }
                Ok(())
            }));
            // One poll takes a free write slot and queues the job, then waits
            // for the answer: so the jobs queue in this order.
            let mut context = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(write.as_mut().poll(&mut context).is_pending(), "the writer is held, so the job waits");
            queued.push((tokio::spawn(write), runs));
        }
        tokio::task::spawn_blocking(move || gate.wait()).await.unwrap();
        holder.await.unwrap().unwrap();
        let mut outcomes = Vec::new();
        for (job, runs) in queued {
            let ok = job.await.unwrap().is_ok();
            outcomes.push((ok, runs.load(Ordering::SeqCst)));
        }
        outcomes
    }

    async fn rows(store: &Store) -> Vec<i64> {
        store
            .read(|c| {
                let mut stmt = c.prepare("SELECT x FROM t ORDER BY x")?;
                let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
                Ok(rows)
            })
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_failing_after_writes_is_undone_and_its_batch_rerun_in_savepoints() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), &StoreOptions::default()).unwrap();
        store.write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")?)).await.unwrap();
        let outcomes = one_batch(
            &store,
            vec![
                (Some(1), false, false), // ok: runs again after the failure below
                (None, false, true),     // fails having written nothing
                (Some(2), false, true),  // fails after writing: the batch starts over
                (Some(3), false, false), // ok, in its own savepoint
                (None, true, true),      // fails after DDL (not a counted change)
                (Some(4), false, false), // ok
            ],
        )
        .await;
        assert_eq!(outcomes, vec![(true, 2), (false, 2), (false, 1), (true, 1), (false, 1), (true, 1)]);
        assert_eq!(rows(&store).await, vec![1, 3, 4]);
        let tables: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'u'", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(tables, 0, "the failed job's DDL is undone");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_failing_before_it_writes_reruns_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), &StoreOptions::default()).unwrap();
        store.write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")?)).await.unwrap();
        let outcomes =
            one_batch(&store, vec![(Some(1), false, false), (None, false, true), (Some(2), false, false)]).await;
        assert_eq!(outcomes, vec![(true, 1), (false, 1), (true, 1)]);
        // A DDL-only failure is caught by the schema cookie, not the change count.
        let outcomes = one_batch(&store, vec![(Some(5), false, false), (None, true, true)]).await;
        assert_eq!(outcomes, vec![(true, 2), (false, 1)]);
        assert_eq!(rows(&store).await, vec![1, 2, 5]);
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
