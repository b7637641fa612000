//! The SQLite store: one pool, WAL, foreign keys, a busy timeout, and write transactions that take
//! the write lock up front.

use std::{
    ops::{Deref, DerefMut},
    path::Path,
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use crate::directory::Directory;
use anyhow::Context as _;
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Sqlite, SqlitePool, Transaction,
};

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A handle to the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
    /// One writer at a time within this process. SQLite allows one writer anyway; waiting here, in
    /// a fair queue, replaces SQLite's busy handler, which sleeps and polls and so turns contention
    /// into long, uneven delays.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The organisation and its people, as the access rules read them.
    directory: Directory,
    /// How much one sheet may hold; every engine that adds to a sheet checks them.
    limits: domain::limits::Limits,
}

/// A write transaction, holding this process's writer slot until it commits or is dropped.
pub struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _slot: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl Deref for WriteTx {
    type Target = Transaction<'static, Sqlite>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Db {
    /// Opens (creating if needed) the database file and runs pending migrations.
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("Failed to create the directory {}", dir.display()))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .context("Failed to build SQLite options")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only a power loss can undo
            // the last transactions, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .with_context(|| format!("Failed to open the database {}", path.display()))?;
        MIGRATOR
            .run(&pool)
            .await
            .context("Failed to run database migrations")?;
        Ok(Self {
            directory: Directory::new(pool.clone()),
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            limits: domain::limits::Limits::default(),
        })
    }

    /// The same database under other limits (a setting of the server).
    pub fn with_limits(mut self, limits: domain::limits::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How much one sheet may hold.
    pub fn limits(&self) -> &domain::limits::Limits {
        &self.limits
    }

    /// For reads. In WAL mode readers never block the writer nor each other.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The organisation and its people.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Begins a write transaction: first this process's writer slot, then `BEGIN IMMEDIATE`,
    /// which takes SQLite's write lock at once (waiting up to the busy timeout only for another
    /// process, such as the CLI). A deferred transaction that reads and then writes can fail with
    /// "database is locked" however long the timeout, because its snapshot is stale by the time it
    /// asks for the lock; an immediate one cannot.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let slot = self.writer.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _slot: slot })
    }
}

/// Milliseconds since the Unix epoch, the unit of every time column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Counting the SQL statements the server runs, for the benchmark and for tests that hold a page
/// or a push to a fixed number of statements. sqlx reports every statement it executes as a
/// `tracing` event with the target `sqlx::query`; [`statements::Counter`] is a layer that counts
/// them while counting is switched on, and asks for nothing otherwise (so sqlx does not even
/// format its message).
pub mod statements {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use tracing::{subscriber::Interest, Metadata, Subscriber};
    use tracing_subscriber::layer::{Context, Layer};

    static ON: AtomicBool = AtomicBool::new(false);
    static COUNT: AtomicU64 = AtomicU64::new(0);

    const TARGET: &str = "sqlx::query";

    /// The layer; install it once, in a process that wants counts (a test or the benchmark).
    pub struct Counter;

    impl<S: Subscriber> Layer<S> for Counter {
        fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
            if metadata.target() == TARGET {
                // Asked every time, so that switching counting on and off takes effect at once.
                Interest::sometimes()
            } else {
                Interest::never()
            }
        }

        fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
            metadata.target() == TARGET && ON.load(Ordering::Relaxed)
        }

        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            if event.metadata().target() != TARGET {
                return;
            }
            let mut summary = Summary(String::new());
            event.record(&mut summary);
            // A new pooled connection sets itself up (WAL, foreign keys, busy timeout): that is
            // the pool's work, not the statement count of whatever happened to open it.
            if summary.0.starts_with("PRAGMA") {
                return;
            }
            COUNT.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut seen) = SEEN.lock() {
                seen.push(summary.0);
            }
        }
    }

    /// The first words of each statement counted, for messages that say what ran.
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    struct Summary(String);

    impl tracing::field::Visit for Summary {
        fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
            if field.name() == "summary" {
                self.0 = value.to_owned();
            }
        }

        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "summary" {
                self.0 = format!("{value:?}");
            }
        }
    }

    /// Like [`count`], with the first words of each statement, in order.
    pub async fn record<T>(work: impl std::future::Future<Output = T>) -> (T, Vec<String>) {
        if let Ok(mut seen) = SEEN.lock() {
            seen.clear();
        }
        let (out, _) = count(work).await;
        let seen = SEEN.lock().map(|s| s.clone()).unwrap_or_default();
        (out, seen)
    }

    /// Installs [`Counter`] as the process's subscriber (once; later calls do nothing).
    pub fn install() {
        use tracing_subscriber::layer::SubscriberExt as _;
        let _ =
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Counter));
    }

    /// Counts the statements `work` runs, in this whole process: keep other work quiet meanwhile.
    pub async fn count<T>(work: impl std::future::Future<Output = T>) -> (T, u64) {
        let before = COUNT.load(Ordering::SeqCst);
        ON.store(true, Ordering::SeqCst);
        let out = work.await;
        ON.store(false, Ordering::SeqCst);
        (out, COUNT.load(Ordering::SeqCst) - before)
    }

    /// Statements counted so far (while counting was on).
    pub fn total() -> u64 {
        COUNT.load(Ordering::SeqCst)
    }

    /// Switches counting on or off, for callers that count across many tasks.
    pub fn set_counting(on: bool) {
        ON.store(on, Ordering::SeqCst);
    }
}
