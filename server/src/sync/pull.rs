//! Pulling: what changed since a client's cursor among the sheets its user may read.

use std::collections::HashSet;

use domain::{
    ids::{OrgUnitId, PostId},
    sync::{SheetRecord, SyncResponse},
};
use uuid::Uuid;

use crate::{
    db::{now_ms, Db},
    error::{corrupt, Result},
    store::{self, changes::Kind, Conn},
};

/// What changed since `cursor` among the sheets `user_id` may read, leaving out what this client
/// pushed itself (it has that already, and its results carry the new versions); everything when
/// the cursor is absent or unknown. Reads one consistent snapshot, so the returned cursor covers
/// exactly what is returned.
pub async fn pull(
    db: &Db,
    user_id: i64,
    client_id: Uuid,
    cursor: Option<i64>,
) -> Result<SyncResponse> {
    let mut tx = db.pool().begin().await?;
    let latest = store::changes::latest(&mut tx).await?;
    let cursor = cursor.filter(|c| (0..=latest).contains(c));
    let response = match cursor {
        Some(since) => since_cursor(db, &mut tx, user_id, client_id, since, latest).await?,
        None => everything(db, &mut tx, user_id, latest).await?,
    };
    tx.commit().await?;
    Ok(response)
}

fn empty(cursor: i64, full: bool) -> SyncResponse {
    SyncResponse {
        results: Vec::new(),
        cursor,
        full,
        sheets: Vec::new(),
        risk_points: Vec::new(),
        deleted: Vec::new(),
        server_time: now_ms(),
    }
}

/// The posts `user_id` may read, and those they hold.
async fn visible(db: &Db, conn: &mut Conn, user_id: i64) -> Result<(Vec<i64>, HashSet<i64>)> {
    let person = db.directory().person_on(conn, user_id).await?;
    let org = db.directory().org_on(conn).await?;
    let posts = store::org::post_units(conn).await?;
    let readable = posts
        .into_iter()
        .filter(|(post, unit)| {
            person
                .principal
                .may_read_sheet(&org.tree, PostId(*post), OrgUnitId(*unit))
        })
        .map(|(post, _)| post)
        .collect();
    let held = person.principal.held_posts.iter().map(|p| p.0).collect();
    Ok((readable, held))
}

/// A full snapshot: every sheet the user may read with all its points.
async fn everything(db: &Db, conn: &mut Conn, user_id: i64, latest: i64) -> Result<SyncResponse> {
    let (posts, held) = visible(db, conn, user_id).await?;
    let ids = store::points::ids_on_current_sheets(conn, &posts).await?;
    let risk_points = store::points::records(conn, &ids)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    Ok(SyncResponse {
        sheets: sheet_records(conn, &posts, &held).await?,
        risk_points,
        ..empty(latest, true)
    })
}

/// The changes after `since`. Most pulls find none but the client's own (a device syncing on a
/// timer, or one that just pushed): those are answered without working out what the user may
/// see.
async fn since_cursor(
    db: &Db,
    conn: &mut Conn,
    user_id: i64,
    client_id: Uuid,
    since: i64,
    latest: i64,
) -> Result<SyncResponse> {
    if since == latest {
        return Ok(empty(latest, false));
    }
    let changes = store::changes::between(conn, since, latest, &client_id.to_string()).await?;
    if changes.is_empty() {
        return Ok(empty(latest, false));
    }
    let (readable, held) = visible(db, conn, user_id).await?;
    let readable: HashSet<i64> = readable.into_iter().collect();
    let mut posts = Vec::new();
    let (mut points, mut deleted) = (Vec::new(), Vec::new());
    for change in changes
        .into_iter()
        .filter(|c| readable.contains(&c.post_id))
    {
        if !posts.contains(&change.post_id) {
            posts.push(change.post_id);
        }
        let Ok(id) = Uuid::parse_str(&change.entity) else {
            continue;
        };
        match change.kind {
            Kind::RiskPoint => points.push(id),
            Kind::RiskPointDeleted => deleted.push(id),
            Kind::Sheet => {}
        }
    }
    posts.sort_unstable();
    let risk_points: Vec<_> = store::points::records(conn, &points)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let live: HashSet<Uuid> = risk_points.iter().map(|r| r.id).collect();
    let deleted: Vec<Uuid> = deleted
        .into_iter()
        .filter(|d| !live.contains(d))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    Ok(SyncResponse {
        sheets: sheet_records(conn, &posts, &held).await?,
        risk_points,
        deleted,
        ..empty(latest, false)
    })
}

/// The current sheets of `posts` as a client keeps them, in two statements.
async fn sheet_records(
    conn: &mut Conn,
    posts: &[i64],
    held: &HashSet<i64>,
) -> Result<Vec<SheetRecord>> {
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    let mut duties = store::org::duties_of(conn, posts).await?;
    let mut records = Vec::with_capacity(posts.len());
    for p in store::sheets::posts_with_sheets(conn, posts).await? {
        let Some(sheet) = p.sheet else {
            continue;
        };
        records.push(SheetRecord {
            post_id: p.post_id,
            post_title: p.title,
            post_level: p.level,
            key_post: p.key_post,
            unit: p.unit,
            round: sheet.round,
            stage: sheet.stage,
            version: sheet.version,
            holder: held.contains(&p.post_id),
            matrix: serde_json::from_str(&sheet.matrix_json).map_err(|e| corrupt("matrix", e))?,
            duties: duties.remove(&p.post_id).unwrap_or_default(),
        });
    }
    Ok(records)
}
