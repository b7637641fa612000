//! Pulling: what changed since a client's cursor among the sheets its user's replica holds
//! (`domain::sync::replica_posts`: their own posts, a bounded inbox, the sheets opened lately),
//! with whole sheets for the posts entering that scope and the posts leaving it.

use std::collections::{HashMap, HashSet};

use domain::{
    ids::{OrgUnitId, PostId},
    sync::{
        replica_posts, CommitmentRecord, RiskPointRecord, SheetRecord, SyncResponse,
        PULL_PAGE_CHANGES, REPLICA_OPENED_SHEETS, SNAPSHOT_PAGE_POINTS,
    },
};
use uuid::Uuid;

use crate::{
    db::{now_ms, Db},
    error::{corrupt, Result},
    store::{self, changes::Kind, Conn},
};

/// Where a pull starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullFrom {
    /// A full snapshot (no cursor, or one this server never issued).
    Nothing,
    /// The changes after this cursor.
    Cursor(i64),
    /// The rest of a snapshot taken at `cursor`: the posts after `post`.
    Snapshot { cursor: i64, after_post: i64 },
}

impl PullFrom {
    /// The start a request asks for.
    pub fn of(cursor: Option<i64>, resume_after_post: Option<i64>) -> Self {
        match (cursor, resume_after_post) {
            (None, _) => Self::Nothing,
            (Some(cursor), None) => Self::Cursor(cursor),
            (Some(cursor), Some(after_post)) => Self::Snapshot { cursor, after_post },
        }
    }
}

/// How much one pull carries at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Changes of an incremental pull.
    pub changes: usize,
    /// About the risk points of a snapshot page (whole sheets, at least one).
    pub snapshot_points: usize,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            changes: PULL_PAGE_CHANGES,
            snapshot_points: SNAPSHOT_PAGE_POINTS,
        }
    }
}

/// What a client says of its replica with a pull.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    /// The posts whose sheets it holds; `None` from a client that does not say (it then gets
    /// the changes within its scope, and no sheets entering or leaving it).
    pub have: Option<Vec<i64>>,
}

/// What changed since `from` among the sheets of the user's replica scope, this client's own
/// changes included (so that a client's replica is the server's records, levels, positions and
/// trimmed text, after every sync), with the posts entering and leaving the scope when the
/// client said what it `kept`. At most a page of changes: `more` says to pull again at once.
/// Reads one consistent snapshot, so the returned cursor covers exactly what is returned.
pub async fn pull(
    db: &Db,
    user_id: i64,
    from: PullFrom,
    page: Page,
    kept: &Kept,
) -> Result<SyncResponse> {
    let mut tx = db.pool().begin().await?;
    let latest = store::changes::latest(&mut tx).await?;
    let known = |c: i64| (0..=latest).contains(&c);
    let response = match from {
        PullFrom::Cursor(since) if known(since) => {
            let window = (since, latest, page.changes);
            since_cursor(db, &mut tx, user_id, window, kept).await?
        }
        PullFrom::Snapshot { cursor, after_post } if known(cursor) => {
            let start = (cursor, Some(after_post));
            snapshot(db, &mut tx, user_id, start, page.snapshot_points).await?
        }
        _ => {
            let start = (latest, None);
            snapshot(db, &mut tx, user_id, start, page.snapshot_points).await?
        }
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
        more: false,
        resume_after_post: None,
        server_time: now_ms(),
        commitments: None,
        commitments_digest: None,
        warnings: None,
        warnings_digest: None,
        dropped: Vec::new(),
    }
}

/// The user's commitments in force for their replica, unless they are what the client last got
/// (`known`, the digest it was given then), and their digest.
pub async fn commitments(
    db: &Db,
    user_id: i64,
    known: Option<&str>,
) -> Result<(Option<Vec<CommitmentRecord>>, String)> {
    let mut conn = db.pool().acquire().await?;
    let list = store::commitments::for_replica(&mut conn, user_id).await?;
    unless_known(list, known)
}

/// The open warnings the user answers, for their replica, unless they are what the client last
/// got (`known`), and their digest.
pub async fn warnings(
    db: &Db,
    user_id: i64,
    known: Option<&str>,
) -> Result<(Option<Vec<domain::sync::WarningRecord>>, String)> {
    let list = crate::warnings::for_replica(db, user_id).await?;
    unless_known(list, known)
}

/// A list the replica replaces whole, with its digest (SHA-256 of its JSON); the list itself
/// only when the client's `known` digest differs.
fn unless_known<T: serde::Serialize>(
    list: Vec<T>,
    known: Option<&str>,
) -> Result<(Option<Vec<T>>, String)> {
    use sha2::Digest as _;
    let json = serde_json::to_vec(&list).map_err(anyhow::Error::from)?;
    let digest = hex::encode(sha2::Sha256::digest(&json));
    let changed = known != Some(digest.as_str());
    Ok((changed.then_some(list), digest))
}

/// The user's replica scope: its posts ([`replica_posts`]: those they hold, those awaiting them
/// under the inbox budget, those they opened lately and may still read), sorted; and, of all
/// posts, those they hold and those whose sheets await them.
struct Scope {
    posts: Vec<i64>,
    marks: Marks,
}

/// What a sheet record says of its post for this user.
struct Marks {
    held: HashSet<i64>,
    waiting: HashSet<i64>,
}

async fn scope(db: &Db, conn: &mut Conn, user_id: i64) -> Result<Scope> {
    let person = db.directory().person_on(conn, user_id).await?;
    let org = db.directory().org_on(conn).await?;
    let principal = &person.principal;
    let (mut readable, mut awaiting) = (HashSet::new(), Vec::new());
    for row in store::sheets::summaries(conn, user_id).await? {
        let (post, unit) = (PostId(row.post_id), OrgUnitId(row.unit_id));
        if !principal.may_read_sheet(&org.tree, post, unit) {
            continue;
        }
        readable.insert(row.post_id);
        if principal.awaits(&org.tree, post, unit, row.stage, row.open_objections) {
            let points = usize::try_from(row.risk_count).unwrap_or(0);
            awaiting.push((row.post_id, points));
        }
    }
    let held: Vec<i64> = principal
        .held_posts
        .iter()
        .map(|p| p.0)
        .filter(|p| readable.contains(p))
        .collect();
    let opened: Vec<i64> = store::sheets::viewed_lately(conn, user_id)
        .await?
        .into_iter()
        .filter(|p| readable.contains(p))
        .collect();
    Ok(Scope {
        posts: replica_posts(&held, &awaiting, &opened),
        marks: Marks {
            held: held.into_iter().collect(),
            waiting: awaiting.into_iter().map(|(p, _)| p).collect(),
        },
    })
}

/// A page of a snapshot taken at `cursor`: whole sheets the user may read, in post order, after
/// `after_post` (none: from the start, and the client replaces its replica), up to about
/// `page_points` points. Sheets that change while the pages are pulled come again in
/// the changes after `cursor`, which the client pulls once the snapshot is whole.
async fn snapshot(
    db: &Db,
    conn: &mut Conn,
    user_id: i64,
    (cursor, after_post): (i64, Option<i64>),
    page_points: usize,
) -> Result<SyncResponse> {
    let Scope { mut posts, marks } = scope(db, conn, user_id).await?;
    posts.retain(|p| after_post.is_none_or(|after| *p > after));
    let ids = store::points::ids_on_current_sheets(conn, &posts).await?;
    // Whole posts, until the page is full.
    let mut page_posts: Vec<i64> = Vec::new();
    let mut counted = 0;
    let mut per_post: HashMap<i64, usize> = HashMap::new();
    for (post, _) in &ids {
        *per_post.entry(*post).or_default() += 1;
    }
    for post in &posts {
        let n = per_post.get(post).copied().unwrap_or(0);
        if !page_posts.is_empty() && counted + n > page_points {
            break;
        }
        counted += n;
        page_posts.push(*post);
    }
    let last = page_posts.last().copied();
    let more = page_posts.len() < posts.len();
    let chosen: HashSet<i64> = page_posts.iter().copied().collect();
    let page_ids: Vec<Uuid> = ids
        .into_iter()
        .filter(|(post, _)| chosen.contains(post))
        .map(|(_, id)| id)
        .collect();
    let risk_points = store::points::records(conn, &page_ids)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    Ok(SyncResponse {
        sheets: sheet_records(conn, &page_posts, &marks).await?,
        risk_points,
        more,
        resume_after_post: if more { last } else { None },
        ..empty(cursor, after_post.is_none())
    })
}

/// The changes after `since` (up to `latest`, at most `page_changes` of them) among the
/// posts of the user's scope that the client holds, the posts entering its scope whole, and
/// those leaving it. Most pulls find nothing new (a device syncing on a timer): those are
/// answered without working out the scope, unless the user opened a sheet the client does not
/// hold. A scope that changes with no change recorded (a role granted) is worked out at the
/// next change.
async fn since_cursor(
    db: &Db,
    conn: &mut Conn,
    user_id: i64,
    (since, latest, page_changes): (i64, i64, usize),
    kept: &Kept,
) -> Result<SyncResponse> {
    if since == latest && !opened_elsewhere(conn, user_id, kept).await? {
        return Ok(empty(latest, false));
    }
    let page_changes = page_changes.max(1);
    let limit = i64::try_from(page_changes).unwrap_or(i64::MAX);
    let changes = store::changes::between(conn, since, latest, limit).await?;
    let (cursor, more) = match changes.last() {
        Some((seq, _)) if changes.len() == page_changes && *seq < latest => (*seq, true),
        _ => (latest, false),
    };
    let Scope {
        posts: scope,
        marks,
    } = scope(db, conn, user_id).await?;
    let scope: HashSet<i64> = scope.into_iter().collect();
    // What the client holds and keeps gets its changes; what enters comes whole (bounded by
    // the scope itself: the inbox budget and the sheets opened lately); what leaves is dropped.
    let (followed, entering, dropped) = match &kept.have {
        None => (scope, Vec::new(), Vec::new()),
        Some(have) => {
            let have: HashSet<i64> = have.iter().copied().collect();
            let mut entering: Vec<i64> = scope.difference(&have).copied().collect();
            let mut dropped: Vec<i64> = have.difference(&scope).copied().collect();
            entering.sort_unstable();
            dropped.sort_unstable();
            (
                scope.intersection(&have).copied().collect(),
                entering,
                dropped,
            )
        }
    };
    let mut posts = Vec::new();
    let (mut points, mut deleted) = (Vec::new(), Vec::new());
    for (_, change) in changes
        .into_iter()
        .filter(|(_, c)| followed.contains(&c.post_id))
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
    let mut risk_points: Vec<_> = store::points::records(conn, &points)
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
    let mut sheets = sheet_records(conn, &posts, &marks).await?;
    let (whole, whole_points) = whole_sheets(conn, &entering, &marks).await?;
    sheets.extend(whole);
    risk_points.extend(whole_points);
    Ok(SyncResponse {
        sheets,
        risk_points,
        deleted,
        dropped,
        more,
        ..empty(cursor, false)
    })
}

/// Whether the user opened a sheet lately that the client does not hold (it may then enter the
/// replica even with nothing new in the change log).
async fn opened_elsewhere(conn: &mut Conn, user_id: i64, kept: &Kept) -> Result<bool> {
    let Some(have) = &kept.have else {
        return Ok(false);
    };
    let viewed = store::sheets::viewed_lately(conn, user_id).await?;
    Ok(viewed
        .iter()
        .take(REPLICA_OPENED_SHEETS)
        .any(|p| !have.contains(p)))
}

/// The current sheets of `posts` with all their risk points.
async fn whole_sheets(
    conn: &mut Conn,
    posts: &[i64],
    marks: &Marks,
) -> Result<(Vec<SheetRecord>, Vec<RiskPointRecord>)> {
    if posts.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let ids: Vec<Uuid> = store::points::ids_on_current_sheets(conn, posts)
        .await?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let points = store::points::records(conn, &ids)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    Ok((sheet_records(conn, posts, marks).await?, points))
}

/// The current sheets of `posts` as a client keeps them, in two statements.
async fn sheet_records(conn: &mut Conn, posts: &[i64], marks: &Marks) -> Result<Vec<SheetRecord>> {
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
            holder: marks.held.contains(&p.post_id),
            waiting: marks.waiting.contains(&p.post_id),
            matrix: serde_json::from_str(&sheet.matrix_json).map_err(|e| corrupt("matrix", e))?,
            duties: duties.remove(&p.post_id).unwrap_or_default(),
        });
    }
    Ok(records)
}
