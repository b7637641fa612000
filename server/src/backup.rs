//! `lianfang backup` and `lianfang restore`: a consistent copy taken while the server runs, and a
//! restore that checks what it restores before it replaces anything.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::{audit, db::Db, store};

/// What a checked copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub bytes: u64,
    pub audit_entries: i64,
    pub sync_operations: i64,
}

/// Copies the database `db` to `to` while the server may be writing, then checks the copy (its
/// structure and the audit chain). Refuses to overwrite an existing file.
pub async fn backup(db: &Db, to: &Path) -> anyhow::Result<Checked> {
    if to.exists() {
        bail!(
            "备份文件 {} 已存在：请换一个文件名，备份不会覆盖已有文件",
            to.display()
        );
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    let path = to.to_str().context("备份文件路径须为 UTF-8")?;
    let mut conn = db.pool().acquire().await?;
    store::maintenance::copy_into(&mut conn, path).await?;
    drop(conn);
    match check(to, true).await {
        Ok(checked) => Ok(checked),
        Err(e) => {
            let _ = std::fs::remove_file(to);
            Err(e.context("备份文件校验未通过，已删除"))
        }
    }
}

/// Checks a database file: SQLite's integrity check and the audit chain, read-only unless
/// `read_only` is false (a restore's copy, which may first be migrated).
async fn check(path: &Path, read_only: bool) -> anyhow::Result<Checked> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .with_context(|| format!("无法打开 {}", path.display()))?;
    let mut conn = pool.acquire().await?;
    let integrity = store::maintenance::integrity(&mut conn).await?;
    if integrity != "ok" {
        bail!("数据库文件结构损坏：{integrity}");
    }
    let sync_operations = store::maintenance::sync_operations(&mut conn).await?;
    drop(conn);
    let verification = audit::verify(&pool).await?;
    if let Some(broken) = verification.broken {
        bail!(
            "审计记录链校验失败：{broken}（此前 {} 条记录无误）",
            verification.entries
        );
    }
    pool.close().await;
    Ok(Checked {
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        audit_entries: verification.entries,
        sync_operations,
    })
}

/// Replaces the database at `to` with the backup `from`, after checking a copy of it (brought to
/// this version's schema, its audit chain verified). An existing database is replaced only with
/// `force` (stop the server first); nothing is replaced when the check fails.
pub async fn restore(from: &Path, to: &Path, force: bool) -> anyhow::Result<Checked> {
    if !from.is_file() {
        bail!("备份文件 {} 不存在", from.display());
    }
    if to.exists() && !force {
        bail!(
            "数据库 {} 已存在，恢复会覆盖它：请先停止服务，确认无误后加 --force 再执行",
            to.display()
        );
    }
    let staging = sibling(to, ".restoring");
    let _ = std::fs::remove_file(&staging);
    std::fs::copy(from, &staging)
        .with_context(|| format!("无法复制 {} 到 {}", from.display(), staging.display()))?;
    let checked = async {
        // Migrations bring an older backup to this version, on the copy only.
        let db = Db::open(&staging).await?;
        db.pool().close().await;
        check(&staging, false).await
    }
    .await;
    let checked = match checked {
        Ok(c) => c,
        Err(e) => {
            remove_with_journal(&staging);
            return Err(e.context("备份未通过校验，现有数据库未作任何改动"));
        }
    };
    remove_with_journal(to);
    std::fs::rename(&staging, to)
        .with_context(|| format!("无法用恢复的文件替换 {}", to.display()))?;
    Ok(checked)
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Removes a database file with its WAL and shared-memory files.
fn remove_with_journal(path: &Path) {
    for file in [
        path.to_path_buf(),
        sibling(path, "-wal"),
        sibling(path, "-shm"),
    ] {
        let _ = std::fs::remove_file(file);
    }
}
