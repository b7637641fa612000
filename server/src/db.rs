//! The SQLite store: one pool, WAL, foreign keys, a busy timeout, and write transactions that take
//! the write lock up front.

use std::{
    ops::{Deref, DerefMut},
    path::Path,
    str::FromStr,
    sync::Arc,
    time::Duration,
};

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
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// For reads. In WAL mode readers never block the writer nor each other.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
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
