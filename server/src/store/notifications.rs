//! 通知: what arrives for each person in the app, and when they read it.

use anyhow::Context as _;

use super::{json_list, robots, Conn};
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
    /// A sheet sent back down the chain (排查表被退回), to its holders.
    SheetReturned,
    /// A carried-out measure sent back at its check, to the post's holders.
    MeasureSentBack,
    /// A carried-out measure accepted at its check.
    MeasureAccepted,
    /// A warning's written answer is due within days (答复到期提醒), to its answerers.
    WarningAnswerDue,
}

impl Kind {
    const ALL: [Self; 10] = [
        Self::WarningRaised,
        Self::WarningAnswered,
        Self::WarningSentBack,
        Self::WarningAccepted,
        Self::WarningEscalated,
        Self::CommitmentReminder,
        Self::SheetReturned,
        Self::MeasureSentBack,
        Self::MeasureAccepted,
        Self::WarningAnswerDue,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::WarningRaised => "warning_raised",
            Self::WarningAnswered => "warning_answered",
            Self::WarningSentBack => "warning_sent_back",
            Self::WarningAccepted => "warning_accepted",
            Self::WarningEscalated => "warning_escalated",
            Self::CommitmentReminder => "commitment_reminder",
            Self::SheetReturned => "sheet_returned",
            Self::MeasureSentBack => "measure_sent_back",
            Self::MeasureAccepted => "measure_accepted",
            Self::WarningAnswerDue => "warning_answer_due",
        }
    }

    /// What it is, as its list and a group robot's message name it.
    pub fn label(self) -> &'static str {
        match self {
            Self::WarningRaised => "预警",
            Self::WarningAnswered => "预警答复待审核",
            Self::WarningSentBack => "答复被退回",
            Self::WarningAccepted => "预警办结",
            Self::WarningEscalated => "预警升级",
            Self::CommitmentReminder => "承诺书签署提醒",
            Self::SheetReturned => "排查表被退回",
            Self::MeasureSentBack => "措施检验退回",
            Self::MeasureAccepted => "措施检验通过",
            Self::WarningAnswerDue => "预警答复即将到期",
        }
    }

    fn from_code(raw: &str) -> anyhow::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == raw)
            .ok_or_else(|| corrupt("notification kind", raw))
    }
}

/// Sends one notification to each of `users` (each once, whatever the list repeats), and queues
/// its message for the group robot of each recipient's unit where one is set (nearest above
/// otherwise), in the same transaction.
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
    let code = kind.code();
    let ids = sqlx::query_scalar!(
        r#"INSERT INTO notifications (user_id, kind, text, link, created_at)
           SELECT DISTINCT CAST(value AS INTEGER), ?, ?, ?, ? FROM json_each(?)
           RETURNING id AS "id!: i64""#,
        code,
        text,
        link,
        now,
        users
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to send notifications")?;
    for reach in robots::reach(conn, &ids).await? {
        let message = domain::webhook::message(&reach.name, kind.label());
        let delivery = robots::NewDelivery {
            unit_id: reach.unit_id,
            notification_id: Some(reach.notification_id),
            text: &message,
            link,
        };
        robots::queue(conn, &delivery, now).await?;
    }
    Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
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
