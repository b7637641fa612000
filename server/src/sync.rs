//! Exactly-once sync: `POST /api/sync` pushes a client's queued operations and pulls what changed
//! since its cursor, in one round trip (docs/sync-protocol.md).
//!
//! A push runs in one immediate write transaction. Each operation first claims its id with an
//! insert into `sync_ops`, whose primary key makes a second claim impossible; a retry finds the
//! claim and gets the stored result back, byte for byte. If the transaction does not commit (the
//! connection dropped, the server was killed), nothing of the push happened and a retry applies it.

use std::collections::{HashMap, HashSet};

use app::{api::SessionUser, error::ApiError};
use axum::{body::Bytes, extract::State, Extension, Json};
use domain::{
    access::Principal,
    chain::{Action, Approval, Chain, SheetFacts, SheetState as ChainState, Via},
    ids::{OrgUnitId, PostId, UserId},
    org::OrgTree,
    post::PostLevel,
    risk::{RatingMatrix, RiskLevel},
    stage::Stage,
    sync::{
        Envelope, MeasureInput, OpResult, Operation, RiskPointInput, RiskPointRecord, SheetRecord,
        SyncRequest, SyncResponse, MAX_BATCH_OPS,
    },
    FieldError,
};
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use crate::{
    backend::{load_principal, load_tree},
    db::{now_ms, Db},
    http::{AppState, HttpError},
};

/// The largest push body accepted: room for [`MAX_BATCH_OPS`] operations of ordinary size.
pub const MAX_SYNC_BODY_BYTES: usize = 4 * 1024 * 1024;

/// `POST /api/sync`.
pub async fn handle(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    body: Bytes,
) -> Result<Json<SyncResponse>, HttpError> {
    let Some(Extension(user)) = user else {
        return Err(HttpError(ApiError::new(
            "unauthenticated",
            "登录已过期，请重新登录后再同步；待同步的内容仍保留在本设备上",
        )));
    };
    let request = parse_request(&body)?;
    if request.user != user.username {
        return Err(HttpError(ApiError::new(
            "wrong_user",
            format!(
                "当前登录的是 {}，不能同步 {} 的待同步内容；请 {} 本人登录后再同步",
                user.username, request.user, request.user
            ),
        )));
    }
    check_sequence(&request.ops)?;
    let results = apply_batch(&state.db, user.id, request.client_id, &request.ops).await?;
    let pull = pull(&state.db, &user, request.client_id, request.cursor).await?;
    Ok(Json(SyncResponse {
        results,
        server_time: now_ms(),
        ..pull
    }))
}

/// Parses the body in three steps so that each kind of mistake gets its own code: not JSON at
/// all, too many operations, an operation type this server does not know, anything else malformed.
fn parse_request(body: &[u8]) -> Result<SyncRequest, HttpError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        HttpError(ApiError::new(
            "malformed_json",
            format!("JSON 格式错误：第 {} 行第 {} 列", e.line(), e.column()),
        ))
    })?;
    let ops = value.get("ops").and_then(|o| o.as_array());
    if let Some(ops) = ops {
        if ops.len() > MAX_BATCH_OPS {
            return Err(HttpError(ApiError::new(
                "batch_too_large",
                format!(
                    "一次最多同步 {MAX_BATCH_OPS} 条操作（本次 {} 条），请分批提交",
                    ops.len()
                ),
            )));
        }
        for (i, op) in ops.iter().enumerate() {
            let kind = op.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if !Operation::TYPES.contains(&kind) {
                return Err(HttpError(ApiError {
                    code: "unknown_operation".to_owned(),
                    message: format!("第 {} 条操作的类型“{kind}”无法识别", i + 1),
                    field: Some(format!("ops[{i}].type")),
                }));
            }
        }
    }
    serde_json::from_value(value).map_err(|e| {
        HttpError(ApiError::new(
            "invalid_request",
            format!("同步请求格式错误：{e}"),
        ))
    })
}

fn check_sequence(ops: &[Envelope]) -> Result<(), HttpError> {
    if ops.windows(2).any(|w| w[1].seq <= w[0].seq) {
        return Err(HttpError(ApiError::new(
            "bad_sequence",
            "操作须按队列顺序提交（seq 严格递增）",
        )));
    }
    Ok(())
}

/// The state of a post's current sheet, as the operations need it.
#[derive(Clone)]
struct SheetState {
    id: i64,
    stage: Stage,
    matrix: RatingMatrix,
    /// The next free position for a new risk point.
    next_position: i64,
    /// `next_position` as loaded: the counter is written back only when it moved.
    loaded_next: i64,
}

/// Work gathered while a push is applied and written in bulk before it commits: one statement
/// per kind instead of one per operation keeps a push of hundreds of operations cheap.
#[derive(Default)]
struct Pending {
    /// `(post_id, kind, entity_id)` in the order the changes happened.
    changes: Vec<(i64, &'static str, String)>,
    /// The pushing client, recorded with each change.
    client_id: String,
    /// Sheet id → how many changes its version has to count.
    sheet_bumps: HashMap<i64, i64>,
    /// `(op_id, result JSON)` of every operation applied by this push.
    results: Vec<(String, String)>,
}

/// Rows per multi-row statement, well under SQLite's limit on bound parameters.
const CHUNK: usize = 400;

/// Applies operations in order, each at most once, in one write transaction, and returns one
/// result per operation.
pub async fn apply_batch(
    db: &Db,
    user_id: i64,
    client_id: Uuid,
    ops: &[Envelope],
) -> Result<Vec<OpResult>, HttpError> {
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let claimed = claim(&mut tx, user_id, client_id, ops, now).await?;
    let earlier = stored_results(&mut tx, user_id, ops, &claimed).await?;
    let held: HashSet<i64> = sqlx::query_scalar!(
        r#"SELECT post_id AS "post_id!: i64" FROM post_holders WHERE user_id = ?"#,
        user_id
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();

    let mut sheets: HashMap<i64, Option<SheetState>> = HashMap::new();
    let mut actor = Actor {
        user_id,
        loaded: None,
        pool: db.pool().clone(),
    };
    let mut pending = Pending {
        client_id: client_id.to_string(),
        ..Pending::default()
    };
    let fresh: Vec<&Envelope> = ops.iter().filter(|e| claimed.contains(&e.id)).collect();
    let mut touched = Touched::load(&mut tx, &fresh).await?;
    let mut this_push: HashMap<Uuid, OpResult> = HashMap::new();
    let mut results = Vec::with_capacity(ops.len());
    for envelope in ops {
        if let Some(result) = this_push
            .get(&envelope.id)
            .or_else(|| earlier.get(&envelope.id))
        {
            results.push(result.clone());
            continue;
        }
        if !claimed.contains(&envelope.id) {
            return Err(HttpError::from(anyhow::anyhow!(
                "operation {} neither claimed nor stored",
                envelope.id
            )));
        }
        let result = apply_one(
            &mut tx,
            envelope,
            &held,
            &mut actor,
            &mut sheets,
            &mut touched,
            &mut pending,
            now,
        )
        .await?;
        let json = serde_json::to_string(&result).map_err(anyhow::Error::from)?;
        pending.results.push((envelope.id.to_string(), json));
        this_push.insert(envelope.id, result.clone());
        results.push(result);
    }
    touched.write(&mut tx, user_id, now).await?;
    flush(&mut tx, &pending, now).await?;
    for sheet in sheets
        .values()
        .flatten()
        .filter(|s| s.next_position != s.loaded_next)
    {
        sqlx::query!(
            "UPDATE risk_sheets SET next_position = ? WHERE id = ? AND next_position < ?",
            sheet.next_position,
            sheet.id,
            sheet.next_position
        )
        .execute(&mut **tx)
        .await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// Claims the operation ids that were never seen: the primary key of `sync_ops` lets each id be
/// inserted once, ever. Returns the ids this push claimed.
async fn claim(
    tx: &mut Transaction<'static, Sqlite>,
    user_id: i64,
    client_id: Uuid,
    ops: &[Envelope],
    now: i64,
) -> Result<HashSet<Uuid>, HttpError> {
    let client = client_id.to_string();
    let mut claimed = HashSet::new();
    for chunk in ops.chunks(CHUNK) {
        let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO sync_ops (op_id, user_id, client_id, seq, received_at, result_json) ",
        );
        insert.push_values(chunk, |mut row, e| {
            row.push_bind(e.id.to_string())
                .push_bind(user_id)
                .push_bind(client.clone())
                .push_bind(e.seq)
                .push_bind(now)
                .push_bind("");
        });
        insert.push(" ON CONFLICT (op_id) DO NOTHING RETURNING op_id");
        let rows: Vec<(String,)> = insert.build_query_as().fetch_all(&mut **tx).await?;
        claimed.extend(rows.iter().filter_map(|(id,)| Uuid::parse_str(id).ok()));
    }
    Ok(claimed)
}

/// The stored results of operations applied by earlier pushes. An id claimed by another account
/// is refused without revealing that account's result.
async fn stored_results(
    tx: &mut Transaction<'static, Sqlite>,
    user_id: i64,
    ops: &[Envelope],
    claimed: &HashSet<Uuid>,
) -> Result<HashMap<Uuid, OpResult>, HttpError> {
    let seen: Vec<String> = ops
        .iter()
        .filter(|e| !claimed.contains(&e.id))
        .map(|e| e.id.to_string())
        .collect();
    let mut stored = HashMap::new();
    for chunk in seen.chunks(CHUNK) {
        let ids = serde_json::to_string(chunk).map_err(anyhow::Error::from)?;
        let rows = sqlx::query!(
            r#"SELECT op_id AS "op_id!", user_id AS "user_id!: i64", result_json FROM sync_ops
               WHERE op_id IN (SELECT value FROM json_each(?))"#,
            ids
        )
        .fetch_all(&mut **tx)
        .await?;
        for row in rows {
            let id = Uuid::parse_str(&row.op_id).map_err(anyhow::Error::from)?;
            let result = if row.user_id != user_id {
                OpResult::rejected(id, "duplicate_id", "操作编号已被使用，请重新生成后提交")
            } else {
                serde_json::from_str(&row.result_json).map_err(|e| {
                    HttpError::from(anyhow::anyhow!("stored result of {id} is unreadable: {e}"))
                })?
            };
            stored.insert(id, result);
        }
    }
    Ok(stored)
}

/// Writes what the push gathered: the change log, sheet versions and the stored results.
async fn flush(
    tx: &mut Transaction<'static, Sqlite>,
    pending: &Pending,
    now: i64,
) -> Result<(), HttpError> {
    for chunk in pending.changes.chunks(CHUNK) {
        let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO changes (post_id, kind, entity_id, at, client_id) ",
        );
        insert.push_values(chunk, |mut row, (post, kind, entity)| {
            row.push_bind(*post)
                .push_bind(*kind)
                .push_bind(entity.clone())
                .push_bind(now)
                .push_bind(pending.client_id.clone());
        });
        insert.build().execute(&mut **tx).await?;
    }
    for (sheet, count) in &pending.sheet_bumps {
        sqlx::query!(
            "UPDATE risk_sheets SET version = version + ?, updated_at = ? WHERE id = ?",
            count,
            now,
            sheet
        )
        .execute(&mut **tx)
        .await?;
    }
    for chunk in pending.results.chunks(CHUNK) {
        let mut upsert = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO sync_ops (op_id, user_id, client_id, seq, received_at, result_json) ",
        );
        // Every row exists (claimed above); the upsert only sets the result.
        upsert.push_values(chunk, |mut row, (id, json)| {
            row.push_bind(id.clone())
                .push_bind(0)
                .push_bind("")
                .push_bind(0)
                .push_bind(0)
                .push_bind(json.clone());
        });
        upsert.push(" ON CONFLICT (op_id) DO UPDATE SET result_json = excluded.result_json");
        upsert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The risk points a push touches, as they stand part-way through it. Operations are decided
/// here, in order, in memory; the final state of each touched point is written once, in bulk,
/// before the push commits.
#[derive(Default)]
struct Touched {
    /// Point → `Some((sheet id, record))` while it exists, `None` once it does not.
    points: HashMap<Uuid, Option<(i64, RiskPointRecord)>>,
    /// Points to write, in the order they were first touched.
    dirty: Vec<Uuid>,
    dirty_set: HashSet<Uuid>,
    /// Sheet → points created minus points deleted so far by this push.
    count_delta: HashMap<i64, i64>,
}

impl Touched {
    /// Loads every existing point the operations name, in one pass.
    async fn load(
        tx: &mut Transaction<'static, Sqlite>,
        ops: &[&Envelope],
    ) -> Result<Self, HttpError> {
        let ids: Vec<Uuid> = ops
            .iter()
            .filter_map(|e| match &e.op {
                Operation::UpsertRiskPoint { risk_point_id, .. }
                | Operation::DeleteRiskPoint { risk_point_id, .. } => Some(*risk_point_id),
                Operation::SubmitSheet { .. } | Operation::Decide { .. } => None,
            })
            .collect();
        let mut points: HashMap<Uuid, Option<(i64, RiskPointRecord)>> =
            ids.iter().map(|id| (*id, None)).collect();
        for (sheet, record) in load_points_with_sheets(tx, &ids).await? {
            points.insert(record.id, Some((sheet, record)));
        }
        Ok(Self {
            points,
            ..Self::default()
        })
    }

    fn current(&self, id: Uuid) -> Option<&(i64, RiskPointRecord)> {
        self.points.get(&id).and_then(Option::as_ref)
    }

    fn set(&mut self, id: Uuid, state: Option<(i64, RiskPointRecord)>) {
        if self.dirty_set.insert(id) {
            self.dirty.push(id);
        }
        self.points.insert(id, state);
    }

    /// Writes what is pending now and starts afresh (a chain step needs the content on disk).
    async fn flush(
        &mut self,
        tx: &mut Transaction<'static, Sqlite>,
        user_id: i64,
        now: i64,
    ) -> Result<(), HttpError> {
        self.write(tx, user_id, now).await?;
        self.dirty.clear();
        self.dirty_set.clear();
        // The database now counts what was created and deleted so far: counting it here as
        // well would count it twice (a later submission would see an empty sheet).
        self.count_delta.clear();
        Ok(())
    }

    /// Writes the final state of every touched point: upserts with their measures, deletions.
    async fn write(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        user_id: i64,
        now: i64,
    ) -> Result<(), HttpError> {
        if self.dirty.is_empty() {
            return Ok(());
        }
        let all: Vec<String> = self.dirty.iter().map(Uuid::to_string).collect();
        for chunk in all.chunks(CHUNK) {
            let keys = serde_json::to_string(chunk).map_err(anyhow::Error::from)?;
            sqlx::query!(
                "DELETE FROM measures WHERE risk_point_id IN (SELECT value FROM json_each(?))",
                keys
            )
            .execute(&mut **tx)
            .await?;
        }
        let present: Vec<&(i64, RiskPointRecord)> = self
            .dirty
            .iter()
            .filter_map(|id| self.current(*id))
            .collect();
        for chunk in present.chunks(CHUNK / 2) {
            let mut upsert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO risk_points (id, sheet_id, position, duty, description, manifestation, category, power_type, \
                 likelihood, impact, frequency, level, version, updated_at, updated_by) ",
            );
            upsert.push_values(chunk, |mut row, (sheet, r)| {
                let i = &r.input;
                row.push_bind(r.id.to_string())
                    .push_bind(*sheet)
                    .push_bind(r.position)
                    .push_bind(Some(i.duty.clone()).filter(|d| !d.is_empty()))
                    .push_bind(i.description.clone())
                    .push_bind(Some(i.manifestation.clone()).filter(|m| !m.is_empty()))
                    .push_bind(i.category.clone())
                    .push_bind(i.power_type.clone())
                    .push_bind(i.likelihood)
                    .push_bind(i.impact)
                    .push_bind(i.frequency)
                    .push_bind(r.level.code())
                    .push_bind(r.version)
                    .push_bind(now)
                    .push_bind(user_id);
            });
            upsert.push(
                " ON CONFLICT (id) DO UPDATE SET duty = excluded.duty, description = excluded.description, \
                 manifestation = excluded.manifestation, category = excluded.category, power_type = excluded.power_type, \
                 likelihood = excluded.likelihood, impact = excluded.impact, frequency = excluded.frequency, \
                 level = excluded.level, version = excluded.version, updated_at = excluded.updated_at, \
                 updated_by = excluded.updated_by",
            );
            upsert.build().execute(&mut **tx).await?;
        }
        let measures: Vec<(String, i64, &MeasureInput)> = present
            .iter()
            .flat_map(|(_, r)| {
                r.input
                    .measures
                    .iter()
                    .enumerate()
                    .map(|(p, m)| (r.id.to_string(), p as i64, m))
            })
            .collect();
        for chunk in measures.chunks(CHUNK) {
            let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO measures (risk_point_id, position, kind, text, owner, due, status, done_on) ",
            );
            insert.push_values(chunk, |mut row, (id, position, m)| {
                row.push_bind(id.clone())
                    .push_bind(*position)
                    .push_bind(m.kind.clone())
                    .push_bind(m.text.clone())
                    .push_bind(Some(m.owner.clone()).filter(|o| !o.is_empty()))
                    .push_bind(Some(m.due.clone()).filter(|d| !d.is_empty()))
                    .push_bind(m.status.clone())
                    .push_bind(Some(m.done_on.clone()).filter(|d| !d.is_empty()));
            });
            insert.build().execute(&mut **tx).await?;
        }
        let gone: Vec<String> = self
            .dirty
            .iter()
            .filter(|id| self.current(**id).is_none())
            .map(Uuid::to_string)
            .collect();
        for chunk in gone.chunks(CHUNK) {
            let keys = serde_json::to_string(chunk).map_err(anyhow::Error::from)?;
            sqlx::query!(
                "DELETE FROM risk_points WHERE id IN (SELECT value FROM json_each(?))",
                keys
            )
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
async fn apply_one(
    tx: &mut Transaction<'static, Sqlite>,
    envelope: &Envelope,
    held: &HashSet<i64>,
    actor: &mut Actor,
    sheets: &mut HashMap<i64, Option<SheetState>>,
    touched: &mut Touched,
    pending: &mut Pending,
    now: i64,
) -> Result<OpResult, HttpError> {
    let id = envelope.id;
    let post_id = envelope.op.post_id();
    let edits = matches!(
        envelope.op,
        Operation::UpsertRiskPoint { .. } | Operation::DeleteRiskPoint { .. }
    );
    // Editing is the holder's; chain steps are checked by the chain itself.
    if edits && !held.contains(&post_id) {
        return Ok(OpResult::rejected(
            id,
            "forbidden",
            "您不是该岗位的在岗人员，不能修改其排查表",
        ));
    }
    if let std::collections::hash_map::Entry::Vacant(slot) = sheets.entry(post_id) {
        slot.insert(current_sheet(tx, post_id).await?);
    }
    let Some(sheet) = sheets.get_mut(&post_id).and_then(Option::as_mut) else {
        return Ok(OpResult::rejected(id, "no_sheet", "该岗位尚无本轮排查表"));
    };
    if edits {
        if let Err(locked) = domain::chain::check_editable(sheet.stage) {
            return Ok(OpResult::rejected(id, &locked.code, locked.message));
        }
    }
    match &envelope.op {
        Operation::UpsertRiskPoint {
            risk_point_id,
            base_version,
            risk_point,
            ..
        } => {
            // An edit that does not state a measure's progress keeps what is stored.
            let mut risk_point = risk_point.clone();
            if let Some((_, stored)) = touched.current(*risk_point_id) {
                risk_point.keep_progress_of(&stored.input);
            }
            let valid = match risk_point.validate() {
                Ok(valid) => valid,
                Err(errors) => {
                    return Ok(OpResult::Rejected {
                        id,
                        code: "invalid".to_owned(),
                        message: invalid_summary(&errors),
                        errors,
                        current: None,
                    })
                }
            };
            let current = touched.current(*risk_point_id).cloned();
            let (position, version) = match (base_version, current) {
                (_, Some((_, c))) if c.post_id != post_id => {
                    return Ok(OpResult::rejected(id, "forbidden", "该风险点不属于此岗位"))
                }
                (None, None) => {
                    sheet.next_position += 1;
                    *touched.count_delta.entry(sheet.id).or_default() += 1;
                    (sheet.next_position - 1, 1)
                }
                // Only a point of the current sheet, still at the version the edit was based on.
                (Some(base), Some((s, c))) if s == sheet.id && c.version == *base => {
                    (c.position, base + 1)
                }
                (_, Some((_, c))) => return Ok(conflict(id, c)),
                (Some(_), None) => {
                    return Ok(OpResult::rejected(
                        id,
                        "not_found",
                        "该风险点已被删除；如需保留，可作为新风险点重新添加",
                    ))
                }
            };
            let record = RiskPointRecord {
                id: *risk_point_id,
                post_id,
                version,
                position,
                level: valid.level(&sheet.matrix),
                input: valid.to_input(),
            };
            touched.set(*risk_point_id, Some((sheet.id, record)));
            pending
                .changes
                .push((post_id, "risk_point", risk_point_id.to_string()));
            *pending.sheet_bumps.entry(sheet.id).or_default() += 1;
            Ok(OpResult::Applied { id, version })
        }
        Operation::DeleteRiskPoint {
            risk_point_id,
            base_version,
            ..
        } => match touched.current(*risk_point_id).cloned() {
            None => Ok(OpResult::rejected(id, "not_found", "该风险点已被删除")),
            Some((_, c)) if c.post_id != post_id => {
                Ok(OpResult::rejected(id, "forbidden", "该风险点不属于此岗位"))
            }
            Some((s, c)) if s != sheet.id || c.version != *base_version => Ok(conflict(id, c)),
            Some(_) => {
                touched.set(*risk_point_id, None);
                *touched.count_delta.entry(sheet.id).or_default() -= 1;
                pending
                    .changes
                    .push((post_id, "risk_point_deleted", risk_point_id.to_string()));
                *pending.sheet_bumps.entry(sheet.id).or_default() += 1;
                Ok(OpResult::Applied {
                    id,
                    version: *base_version,
                })
            }
        },
        // Submitting is the same act whichever way it arrives; the chain refuses an empty sheet.
        Operation::SubmitSheet { .. }
        | Operation::Decide {
            decision: Action::Submit,
            ..
        } => {
            decide(
                tx,
                id,
                post_id,
                sheet,
                &Action::Submit,
                None,
                Via::Decision,
                actor,
                touched,
                pending,
                now,
            )
            .await
        }
        Operation::Decide {
            sheet_version,
            decision,
            ..
        } => {
            decide(
                tx,
                id,
                post_id,
                sheet,
                decision,
                Some(*sheet_version),
                Via::Decision,
                actor,
                touched,
                pending,
                now,
            )
            .await
        }
    }
}

/// The signed-in user as the chain sees them, loaded on the first chain step of a push.
struct Actor {
    user_id: i64,
    loaded: Option<(Principal, OrgTree)>,
    pool: sqlx::SqlitePool,
}

impl Actor {
    async fn get(&mut self) -> Result<&(Principal, OrgTree), HttpError> {
        if self.loaded.is_none() {
            let principal = load_principal(&self.pool, self.user_id)
                .await
                .map_err(HttpError)?;
            let (tree, _) = load_tree(&self.pool).await.map_err(HttpError)?;
            self.loaded = Some((principal, tree));
        }
        Ok(self.loaded.as_ref().expect("loaded above"))
    }
}

/// One step of the approval chain, decided by `domain::chain` and recorded: the new stage, the
/// approvals that stand, and a timeline row with the hash of the content it was taken on.
#[allow(clippy::too_many_arguments)]
async fn decide(
    tx: &mut Transaction<'static, Sqlite>,
    id: Uuid,
    post_id: i64,
    sheet: &mut SheetState,
    action: &Action,
    seen_version: Option<i64>,
    via: Via,
    actor: &mut Actor,
    touched: &mut Touched,
    pending: &mut Pending,
    now: i64,
) -> Result<OpResult, HttpError> {
    // The content must be on disk to be hashed, including this push's edits so far.
    touched.flush(tx, actor.user_id, now).await?;
    let bumps = pending.sheet_bumps.remove(&sheet.id).unwrap_or(0);
    if bumps > 0 {
        sqlx::query!(
            "UPDATE risk_sheets SET version = version + ? WHERE id = ?",
            bumps,
            sheet.id
        )
        .execute(&mut **tx)
        .await?;
    }
    let snap = snapshot(tx, sheet.id, post_id, sheet.stage, now).await?;
    if let Some(seen) = seen_version {
        if seen != snap.version {
            return Ok(OpResult::rejected(
                id,
                "stale",
                format!(
                    "排查表在您审阅后已有更新（现为第 {} 版），请刷新后重新审核",
                    snap.version
                ),
            ));
        }
    }
    let Snapshot { facts, state, .. } = snap;
    let content_hash = facts.content_hash.clone();
    let chain = Chain::for_level(facts.level);
    let (principal, tree) = actor.get().await?;
    let next = match domain::chain::decide(&chain, &state, &facts, principal, tree, action, via) {
        Ok(next) => next,
        Err(refused) => return Ok(OpResult::rejected(id, &refused.code, refused.message)),
    };

    let to = next.stage.code();
    let notice_until =
        (next.stage == Stage::PublicNotice).then(|| domain::chain::notice_until(now));
    let version = sqlx::query_scalar!(
        r#"UPDATE risk_sheets SET stage = ?, version = version + 1, updated_at = ?,
                  notice_until = COALESCE(?, notice_until)
           WHERE id = ? RETURNING version AS "v!: i64""#,
        to,
        now,
        notice_until,
        sheet.id
    )
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query!("DELETE FROM approvals WHERE sheet_id = ?", sheet.id)
        .execute(&mut **tx)
        .await?;
    for a in &next.approvals {
        let (stage, by) = (a.stage.code(), a.by.0);
        sqlx::query!(
            "INSERT INTO approvals (sheet_id, stage, by_user, content_hash, at) VALUES (?, ?, ?, ?, ?)",
            sheet.id,
            stage,
            by,
            a.content_hash,
            now
        )
        .execute(&mut **tx)
        .await?;
    }
    let (from, kind) = (sheet.stage.code(), action.code());
    let reason = match action {
        Action::Return { reason, .. } => Some(reason.as_str()),
        _ => None,
    };
    let by = actor.user_id;
    sqlx::query!(
        "INSERT INTO sheet_transitions (sheet_id, from_stage, to_stage, action, by_user, reason, content_hash, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        sheet.id,
        from,
        to,
        kind,
        by,
        reason,
        content_hash,
        now
    )
    .execute(&mut **tx)
    .await?;
    crate::audit::append(
        tx,
        "stage_change",
        Some(by),
        &format!("sheet:{}", sheet.id),
        &serde_json::json!({
            "post": post_id, "sheet": sheet.id, "action": kind, "from": from, "to": to,
            "reason": reason, "content_hash": content_hash, "version": version,
        }),
        now,
    )
    .await?;
    if next.stage == Stage::Approved {
        crate::commitments::generate(tx, sheet.id, post_id, &content_hash, now).await?;
    }
    sheet.stage = next.stage;
    pending
        .changes
        .push((post_id, "sheet", post_id.to_string()));
    Ok(OpResult::Applied { id, version })
}

/// A sheet as the chain sees it at one moment.
pub(crate) struct Snapshot {
    pub version: i64,
    pub facts: SheetFacts,
    pub state: ChainState,
}

/// Reads what the chain's rules need about a sheet: its version, level, content hash, the
/// approvals that stand, and the counts behind the gates (peer reviews, undecided suggestions,
/// open objections, the notice clock).
pub(crate) async fn snapshot(
    conn: &mut sqlx::SqliteConnection,
    sheet_id: i64,
    post_id: i64,
    stage: Stage,
    now: i64,
) -> Result<Snapshot, HttpError> {
    let row = sqlx::query!(
        r#"SELECT rs.version AS "version!: i64", rs.notice_until, p.level, p.unit_id AS "unit_id!: i64",
                  u.required_peer_reviews AS "required!: i64",
                  (SELECT COUNT(*) FROM risk_points WHERE sheet_id = rs.id) AS "points!: i64",
                  (SELECT COUNT(*) FROM peer_reviews WHERE sheet_id = rs.id) AS "reviews!: i64",
                  (SELECT COUNT(*) FROM suggestions WHERE sheet_id = rs.id AND status = 'pending') AS "pending!: i64",
                  (SELECT COUNT(*) FROM objections WHERE sheet_id = rs.id AND status = 'open') AS "objections!: i64"
           FROM risk_sheets rs JOIN posts p ON p.id = rs.post_id JOIN org_units u ON u.id = p.unit_id
           WHERE rs.id = ?"#,
        sheet_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let level = PostLevel::parse(&row.level).map_err(|e| anyhow::anyhow!("{e}"))?;
    let content_hash = content_hash(conn, sheet_id).await?;
    let approvals = sqlx::query!(
        r#"SELECT stage, by_user AS "by_user!: i64", content_hash FROM approvals WHERE sheet_id = ?"#,
        sheet_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|a| {
        Ok(Approval {
            stage: Stage::from_code(&a.stage).map_err(|e| anyhow::anyhow!("{e}"))?,
            by: UserId(a.by_user),
            content_hash: a.content_hash,
        })
    })
    .collect::<Result<Vec<_>, HttpError>>()?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Snapshot {
        version: row.version,
        facts: SheetFacts {
            post: PostId(post_id),
            unit: OrgUnitId(row.unit_id),
            level,
            content_hash,
            risk_points: count(row.points),
            peer_reviews: count(row.reviews),
            required_peer_reviews: count(row.required),
            pending_suggestions: count(row.pending),
            notice_period_over: row.notice_until.is_none_or(|until| until <= now),
            open_objections: count(row.objections),
        },
        state: ChainState { stage, approvals },
    })
}

/// Chain steps taken outside a push (a meeting's bulk approval), in the caller's write
/// transaction, with the same rules and records as a `decide` operation. Each step's result is
/// returned; a refused step leaves its sheet as it was.
pub(crate) async fn decide_steps(
    tx: &mut Transaction<'static, Sqlite>,
    pool: &sqlx::SqlitePool,
    user_id: i64,
    steps: &[(i64, Action)],
    now: i64,
) -> Result<Vec<OpResult>, HttpError> {
    let mut actor = Actor {
        user_id,
        loaded: None,
        pool: pool.clone(),
    };
    let mut touched = Touched::default();
    let mut pending = Pending::default();
    let mut results = Vec::with_capacity(steps.len());
    for (post_id, action) in steps {
        let id = Uuid::new_v4();
        let Some(mut sheet) = current_sheet(tx, *post_id).await? else {
            results.push(OpResult::rejected(id, "no_sheet", "该岗位尚无本轮排查表"));
            continue;
        };
        let result = decide(
            tx,
            id,
            *post_id,
            &mut sheet,
            action,
            None,
            Via::Meeting,
            &mut actor,
            &mut touched,
            &mut pending,
            now,
        )
        .await?;
        results.push(result);
    }
    flush(tx, &pending, now).await?;
    Ok(results)
}

/// Adds a risk point to a sheet outside a push (an accepted suggestion), written exactly as a push
/// writes one: at the end of the list, the sheet's version bumped, the change recorded for pulls.
pub(crate) async fn insert_point(
    tx: &mut Transaction<'static, Sqlite>,
    sheet_id: i64,
    post_id: i64,
    input: RiskPointInput,
    user_id: i64,
    now: i64,
) -> Result<Uuid, HttpError> {
    let valid = input.validate().map_err(HttpError::from)?;
    let row = sqlx::query!(
        r#"SELECT matrix_json, MAX(next_position, (SELECT COALESCE(MAX(position) + 1, 0) FROM risk_points WHERE sheet_id = ?)) AS "next!: i64"
           FROM risk_sheets WHERE id = ?"#,
        sheet_id,
        sheet_id
    )
    .fetch_one(&mut **tx)
    .await?;
    let matrix: RatingMatrix =
        serde_json::from_str(&row.matrix_json).map_err(anyhow::Error::from)?;
    let id = Uuid::new_v4();
    let mut touched = Touched::default();
    touched.set(
        id,
        Some((
            sheet_id,
            RiskPointRecord {
                id,
                post_id,
                version: 1,
                position: row.next,
                level: valid.level(&matrix),
                input: valid.to_input(),
            },
        )),
    );
    touched.write(tx, user_id, now).await?;
    let next = row.next + 1;
    sqlx::query!(
        "UPDATE risk_sheets SET version = version + 1, updated_at = ?, next_position = ? WHERE id = ?",
        now,
        next,
        sheet_id
    )
    .execute(&mut **tx)
    .await?;
    record_change(tx, post_id, "risk_point", &id.to_string(), now).await?;
    Ok(id)
}

/// Records that a sheet changed outside a push (an accepted suggestion), so devices pull it.
pub(crate) async fn record_change(
    conn: &mut sqlx::SqliteConnection,
    post_id: i64,
    kind: &'static str,
    entity: &str,
    now: i64,
) -> Result<(), HttpError> {
    sqlx::query!(
        "INSERT INTO changes (post_id, kind, entity_id, at) VALUES (?, ?, ?, ?)",
        post_id,
        kind,
        entity,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// SHA-256 of the sheet's risk points and measures as the canonical JSON of their inputs, in
/// list order: what an approval vouches for.
async fn content_hash(
    conn: &mut sqlx::SqliteConnection,
    sheet_id: i64,
) -> Result<String, HttpError> {
    use sha2::{Digest as _, Sha256};
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM risk_points WHERE sheet_id = ? ORDER BY position"#,
        sheet_id
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .filter_map(|i| Uuid::parse_str(i).ok())
    .collect();
    let points: Vec<RiskPointInput> = load_points_with_sheets(conn, &ids)
        .await?
        .into_iter()
        .map(|(_, r)| r.input)
        .collect();
    let canonical = serde_json::to_vec(&points).map_err(anyhow::Error::from)?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

fn invalid_summary(errors: &[FieldError]) -> String {
    let first = errors
        .first()
        .map(|e| e.message.as_str())
        .unwrap_or("内容无效");
    if errors.len() > 1 {
        format!("{first}（另有 {} 处需修改）", errors.len() - 1)
    } else {
        first.to_owned()
    }
}

fn conflict(id: Uuid, current: RiskPointRecord) -> OpResult {
    OpResult::Rejected {
        id,
        code: "conflict".to_owned(),
        message: "该风险点已在其他设备上被修改，请对照服务器版本决定保留哪一份".to_owned(),
        errors: Vec::new(),
        current: Some(Box::new(current)),
    }
}

async fn current_sheet(
    tx: &mut Transaction<'static, Sqlite>,
    post_id: i64,
) -> Result<Option<SheetState>, HttpError> {
    let row = sqlx::query!(
        r#"SELECT rs.id AS "id!: i64", rs.stage, rs.matrix_json,
                  MAX(rs.next_position, (SELECT COALESCE(MAX(position) + 1, 0) FROM risk_points WHERE sheet_id = rs.id)) AS "next!: i64"
           FROM risk_sheets rs JOIN rounds r ON r.id = rs.round_id
           WHERE rs.post_id = ? ORDER BY r.year DESC, r.id DESC LIMIT 1"#,
        post_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(SheetState {
            id: r.id,
            stage: Stage::from_code(&r.stage).map_err(|e| anyhow::anyhow!("{e}"))?,
            matrix: serde_json::from_str(&r.matrix_json).map_err(anyhow::Error::from)?,
            next_position: r.next,
            loaded_next: r.next,
        })
    })
    .transpose()
}

/// Loads many risk points with their measures in two queries, in the order of `ids` (first
/// occurrence), leaving out ids that no longer exist.
async fn load_risk_points(
    conn: &mut sqlx::SqliteConnection,
    ids: &[Uuid],
) -> Result<Vec<RiskPointRecord>, HttpError> {
    Ok(load_points_with_sheets(conn, ids)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// As [`load_risk_points`], with the id of the sheet each point belongs to.
async fn load_points_with_sheets(
    conn: &mut sqlx::SqliteConnection,
    ids: &[Uuid],
) -> Result<Vec<(i64, RiskPointRecord)>, HttpError> {
    let mut unique = Vec::new();
    let mut seen = HashSet::new();
    for id in ids {
        if seen.insert(*id) {
            unique.push(id.to_string());
        }
    }
    let mut records: HashMap<String, (i64, RiskPointRecord)> = HashMap::new();
    for chunk in unique.chunks(CHUNK) {
        let keys = serde_json::to_string(chunk).map_err(anyhow::Error::from)?;
        let points = sqlx::query!(
            r#"SELECT p.id AS "id!", p.sheet_id AS "sheet_id!: i64", rs.post_id AS "post_id!: i64", p.version AS "version!: i64", p.position AS "position!: i64",
                      p.duty, p.description, p.manifestation, p.category, p.power_type,
                      p.likelihood AS "likelihood!: i64", p.impact AS "impact!: i64", p.frequency AS "frequency!: i64", p.level
               FROM risk_points p JOIN risk_sheets rs ON rs.id = p.sheet_id
               WHERE p.id IN (SELECT value FROM json_each(?))"#,
            keys
        )
        .fetch_all(&mut *conn)
        .await?;
        for p in points {
            let id = Uuid::parse_str(&p.id).map_err(anyhow::Error::from)?;
            records.insert(
                p.id,
                (
                    p.sheet_id,
                    RiskPointRecord {
                        id,
                        post_id: p.post_id,
                        version: p.version,
                        position: p.position,
                        level: RiskLevel::parse(&p.level).map_err(|e| anyhow::anyhow!("{e}"))?,
                        input: RiskPointInput {
                            duty: p.duty.unwrap_or_default(),
                            description: p.description,
                            manifestation: p.manifestation.unwrap_or_default(),
                            category: p.category,
                            power_type: p.power_type,
                            likelihood: p.likelihood,
                            impact: p.impact,
                            frequency: p.frequency,
                            measures: Vec::new(),
                        },
                    },
                ),
            );
        }
        let measures = sqlx::query!(
            r#"SELECT risk_point_id AS "risk_point_id!", kind, text, owner, due, status, done_on FROM measures
               WHERE risk_point_id IN (SELECT value FROM json_each(?)) ORDER BY risk_point_id, position"#,
            keys
        )
        .fetch_all(&mut *conn)
        .await?;
        for m in measures {
            if let Some((_, record)) = records.get_mut(&m.risk_point_id) {
                record.input.measures.push(MeasureInput {
                    kind: m.kind,
                    text: m.text,
                    owner: m.owner.unwrap_or_default(),
                    due: m.due.unwrap_or_default(),
                    status: m.status,
                    done_on: m.done_on.unwrap_or_default(),
                });
            }
        }
    }
    Ok(unique
        .into_iter()
        .filter_map(|id| records.remove(&id))
        .collect())
}

/// What changed since `cursor` among the sheets this user may read, leaving out what this client
/// pushed itself (it has that already, and its results carry the new versions); everything when
/// the cursor is absent. Reads one consistent snapshot, so the returned cursor covers exactly what is returned.
pub async fn pull(
    db: &Db,
    user: &SessionUser,
    client_id: Uuid,
    cursor: Option<i64>,
) -> Result<SyncResponse, HttpError> {
    let mut tx = db.pool().begin().await?;
    let latest = sqlx::query_scalar!(r#"SELECT COALESCE(MAX(seq), 0) AS "seq!: i64" FROM changes"#)
        .fetch_one(&mut *tx)
        .await?;
    // Nothing changed since this client's cursor (the common case for a device that syncs on a
    // timer): answer without working out what the user may see.
    if cursor == Some(latest) {
        tx.commit().await?;
        return Ok(SyncResponse {
            results: Vec::new(),
            cursor: latest,
            full: false,
            sheets: Vec::new(),
            risk_points: Vec::new(),
            deleted: Vec::new(),
            server_time: now_ms(),
        });
    }
    let principal = load_principal(db.pool(), user.id)
        .await
        .map_err(HttpError)?;
    let (tree, _) = load_tree(db.pool()).await.map_err(HttpError)?;
    let posts =
        sqlx::query!(r#"SELECT p.id AS "id!: i64", p.unit_id AS "unit_id!: i64" FROM posts p"#)
            .fetch_all(&mut *tx)
            .await?;
    let visible: HashSet<i64> = posts
        .into_iter()
        .filter(|p| principal.may_read_sheet(&tree, PostId(p.id), OrgUnitId(p.unit_id)))
        .map(|p| p.id)
        .collect();
    let cursor = cursor.filter(|c| (0..=latest).contains(c));
    let full = cursor.is_none();

    let (sheet_posts, point_ids, deleted): (Vec<i64>, Vec<Uuid>, Vec<Uuid>) = if full {
        let mut points = Vec::new();
        for post in sorted(&visible) {
            let ids = sqlx::query_scalar!(
                r#"SELECT p.id AS "id!" FROM risk_points p JOIN risk_sheets rs ON rs.id = p.sheet_id
                   WHERE rs.post_id = ? AND rs.round_id = (SELECT r.id FROM rounds r JOIN risk_sheets s ON s.round_id = r.id
                                                           WHERE s.post_id = ? ORDER BY r.year DESC, r.id DESC LIMIT 1)
                   ORDER BY p.position"#,
                post,
                post
            )
            .fetch_all(&mut *tx)
            .await?;
            points.extend(ids.iter().filter_map(|i| Uuid::parse_str(i).ok()));
        }
        (sorted(&visible), points, Vec::new())
    } else {
        let since = cursor.unwrap_or(0);
        let visible_json = serde_json::to_string(&sorted(&visible)).map_err(anyhow::Error::from)?;
        let client = client_id.to_string();
        let rows = sqlx::query!(
            r#"SELECT post_id AS "post_id!: i64", kind, entity_id FROM changes
               WHERE post_id IN (SELECT value FROM json_each(?)) AND seq > ? AND seq <= ?
                 AND client_id IS NOT ?
               ORDER BY seq"#,
            visible_json,
            since,
            latest,
            client
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut posts = HashSet::new();
        let (mut points, mut deleted) = (Vec::new(), Vec::new());
        for row in rows {
            posts.insert(row.post_id);
            let Ok(id) = Uuid::parse_str(&row.entity_id) else {
                continue;
            };
            match row.kind.as_str() {
                "risk_point" => points.push(id),
                "risk_point_deleted" => deleted.push(id),
                _ => {}
            }
        }
        (sorted(&posts), points, deleted)
    };

    let risk_points = load_risk_points(&mut tx, &point_ids).await?;
    let live: HashSet<Uuid> = risk_points.iter().map(|r| r.id).collect();
    let deleted: Vec<Uuid> = deleted
        .into_iter()
        .filter(|d| !live.contains(d))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut sheets = Vec::new();
    for post in sheet_posts {
        if let Some(sheet) =
            sheet_record(&mut tx, post, principal.held_posts.contains(&PostId(post))).await?
        {
            sheets.push(sheet);
        }
    }
    tx.commit().await?;
    Ok(SyncResponse {
        results: Vec::new(),
        cursor: latest,
        full,
        sheets,
        risk_points,
        deleted,
        server_time: now_ms(),
    })
}

fn sorted(set: &HashSet<i64>) -> Vec<i64> {
    let mut v: Vec<i64> = set.iter().copied().collect();
    v.sort_unstable();
    v
}

async fn sheet_record(
    conn: &mut sqlx::SqliteConnection,
    post_id: i64,
    holder: bool,
) -> Result<Option<SheetRecord>, HttpError> {
    let Some(row) = sqlx::query!(
        r#"SELECT p.title, p.level, p.key_post AS "key_post: bool", u.name AS unit,
                  r.name AS round, rs.stage, rs.version AS "version!: i64", rs.matrix_json
           FROM posts p JOIN org_units u ON u.id = p.unit_id
           JOIN risk_sheets rs ON rs.post_id = p.id JOIN rounds r ON r.id = rs.round_id
           WHERE p.id = ? ORDER BY r.year DESC, r.id DESC LIMIT 1"#,
        post_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let duties = sqlx::query_scalar!(
        "SELECT text FROM duties WHERE post_id = ? ORDER BY position",
        post_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let bad = |e: FieldError| HttpError::from(anyhow::anyhow!("stored value rejected: {e}"));
    Ok(Some(SheetRecord {
        post_id,
        post_title: row.title,
        post_level: PostLevel::parse(&row.level).map_err(bad)?,
        key_post: row.key_post,
        unit: row.unit,
        round: row.round,
        stage: Stage::from_code(&row.stage).map_err(bad)?,
        version: row.version,
        holder,
        matrix: serde_json::from_str(&row.matrix_json).map_err(anyhow::Error::from)?,
        duties,
    }))
}
