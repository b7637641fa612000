//! Applying a push: each operation claimed once, decided in memory in order, and what it changed
//! written in bulk before the push commits.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use domain::{
    chain::{Action, Via},
    stage::Stage,
    sync::{Envelope, OpResult, Operation, RiskPointInput, RiskPointRecord},
    FieldError,
};
use uuid::Uuid;

use crate::{
    chain::{self, Outcome},
    directory::{Directory, Org, Person},
    error::{Error, Result},
    store::{
        self,
        changes::{Change, Kind},
        Conn,
    },
};

/// The state of a post's current sheet, as the operations need it.
#[derive(Clone)]
struct SheetState {
    id: i64,
    stage: Stage,
    matrix: domain::risk::RatingMatrix,
    /// The next free position for a new risk point.
    next_position: i64,
    /// `next_position` as loaded: the counter is written back only when it moved.
    loaded_next: i64,
    /// How many risk points the sheet holds, as this push has left it so far.
    points: usize,
}

impl SheetState {
    async fn load(conn: &mut Conn, post_id: i64) -> Result<Option<Self>> {
        let Some(c) = store::sheets::current(conn, post_id).await? else {
            return Ok(None);
        };
        let points = store::points::count_on_sheet(conn, c.id).await?;
        Ok(Some(Self {
            id: c.id,
            stage: c.stage,
            matrix: c.matrix,
            next_position: c.next_position,
            loaded_next: c.next_position,
            points,
        }))
    }
}

/// Work gathered while a push is applied and written in bulk before it commits: one statement
/// per kind instead of one per operation keeps a push of hundreds of operations cheap.
#[derive(Default)]
struct Pending {
    /// Changes in the order they happened.
    changes: Vec<Change>,
    /// Sheet id → how many changes its version has to count.
    sheet_bumps: HashMap<i64, i64>,
    /// `(op_id, result JSON)` of every operation applied by this push.
    results: Vec<(String, String)>,
}

impl Pending {
    fn change(&mut self, post_id: i64, kind: Kind, entity: String) {
        self.changes.push(Change {
            post_id,
            kind,
            entity,
        });
    }
}

/// One client's push: who, from which device, and the operations in queue order.
pub struct Push<'a> {
    pub user_id: i64,
    pub client_id: Uuid,
    pub ops: &'a [Envelope],
}

/// What a push reads besides the database: who is who, and how much a sheet may hold.
pub struct Rules<'a> {
    pub directory: &'a Directory,
    pub limits: &'a domain::limits::Limits,
}

/// Applies a push's operations in order, each at most once, in the caller's write transaction,
/// and returns one result per operation. A retry of an operation gets its stored result.
pub async fn apply(
    conn: &mut Conn,
    rules: &Rules<'_>,
    push: &Push<'_>,
    now: i64,
) -> Result<Vec<OpResult>> {
    let client = push.client_id.to_string();
    let claims: Vec<store::sync_ops::Claim> = push
        .ops
        .iter()
        .map(|e| store::sync_ops::Claim {
            id: e.id,
            seq: e.seq,
        })
        .collect();
    let claimed = store::sync_ops::claim(conn, push.user_id, &client, &claims, now).await?;
    let earlier = stored_results(conn, push.user_id, push.ops, &claimed).await?;
    let held: HashSet<i64> = store::org::held_posts(conn, push.user_id)
        .await?
        .into_iter()
        .map(|p| p.post.0)
        .collect();

    let mut sheets: HashMap<i64, Option<SheetState>> = HashMap::new();
    let mut actor = Actor {
        user_id: push.user_id,
        loaded: None,
        directory: rules.directory,
    };
    let mut pending = Pending::default();
    let fresh: Vec<&Envelope> = push
        .ops
        .iter()
        .filter(|e| claimed.contains(&e.id))
        .collect();
    let mut touched = Touched::load(conn, &fresh).await?;
    let mut this_push: HashMap<Uuid, OpResult> = HashMap::new();
    let mut results = Vec::with_capacity(push.ops.len());
    for envelope in push.ops {
        if let Some(result) = this_push
            .get(&envelope.id)
            .or_else(|| earlier.get(&envelope.id))
        {
            results.push(result.clone());
            continue;
        }
        if !claimed.contains(&envelope.id) {
            return Err(
                anyhow::anyhow!("operation {} neither claimed nor stored", envelope.id).into(),
            );
        }
        let mut ctx = Context {
            limits: rules.limits,
            held: &held,
            actor: &mut actor,
            sheets: &mut sheets,
            touched: &mut touched,
            pending: &mut pending,
            now,
        };
        let result = apply_one(conn, envelope, &mut ctx).await?;
        let json = serde_json::to_string(&result).map_err(anyhow::Error::from)?;
        pending.results.push((envelope.id.to_string(), json));
        this_push.insert(envelope.id, result.clone());
        results.push(result);
    }
    touched.write(conn, push.user_id, now).await?;
    flush(conn, &pending, Some(&client), now).await?;
    for sheet in sheets
        .values()
        .flatten()
        .filter(|s| s.next_position != s.loaded_next)
    {
        store::sheets::raise_next_position(conn, sheet.id, sheet.next_position).await?;
    }
    Ok(results)
}

/// The stored results of operations applied by earlier pushes. An id claimed by another account
/// is refused without revealing that account's result.
async fn stored_results(
    conn: &mut Conn,
    user_id: i64,
    ops: &[Envelope],
    claimed: &HashSet<Uuid>,
) -> Result<HashMap<Uuid, OpResult>> {
    let seen: Vec<String> = ops
        .iter()
        .filter(|e| !claimed.contains(&e.id))
        .map(|e| e.id.to_string())
        .collect();
    let mut stored = HashMap::new();
    for row in store::sync_ops::stored(conn, &seen).await? {
        let result = if row.user_id != user_id {
            OpResult::rejected(row.id, "duplicate_id", "操作编号已被使用，请重新生成后提交")
        } else {
            serde_json::from_str(&row.result_json)
                .map_err(|e| anyhow::anyhow!("stored result of {} is unreadable: {e}", row.id))?
        };
        stored.insert(row.id, result);
    }
    Ok(stored)
}

/// Writes what the push gathered: the change log, sheet versions and the stored results.
async fn flush(conn: &mut Conn, pending: &Pending, client: Option<&str>, now: i64) -> Result<()> {
    store::changes::record(conn, &pending.changes, client, now).await?;
    for (sheet, count) in &pending.sheet_bumps {
        store::sheets::bump_version(conn, *sheet, *count, now).await?;
    }
    store::sync_ops::save_results(conn, &pending.results).await?;
    Ok(())
}

/// The risk points a push touches, as they stand part-way through it. Operations are decided
/// here, in order, in memory; the final state of each touched point is written once, in bulk,
/// before the push commits.
#[derive(Default)]
struct Touched {
    /// Point → `Some((sheet id, record))` while it exists, `None` once it does not.
    points: HashMap<Uuid, Option<(i64, RiskPointRecord)>>,
    /// Points deleted by this push, with their posts.
    deleted: HashMap<Uuid, i64>,
    /// Points to write, in the order they were first touched.
    dirty: Vec<Uuid>,
    dirty_set: HashSet<Uuid>,
    /// Named points deleted before this push (or by it): their ids can never be used again.
    tombstoned: HashSet<Uuid>,
}

impl Touched {
    /// Loads every existing point the operations name, in one pass.
    async fn load(conn: &mut Conn, ops: &[&Envelope]) -> Result<Self> {
        let ids: Vec<Uuid> = ops
            .iter()
            .filter_map(|e| match &e.op {
                Operation::UpsertRiskPoint { risk_point_id, .. }
                | Operation::DeleteRiskPoint { risk_point_id, .. } => Some(*risk_point_id),
                Operation::SubmitSheet { .. }
                | Operation::Decide { .. }
                | Operation::SignCommitment { .. }
                | Operation::AnswerWarning { .. }
                | Operation::ReportMeasure { .. }
                | Operation::Unreadable(_) => None,
            })
            .collect();
        let mut points: HashMap<Uuid, Option<(i64, RiskPointRecord)>> =
            ids.iter().map(|id| (*id, None)).collect();
        for (sheet, record) in store::points::records(conn, &ids).await? {
            points.insert(record.id, Some((sheet, record)));
        }
        let tombstoned = store::points::tombstoned(conn, &ids).await?;
        Ok(Self {
            points,
            tombstoned,
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
    async fn flush(&mut self, conn: &mut Conn, user_id: i64, now: i64) -> Result<()> {
        self.write(conn, user_id, now).await?;
        self.dirty.clear();
        self.dirty_set.clear();
        Ok(())
    }

    /// Writes the final state of every touched point: upserts with their measures, deletions.
    async fn write(&self, conn: &mut Conn, user_id: i64, now: i64) -> Result<()> {
        if self.dirty.is_empty() {
            return Ok(());
        }
        let present: Vec<(i64, &RiskPointRecord)> = self
            .dirty
            .iter()
            .filter_map(|id| self.current(*id))
            .map(|(sheet, record)| (*sheet, record))
            .collect();
        let gone: Vec<(Uuid, i64)> = self
            .dirty
            .iter()
            .filter(|id| self.current(**id).is_none())
            .filter_map(|id| self.deleted.get(id).map(|post| (*id, *post)))
            .collect();
        store::points::write(conn, &present, &gone, Some(user_id), now).await?;
        Ok(())
    }
}

/// What applying one operation reads and changes besides the database.
struct Context<'c, 'd> {
    limits: &'c domain::limits::Limits,
    held: &'c HashSet<i64>,
    actor: &'c mut Actor<'d>,
    sheets: &'c mut HashMap<i64, Option<SheetState>>,
    touched: &'c mut Touched,
    pending: &'c mut Pending,
    now: i64,
}

async fn apply_one(
    conn: &mut Conn,
    envelope: &Envelope,
    ctx: &mut Context<'_, '_>,
) -> Result<OpResult> {
    let id = envelope.id;
    let post_id = match &envelope.op {
        Operation::Unreadable(problem) => return Ok(unreadable(id, problem)),
        Operation::SignCommitment {
            commitment_id,
            text_hash,
            signature_kind,
            signature,
            device_signed_at,
            proof,
        } => {
            let signing = crate::commitments::OfflineSign {
                commitment_id: *commitment_id,
                text_hash,
                signature_kind,
                signature,
                device_signed_at: *device_signed_at,
                proof,
            };
            return crate::commitments::sign_offline(conn, id, ctx.actor.user_id, signing, ctx.now)
                .await;
        }
        Operation::AnswerWarning {
            warning_id,
            analysis,
            measures,
        } => {
            let (person, org) = ctx.actor.get(conn).await?.clone();
            let answer = crate::warnings::Step::Answer { analysis, measures };
            return crate::warnings::answer_synced(
                conn,
                id,
                &person.principal,
                &org,
                *warning_id,
                answer,
                ctx.now,
            )
            .await;
        }
        Operation::ReportMeasure {
            risk_point_id,
            position,
            status,
            done_on,
            note,
        } => {
            let (person, org) = ctx.actor.get(conn).await?.clone();
            let report = crate::measures::RawReport {
                risk_point_id: *risk_point_id,
                position: *position,
                status,
                done_on,
                note,
            };
            return crate::measures::report_synced(
                conn,
                id,
                &person.principal,
                &org,
                report,
                ctx.now,
            )
            .await;
        }
        op => op.post_id().unwrap_or_default(),
    };
    let edits = matches!(
        envelope.op,
        Operation::UpsertRiskPoint { .. } | Operation::DeleteRiskPoint { .. }
    );
    // Editing is the holder's; chain steps are checked by the chain itself.
    if edits && !ctx.held.contains(&post_id) {
        return Ok(OpResult::rejected(
            id,
            "forbidden",
            "您不是该岗位的在岗人员，不能修改其排查表",
        ));
    }
    if let std::collections::hash_map::Entry::Vacant(slot) = ctx.sheets.entry(post_id) {
        slot.insert(SheetState::load(conn, post_id).await?);
    }
    let Some(sheet) = ctx.sheets.get_mut(&post_id).and_then(Option::as_mut) else {
        return Ok(OpResult::rejected(id, "no_sheet", "该岗位尚无本轮排查表"));
    };
    if edits {
        if let Err(locked) = domain::chain::check_editable(sheet.stage) {
            return Ok(OpResult::rejected(id, &locked.code, locked.message));
        }
    }
    let touched = &mut *ctx.touched;
    let pending = &mut *ctx.pending;
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
            if current.is_none() && touched.tombstoned.contains(risk_point_id) {
                return Ok(gone(id));
            }
            let (position, version) = match (base_version, current) {
                (_, Some((_, c))) if c.post_id != post_id => {
                    return Ok(OpResult::rejected(id, "forbidden", "该风险点不属于此岗位"))
                }
                (None, None) => {
                    if let Err(full) = ctx.limits.check_new_risk_point(sheet.points) {
                        return Ok(OpResult::rejected(id, &full.code, full.message));
                    }
                    sheet.points += 1;
                    sheet.next_position += 1;
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
            pending.change(post_id, Kind::RiskPoint, risk_point_id.to_string());
            *pending.sheet_bumps.entry(sheet.id).or_default() += 1;
            Ok(OpResult::Applied { id, version })
        }
        Operation::DeleteRiskPoint {
            risk_point_id,
            base_version,
            ..
        } => match touched.current(*risk_point_id).cloned() {
            None if touched.tombstoned.contains(risk_point_id) => Ok(gone(id)),
            None => Ok(OpResult::rejected(id, "not_found", "该风险点不存在")),
            Some((_, c)) if c.post_id != post_id => {
                Ok(OpResult::rejected(id, "forbidden", "该风险点不属于此岗位"))
            }
            Some((s, c)) if s != sheet.id || c.version != *base_version => Ok(conflict(id, c)),
            Some(_) => {
                touched.set(*risk_point_id, None);
                touched.tombstoned.insert(*risk_point_id);
                touched.deleted.insert(*risk_point_id, post_id);
                sheet.points = sheet.points.saturating_sub(1);
                pending.change(post_id, Kind::RiskPointDeleted, risk_point_id.to_string());
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
            let step = Step {
                post_id,
                action: &Action::Submit,
                seen_version: None,
            };
            decide(conn, id, sheet, step, ctx.actor, touched, pending, ctx.now).await
        }
        Operation::Decide {
            sheet_version,
            decision,
            ..
        } => {
            let step = Step {
                post_id,
                action: decision,
                seen_version: Some(*sheet_version),
            };
            decide(conn, id, sheet, step, ctx.actor, touched, pending, ctx.now).await
        }
        // Answered above, before any sheet is loaded.
        Operation::Unreadable(problem) => Ok(unreadable(id, problem)),
        Operation::SignCommitment { .. }
        | Operation::AnswerWarning { .. }
        | Operation::ReportMeasure { .. } => {
            Err(anyhow::anyhow!("the operation {id} reached the sheet operations").into())
        }
    }
}

/// The signed-in user as the chain sees them, loaded on the first chain step of a push.
struct Actor<'d> {
    user_id: i64,
    loaded: Option<(Arc<Person>, Arc<Org>)>,
    directory: &'d Directory,
}

impl Actor<'_> {
    /// Read through the push's own connection: the writer must never wait for a second one.
    async fn get(&mut self, conn: &mut Conn) -> Result<&(Arc<Person>, Arc<Org>)> {
        if self.loaded.is_none() {
            let person = self.directory.person_on(conn, self.user_id).await?;
            let org = self.directory.org_on(conn).await?;
            self.loaded = Some((person, org));
        }
        Ok(self.loaded.as_ref().expect("loaded above"))
    }
}

/// A chain step asked for by an operation.
struct Step<'a> {
    post_id: i64,
    action: &'a Action,
    seen_version: Option<i64>,
}

/// One step of the approval chain, taken by [`chain::step`] on the content as this push has left
/// it so far.
#[allow(clippy::too_many_arguments)]
async fn decide(
    conn: &mut Conn,
    id: Uuid,
    sheet: &mut SheetState,
    step: Step<'_>,
    actor: &mut Actor<'_>,
    touched: &mut Touched,
    pending: &mut Pending,
    now: i64,
) -> Result<OpResult> {
    // The content must be on disk to be hashed, including this push's edits so far.
    touched.flush(conn, actor.user_id, now).await?;
    if let Some(bumps) = pending.sheet_bumps.remove(&sheet.id).filter(|b| *b > 0) {
        store::sheets::bump_version(conn, sheet.id, bumps, now).await?;
    }
    let (person, org) = actor.get(conn).await?;
    let outcome = chain::step(
        conn,
        person,
        org,
        step.post_id,
        sheet.id,
        sheet.stage,
        step.action,
        step.seen_version,
        Via::Decision,
        now,
    )
    .await?;
    match outcome {
        Outcome::Refused { code, message } => Ok(OpResult::rejected(id, &code, message)),
        Outcome::Taken { stage, version } => {
            sheet.stage = stage;
            pending.change(step.post_id, Kind::Sheet, step.post_id.to_string());
            Ok(OpResult::Applied { id, version })
        }
    }
}

/// Adds a risk point to a post's current sheet outside a push (an accepted suggestion), written
/// exactly as a push writes one: at the end of the list, the sheet's version bumped, the change
/// recorded for pulls.
pub async fn insert_point(
    conn: &mut Conn,
    limits: &domain::limits::Limits,
    post_id: i64,
    input: RiskPointInput,
    user_id: i64,
    now: i64,
) -> Result<Uuid> {
    let valid = input.validate().map_err(Error::from)?;
    let sheet = store::sheets::current(conn, post_id)
        .await?
        .ok_or_else(|| Error::refused("no_sheet", "该岗位尚无本轮排查表"))?;
    limits
        .check_new_risk_point(store::points::count_on_sheet(conn, sheet.id).await?)
        .map_err(|e| Error::refused(&e.code, e.message))?;
    let id = Uuid::new_v4();
    let record = RiskPointRecord {
        id,
        post_id,
        version: 1,
        position: sheet.next_position,
        level: valid.level(&sheet.matrix),
        input: valid.to_input(),
    };
    store::points::write(conn, &[(sheet.id, &record)], &[], Some(user_id), now).await?;
    store::sheets::bump_version(conn, sheet.id, 1, now).await?;
    store::sheets::raise_next_position(conn, sheet.id, sheet.next_position + 1).await?;
    let change = Change {
        post_id,
        kind: Kind::RiskPoint,
        entity: id.to_string(),
    };
    store::changes::record(conn, &[change], None, now).await?;
    Ok(id)
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

/// An operation the server could not read: rejected with what was wrong with it.
fn unreadable(id: Uuid, problem: &FieldError) -> OpResult {
    OpResult::Rejected {
        id,
        code: problem.code.clone(),
        message: problem.message.clone(),
        errors: vec![problem.clone()],
        current: None,
    }
}

/// An operation on a deleted point: its id can never be used again.
fn gone(id: Uuid) -> OpResult {
    OpResult::rejected(
        id,
        "gone",
        "该风险点已被删除，不能再修改或以原编号重新创建；如需保留，请作为新风险点添加",
    )
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
