//! 群机器人推送: the commission sets a unit's 企业微信 / 钉钉 group robot; every notification of
//! the unit's people is then queued for it too (in the notification's own transaction, see
//! `store::notifications::insert`), and [`deliver_due`] hands the queue to the robots beside the
//! server ([`spawn_deliveries`]), retrying a failed try later (`domain::webhook::retry_after_ms`)
//! and giving up after the last. Every try is recorded; the commission reads the record on the
//! settings page. A robot's address is a secret (its key posts to the group): only its masked
//! form is shown, audited or logged.

use std::time::Duration;

use app::{
    api::{
        district::{DeliveryView, RobotView, RobotsView},
        SessionUser,
    },
    write::{RemoveRobot, SetRobot, TestRobot},
};
use domain::{
    ids::OrgUnitId,
    webhook::{self, RobotKind, RobotUrl},
    FieldError,
};
use serde_json::json;

use crate::{
    actor::Actor,
    db::{now_ms, Db},
    error::Result,
    store::{self, robots::Outcome, Conn},
};

/// How many messages the record shows.
const RECORD: i64 = 30;
/// How many due messages one round of [`deliver_due`] tries.
const BATCH: i64 = 50;
/// How often the queue is looked at.
const DELIVER_EVERY: Duration = Duration::from_secs(5);
/// How long one try may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Deny by default: the commission sets the robots and reads their record.
async fn check(db: &Db, user: &SessionUser) -> Result<()> {
    Actor::User(user)
        .check(db, |p| p.may_set_group_robots())
        .await
}

fn unknown_unit() -> crate::error::Error {
    FieldError::new(
        "unknown_unit",
        "unit_id",
        "单位：请选择组织机构中的一个单位",
    )
    .into()
}

/// The robots and the record, for the commission's settings page.
pub async fn view(db: &Db, conn: &mut Conn) -> Result<RobotsView> {
    let org = db.directory().org().await?;
    let units = org.unit_options(|_| true);
    let robots = store::robots::all(conn)
        .await?
        .into_iter()
        .map(|r| RobotView {
            unit_id: r.unit_id,
            unit: r.unit,
            kind: r.kind,
            address: webhook::mask(&r.url),
            set_at: domain::time::china_time(r.set_at),
        })
        .collect();
    let deliveries = store::robots::latest(conn, RECORD)
        .await?
        .into_iter()
        .map(|d| DeliveryView {
            id: d.id,
            unit: d.unit,
            text: d.text,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            at: domain::time::china_time(d.sent_at.unwrap_or(d.created_at)),
        })
        .collect();
    Ok(RobotsView {
        units,
        robots,
        deliveries,
    })
}

/// Sets or replaces a unit's robot after checking its kind and address (https); audited with the
/// address masked.
pub async fn set(db: &Db, user: &SessionUser, request: &SetRobot) -> Result<()> {
    check(db, user).await?;
    let kind = RobotKind::parse(&request.kind);
    let url = RobotUrl::parse(&request.url);
    let (kind, url) = match (kind, url) {
        (Ok(k), Ok(u)) => (k, u),
        (k, u) => {
            let errors: Vec<FieldError> = [k.err(), u.err()].into_iter().flatten().collect();
            return Err(errors.into());
        }
    };
    let org = db.directory().org().await?;
    if !org.tree.contains(OrgUnitId(request.unit_id)) {
        return Err(unknown_unit());
    }
    let mut tx = db.begin_write().await?;
    store::robots::set(
        &mut tx,
        request.unit_id,
        kind,
        url.as_str(),
        user.id,
        now_ms(),
    )
    .await?;
    Actor::User(user)
        .record(
            &mut tx,
            "robot_set",
            &format!("unit:{}", request.unit_id),
            json!({
                "unit": org.name(request.unit_id),
                "kind": kind.code(),
                "address": webhook::mask(url.as_str()),
            }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a unit's robot; audited.
pub async fn remove(db: &Db, user: &SessionUser, request: &RemoveRobot) -> Result<()> {
    check(db, user).await?;
    let org = db.directory().org().await?;
    let mut tx = db.begin_write().await?;
    if !store::robots::remove(&mut tx, request.unit_id).await? {
        return Err(FieldError::new("no_robot", "unit_id", "单位：该单位没有设置群机器人").into());
    }
    Actor::User(user)
        .record(
            &mut tx,
            "robot_removed",
            &format!("unit:{}", request.unit_id),
            json!({ "unit": org.name(request.unit_id) }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a test message to a unit's robot; audited, and sent within seconds.
pub async fn test(db: &Db, user: &SessionUser, request: &TestRobot) -> Result<()> {
    check(db, user).await?;
    let org = db.directory().org().await?;
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    if !store::robots::exists(&mut tx, request.unit_id).await? {
        return Err(FieldError::new("no_robot", "unit_id", "单位：该单位没有设置群机器人").into());
    }
    let message = store::robots::NewDelivery {
        unit_id: request.unit_id,
        notification_id: None,
        text: webhook::TEST_MESSAGE,
        link: "/",
    };
    let id = store::robots::queue(&mut tx, &message, now).await?;
    Actor::User(user)
        .record(
            &mut tx,
            "robot_tested",
            &format!("unit:{}", request.unit_id),
            json!({ "unit": org.name(request.unit_id), "delivery": id }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// What one round of deliveries came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The client every try goes through: a bounded time, no redirects (a robot answers itself).
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Tries every message due at `now` once, each outside any transaction (a robot may be slow),
/// and records each try: taken, tried again later, or given up after the last attempt or when
/// its unit's robot was removed. `origin` makes the message's link a full address.
pub async fn deliver_due(
    db: &Db,
    client: &reqwest::Client,
    origin: Option<&str>,
    now: i64,
) -> Result<Delivered> {
    let due = {
        let mut conn = db.pool().acquire().await?;
        store::robots::due(&mut conn, now, BATCH).await?
    };
    let mut done = Delivered::default();
    for d in due {
        let tried = d.attempts + 1;
        let answer = match &d.robot {
            None => Err("该单位的群机器人已删除".to_owned()),
            Some((kind, url)) => {
                let body = kind.body(&webhook::content(&d.text, origin, &d.link));
                send(client, url, &body).await
            }
        };
        let outcome = match &answer {
            Ok(()) => Outcome::Sent,
            Err(error) => match webhook::retry_after_ms(tried).filter(|_| d.robot.is_some()) {
                Some(wait) => Outcome::Retry {
                    next_at: now + wait,
                    error,
                },
                None => Outcome::GiveUp { error },
            },
        };
        match &outcome {
            Outcome::Sent => done.sent += 1,
            Outcome::Retry { error, .. } => {
                tracing::warn!(delivery = d.id, attempt = tried, %error, "a robot message will be tried again");
                done.retrying += 1;
            }
            Outcome::GiveUp { error } => {
                tracing::warn!(delivery = d.id, attempt = tried, %error, "a robot message was given up");
                done.failed += 1;
            }
        }
        let mut tx = db.begin_write().await?;
        store::robots::record(&mut tx, d.id, &outcome, now).await?;
        tx.commit().await?;
    }
    Ok(done)
}

/// One try: the robot's answer judged, or what failed on the way (never the address: it holds
/// the key).
async fn send(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> std::result::Result<(), String> {
    let response = client.post(url).json(body).send().await.map_err(|e| {
        if e.is_timeout() {
            "连接超时".to_owned()
        } else if e.is_connect() {
            "无法连接".to_owned()
        } else {
            "发送失败".to_owned()
        }
    })?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    webhook::judge(status, &text)
}

/// Hands the queue to the robots beside the server, every few seconds.
pub fn spawn_deliveries(
    db: Db,
    origin: Option<String>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let client = client()?;
    Ok(tokio::spawn(async move {
        let mut every = tokio::time::interval(DELIVER_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = deliver_due(&db, &client, origin.as_deref(), now_ms()).await {
                tracing::error!(error = ?e, "the robot deliveries failed");
            }
        }
    }))
}
