//! 群机器人: the units' group robots (`unit_robots`) and the record of what was handed to them
//! (`robot_deliveries`). Deliveries are queued in the transaction of the notification they carry
//! ([`queue_for`], called by `notifications::insert`), so a notification and its push commit or
//! fail together.

use anyhow::Context as _;
use domain::webhook::{DeliveryStatus, RobotKind};

use super::{json_list, Conn};
use crate::error::corrupt;

/// A unit's robot, as the commission's list shows it (the address only masked).
#[derive(Debug, Clone)]
pub struct Robot {
    pub unit_id: i64,
    pub unit: String,
    pub kind: RobotKind,
    pub url: String,
    pub set_at: i64,
}

fn kind(raw: &str) -> anyhow::Result<RobotKind> {
    RobotKind::from_code(raw).ok_or_else(|| corrupt("robot kind", raw))
}

/// Every unit's robot, in unit order.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn all(conn: &mut Conn) -> anyhow::Result<Vec<Robot>> {
    sqlx::query!(
        r#"SELECT r.unit_id AS "unit_id!: i64", o.name, r.kind, r.url, r.set_at AS "set_at!: i64"
           FROM unit_robots r JOIN org_units o ON o.id = r.unit_id ORDER BY r.unit_id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the group robots")?
    .into_iter()
    .map(|r| {
        Ok(Robot {
            unit_id: r.unit_id,
            unit: r.name,
            kind: kind(&r.kind)?,
            url: r.url,
            set_at: r.set_at,
        })
    })
    .collect()
}

/// Sets (or replaces) a unit's robot.
#[tracing::instrument(level = "debug", skip(conn, url))]
pub async fn set(
    conn: &mut Conn,
    unit_id: i64,
    kind: RobotKind,
    url: &str,
    actor_id: i64,
    now: i64,
) -> anyhow::Result<()> {
    let kind = kind.code();
    sqlx::query!(
        "INSERT INTO unit_robots (unit_id, kind, url, set_by, set_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (unit_id) DO UPDATE SET kind = excluded.kind, url = excluded.url,
             set_by = excluded.set_by, set_at = excluded.set_at",
        unit_id,
        kind,
        url,
        actor_id,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to set the group robot")?;
    Ok(())
}

/// Removes a unit's robot; what was waiting for it fails at its next try. Returns whether there
/// was one.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn remove(conn: &mut Conn, unit_id: i64) -> anyhow::Result<bool> {
    Ok(
        sqlx::query!("DELETE FROM unit_robots WHERE unit_id = ?", unit_id)
            .execute(&mut *conn)
            .await
            .context("Failed to remove the group robot")?
            .rows_affected()
            > 0,
    )
}

/// Whether a unit has a robot.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn exists(conn: &mut Conn, unit_id: i64) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM unit_robots WHERE unit_id = ?"#,
        unit_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to look up the group robot")?
        > 0)
}

/// A recipient of a new notification whose unit, or a unit above it, has a robot: the nearest
/// such unit.
#[derive(Debug, Clone)]
pub struct Reach {
    pub notification_id: i64,
    pub name: String,
    pub unit_id: i64,
}

/// Of the notifications `ids`, those whose recipient a robot reaches, with the nearest robot's
/// unit (the recipient's own unit first, then up the tree).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn reach(conn: &mut Conn, ids: &[i64]) -> anyhow::Result<Vec<Reach>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = json_list(ids)?;
    sqlx::query!(
        r#"WITH RECURSIVE up (notification_id, unit_id, depth) AS (
               SELECT n.id, u.unit_id, 0
               FROM notifications n JOIN users u ON u.id = n.user_id
               WHERE n.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))
               UNION ALL
               SELECT up.notification_id, o.parent_id, up.depth + 1
               FROM up JOIN org_units o ON o.id = up.unit_id
               WHERE o.parent_id IS NOT NULL AND up.depth < 32
           ),
           robot AS (
               SELECT up.notification_id, up.unit_id,
                      ROW_NUMBER() OVER (PARTITION BY up.notification_id ORDER BY up.depth) AS nearest
               FROM up JOIN unit_robots r ON r.unit_id = up.unit_id
           )
           SELECT robot.notification_id AS "notification_id!: i64", u.display_name AS name,
                  robot.unit_id AS "unit_id!: i64"
           FROM robot
           JOIN notifications n ON n.id = robot.notification_id
           JOIN users u ON u.id = n.user_id
           WHERE robot.nearest = 1
           ORDER BY robot.notification_id"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to find the robots that reach the notified")?
    .into_iter()
    .map(|r| {
        Ok(Reach {
            notification_id: r.notification_id,
            name: r.name,
            unit_id: r.unit_id,
        })
    })
    .collect()
}

/// A message to hand to a unit's robot.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub unit_id: i64,
    pub notification_id: Option<i64>,
    pub text: &'a str,
    pub link: &'a str,
}

/// Queues a message, due at once.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn queue(conn: &mut Conn, d: &NewDelivery<'_>, now: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"INSERT INTO robot_deliveries (unit_id, notification_id, text, link, next_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING id AS "id!: i64""#,
        d.unit_id,
        d.notification_id,
        d.text,
        d.link,
        now,
        now
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to queue a robot message")
}

/// A delivery due for a try, with its robot as it is now (none when it was removed).
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub text: String,
    pub link: String,
    pub attempts: u32,
    pub robot: Option<(RobotKind, String)>,
}

/// Up to `limit` deliveries due at `now`, oldest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> anyhow::Result<Vec<Due>> {
    sqlx::query!(
        r#"SELECT d.id AS "id!: i64", d.text, d.link, d.attempts AS "attempts!: i64",
                  r.kind AS "kind?: String", r.url AS "url?: String"
           FROM robot_deliveries d LEFT JOIN unit_robots r ON r.unit_id = d.unit_id
           WHERE d.status = 'pending' AND d.next_at <= ?
           ORDER BY d.next_at, d.id LIMIT ?"#,
        now,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the robot messages due")?
    .into_iter()
    .map(|r| {
        let robot = match (r.kind, r.url) {
            (Some(k), Some(url)) => Some((kind(&k)?, url)),
            _ => None,
        };
        Ok(Due {
            id: r.id,
            text: r.text,
            link: r.link,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            robot,
        })
    })
    .collect()
}

/// What a try came to: taken, tried again at `next_at`, or given up.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    Sent,
    Retry { next_at: i64, error: &'a str },
    GiveUp { error: &'a str },
}

/// Records a try of delivery `id` (still pending: a second worker's answer is not recorded).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn record(
    conn: &mut Conn,
    id: i64,
    outcome: &Outcome<'_>,
    now: i64,
) -> anyhow::Result<()> {
    let (status, next_at, error, sent_at) = match outcome {
        Outcome::Sent => (DeliveryStatus::Sent, None, None, Some(now)),
        Outcome::Retry { next_at, error } => {
            (DeliveryStatus::Pending, Some(*next_at), Some(*error), None)
        }
        Outcome::GiveUp { error } => (DeliveryStatus::Failed, None, Some(*error), None),
    };
    let status = status.code();
    sqlx::query!(
        "UPDATE robot_deliveries
         SET status = ?, attempts = attempts + 1, next_at = COALESCE(?, next_at),
             last_error = ?, sent_at = ?
         WHERE id = ? AND status = 'pending'",
        status,
        next_at,
        error,
        sent_at,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a robot message's try")?;
    Ok(())
}

/// A delivery as the record shows it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub unit: String,
    pub text: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The latest `limit` deliveries, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn latest(conn: &mut Conn, limit: i64) -> anyhow::Result<Vec<Delivery>> {
    sqlx::query!(
        r#"SELECT d.id AS "id!: i64", o.name AS unit, d.text, d.status, d.attempts AS "attempts!: i64",
                  d.last_error, d.created_at AS "created_at!: i64", d.sent_at
           FROM robot_deliveries d JOIN org_units o ON o.id = d.unit_id
           ORDER BY d.id DESC LIMIT ?"#,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the robot messages")?
    .into_iter()
    .map(|r| {
        Ok(Delivery {
            id: r.id,
            unit: r.unit,
            text: r.text,
            status: DeliveryStatus::from_code(&r.status)
                .ok_or_else(|| corrupt("robot message status", &r.status))?,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
    })
    .collect()
}
