//! 通知: what arrives for each person in the app, and when they read it.

use anyhow::Context as _;

use super::{json_list, Conn};
use crate::error::corrupt;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    WarningRaised,
    WarningAnswered,
    WarningSentBack,
    WarningAccepted,
    WarningEscalated,
    CommitmentReminder,
}

impl Kind {
    const ALL: [Self; 6] = [
        Self::WarningRaised,
        Self::WarningAnswered,
        Self::WarningSentBack,
        Self::WarningAccepted,
        Self::WarningEscalated,
        Self::CommitmentReminder,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::WarningRaised => "warning_raised",
            Self::WarningAnswered => "warning_answered",
            Self::WarningSentBack => "warning_sent_back",
            Self::WarningAccepted => "warning_accepted",
            Self::WarningEscalated => "warning_escalated",
            Self::CommitmentReminder => "commitment_reminder",
        }
    }

    fn from_code(raw: &str) -> anyhow::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == raw)
            .ok_or_else(|| corrupt("notification kind", raw))
    }
}

/// Sends one notification to each of `users` (each once, whatever the list repeats).
#[tracing::instrument(level = "debug", skip(conn, text))]
pub async fn insert(
    conn: &mut Conn,
    users: &[i64],
    kind: Kind,
    text: &str,
    link: &str,
    now: i64,
) -> anyhow::Result<u64> {
    if users.is_empty() {
        return Ok(0);
    }
    let users = json_list(users)?;
    let kind = kind.code();
    Ok(sqlx::query!(
        "INSERT INTO notifications (user_id, kind, text, link, created_at)
         SELECT DISTINCT CAST(value AS INTEGER), ?, ?, ?, ? FROM json_each(?)",
        kind,
        text,
        link,
        now,
        users
    )
    .execute(&mut *conn)
    .await
    .context("Failed to send notifications")?
    .rows_affected())
}

/// A notification as its recipient reads it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub kind: Kind,
    pub text: String,
    pub link: String,
    pub created_at: i64,
    pub read: bool,
}

/// A user's latest notifications, newest first, and how many they have not read.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn of_user(conn: &mut Conn, user_id: i64, limit: i64) -> anyhow::Result<Vec<Row>> {
    sqlx::query!(
        r#"SELECT id AS "id!: i64", kind, text, link, created_at AS "created_at!: i64",
                  read_at IS NOT NULL AS "read!: bool"
           FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT ?"#,
        user_id,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list notifications")?
    .into_iter()
    .map(|r| {
        Ok(Row {
            id: r.id,
            kind: Kind::from_code(&r.kind)?,
            text: r.text,
            link: r.link,
            created_at: r.created_at,
            read: r.read,
        })
    })
    .collect()
}

/// How many notifications a user has not read.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn unread(conn: &mut Conn, user_id: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM notifications WHERE user_id = ? AND read_at IS NULL"#,
        user_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count unread notifications")
}

/// Marks a user's notifications up to `up_to` (an id they saw) read; returns how many.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn mark_read(conn: &mut Conn, user_id: i64, up_to: i64, now: i64) -> anyhow::Result<u64> {
    Ok(sqlx::query!(
        "UPDATE notifications SET read_at = ? WHERE user_id = ? AND id <= ? AND read_at IS NULL",
        now,
        user_id,
        up_to
    )
    .execute(&mut *conn)
    .await
    .context("Failed to mark notifications read")?
    .rows_affected())
}
