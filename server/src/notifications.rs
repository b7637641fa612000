//! 通知: the list of what arrived for the signed-in user (warnings raised about them, answers to
//! review, send-backs, escalations, reminders to sign), newest first, and marking it read. Each
//! engine sends its notifications inside the transaction of what they tell of
//! (`store::notifications::insert`); this module only reads them for their recipient.

use app::api::supervision::{NotificationView, NotificationsView};

use crate::{db::Db, error::Result, store};

/// How many notifications the list shows.
const SHOWN: i64 = 100;

/// The user's notifications: their own only, so there is nothing to authorise beyond the session.
pub async fn list(db: &Db, user_id: i64) -> Result<NotificationsView> {
    let mut conn = db.pool().acquire().await?;
    let unread = store::notifications::unread(&mut conn, user_id).await?;
    let items = store::notifications::of_user(&mut conn, user_id, SHOWN)
        .await?
        .into_iter()
        .map(|n| NotificationView {
            id: n.id,
            what: n.kind.label().to_owned(),
            text: n.text,
            link: n.link,
            at: domain::time::china_time(n.created_at),
            read: n.read,
        })
        .collect();
    Ok(NotificationsView {
        unread: usize::try_from(unread).unwrap_or_default(),
        items,
    })
}

/// Marks the user's notifications up to `up_to` (the newest they were shown) read.
pub async fn mark_read(db: &Db, user_id: i64, up_to: i64, now: i64) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let marked = store::notifications::mark_read(&mut tx, user_id, up_to, now).await?;
    tx.commit().await?;
    Ok(marked)
}

/// How many the user has not read, for the home page.
pub async fn unread(conn: &mut store::Conn, user_id: i64) -> Result<usize> {
    let n = store::notifications::unread(conn, user_id).await?;
    Ok(usize::try_from(n).unwrap_or_default())
}
