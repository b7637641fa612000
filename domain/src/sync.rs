//! The sync protocol's operations and their validation (docs/sync-protocol.md). A client queues
//! operations offline and pushes them to `POST /api/sync`; the server applies each at most once.
//! The browser validates a risk point with the same code before queueing it, so a user sees the
//! server's rules at the field while still offline.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    risk::{
        IsoDate, Measure, MeasureKind, MeasureStatus, PowerType, RatingMatrix, Ratings, Residual,
        ResidualFlag, RiskCategory, RiskLevel,
    },
    text::{DutyText, Manifestation, MeasureText, PersonName, RiskDescription},
    FieldError,
};

/// The most operations one push may carry.
pub const MAX_BATCH_OPS: usize = 2000;
/// The most measures one risk point may carry.
pub const MAX_MEASURES: usize = 12;

/// A risk point as the user typed it: raw values, checked by [`RiskPointInput::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskPointInput {
    #[serde(default)]
    pub duty: String,
    pub description: String,
    #[serde(default)]
    pub manifestation: String,
    /// A [`RiskCategory`] code, e.g. `institutional`.
    pub category: String,
    pub power_type: String,
    pub likelihood: i64,
    pub impact: i64,
    pub frequency: i64,
    /// The residual rating (剩余可能性 × 剩余危害程度, with the measures in place): both 1–5, or
    /// both 0 for "not rated". Absent means "not stated": an edit keeps the stored rating (see
    /// [`RiskPointInput::keep_progress_of`]). Left out of the JSON when absent, so the content
    /// hash of a sheet rated before this field existed is what it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_likelihood: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_impact: Option<i64>,
    #[serde(default)]
    pub measures: Vec<MeasureInput>,
}

/// A measure as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureInput {
    /// A [`MeasureKind`] code.
    pub kind: String,
    pub text: String,
    #[serde(default)]
    pub owner: String,
    /// `YYYY-MM-DD`, or empty.
    #[serde(default)]
    pub due: String,
    /// A [`MeasureStatus`] code. Empty means "not given": a new measure is planned, and an edit
    /// keeps the status the stored measure had (see [`RiskPointInput::keep_progress_of`]).
    #[serde(default)]
    pub status: String,
    /// `YYYY-MM-DD`, the day a finished measure was finished: required when `status` is `done`,
    /// empty otherwise. Left out of the JSON when empty, so the content hash of a sheet whose
    /// measures carry no date is what it was before this field existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub done_on: String,
    /// Where the check (检验) of the carried-out measure stands, a
    /// [`crate::risk::progress::Standing`] code; empty when there is nothing to check. Filled in
    /// by the server from the measure's log; an edit never writes it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub check: String,
    /// The latest note on the measure: the holder's last progress note, or the section head's
    /// reason for sending it back.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A risk point that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRiskPoint {
    pub duty: Option<DutyText>,
    pub description: RiskDescription,
    pub manifestation: Option<Manifestation>,
    pub category: RiskCategory,
    pub power_type: PowerType,
    pub ratings: Ratings,
    /// The rating with the measures in place; `None` until the holder rates it.
    pub residual: Option<Residual>,
    pub measures: Vec<Measure>,
}

impl ValidRiskPoint {
    pub fn level(&self, matrix: &RatingMatrix) -> RiskLevel {
        matrix.level(&self.ratings)
    }

    /// Why the point's measures do not lower its risk on `today`, if they do not.
    pub fn residual_flags(&self, today: IsoDate) -> Vec<ResidualFlag> {
        ResidualFlag::of(&self.ratings, self.residual, &self.measures, today)
    }
}

fn optional<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

/// The value, or `None` with the error recorded.
fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// Re-labels an error of a nested field, e.g. `measure` → `measures[2].text`.
fn at(field: String, mut error: FieldError) -> FieldError {
    error.field = field;
    error
}

impl RiskPointInput {
    /// Checks every field and returns *all* errors, each naming its field (`description`,
    /// `measures[1].due`, …), so a form can show them where they belong.
    pub fn validate(&self) -> Result<ValidRiskPoint, Vec<FieldError>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let duty = keep(e, optional(&self.duty, DutyText::parse));
        let description = keep(e, RiskDescription::parse(&self.description));
        let manifestation = keep(e, optional(&self.manifestation, Manifestation::parse));
        let category = keep(e, RiskCategory::parse(&self.category));
        let power_type = keep(e, PowerType::parse(&self.power_type));
        let likelihood = keep(
            e,
            crate::risk::Score::parse(self.likelihood, "likelihood", "可能性"),
        );
        let impact = keep(
            e,
            crate::risk::Score::parse(self.impact, "impact", "危害程度"),
        );
        let frequency = keep(
            e,
            crate::risk::Score::parse(self.frequency, "frequency", "发生频率"),
        );
        let residual = keep(
            e,
            Residual::parse(self.residual_likelihood, self.residual_impact),
        );

        let mut measures = Vec::new();
        if self.measures.is_empty() {
            errors.push(FieldError::new(
                "required",
                "measures",
                "至少需要一条防控措施",
            ));
        } else if self.measures.len() > MAX_MEASURES {
            errors.push(FieldError::new(
                "too_many",
                "measures",
                format!("防控措施不能超过 {MAX_MEASURES} 条"),
            ));
        }
        for (i, m) in self.measures.iter().enumerate().take(MAX_MEASURES) {
            let kind = MeasureKind::parse(&m.kind)
                .map_err(|e| errors.push(at(format!("measures[{i}].kind"), e)))
                .ok();
            let text = MeasureText::parse(&m.text)
                .map_err(|e| errors.push(at(format!("measures[{i}].text"), e)))
                .ok();
            let owner = optional(&m.owner, PersonName::parse)
                .map_err(|e| errors.push(at(format!("measures[{i}].owner"), e)))
                .ok();
            let due = optional(&m.due, |d| IsoDate::parse(d, "due", "完成时限"))
                .map_err(|e| errors.push(at(format!("measures[{i}].due"), e)))
                .ok();
            let status = if m.status.trim().is_empty() {
                Some(MeasureStatus::Planned)
            } else {
                MeasureStatus::parse(&m.status)
                    .map_err(|e| errors.push(at(format!("measures[{i}].status"), e)))
                    .ok()
            };
            let done_on = optional(&m.done_on, |d| IsoDate::parse(d, "done_on", "完成日期"))
                .map_err(|e| errors.push(at(format!("measures[{i}].done_on"), e)))
                .ok();
            if let (Some(kind), Some(text), Some(owner), Some(due), Some(status), Some(done_on)) =
                (kind, text, owner, due, status, done_on)
            {
                match Measure::new(kind, text, owner, due, status, done_on) {
                    Ok(measure) => measures.push(measure),
                    Err(e) => {
                        let field = format!("measures[{i}].{}", e.field);
                        errors.push(at(field, e));
                    }
                }
            }
        }

        match (
            description,
            category,
            power_type,
            likelihood,
            impact,
            frequency,
            duty,
            manifestation,
            residual,
        ) {
            (
                Some(description),
                Some(category),
                Some(power_type),
                Some(likelihood),
                Some(impact),
                Some(frequency),
                Some(duty),
                Some(manifestation),
                Some(residual),
            ) if errors.is_empty() => Ok(ValidRiskPoint {
                duty,
                description,
                manifestation,
                category,
                power_type,
                ratings: Ratings {
                    likelihood,
                    impact,
                    frequency,
                },
                residual,
                measures,
            }),
            _ => Err(errors),
        }
    }
}

/// One change a client asks for. Every change of an existing record names the version it was
/// based on; the server refuses a stale one as a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Operation {
    /// Creates (`base_version` absent) or replaces a risk point of a post's current sheet.
    UpsertRiskPoint {
        post_id: i64,
        risk_point_id: Uuid,
        #[serde(default)]
        base_version: Option<i64>,
        risk_point: RiskPointInput,
    },
    /// Deletes a risk point.
    DeleteRiskPoint {
        post_id: i64,
        risk_point_id: Uuid,
        base_version: i64,
    },
    /// Submits the post's current sheet for review (自查 → 互评).
    SubmitSheet { post_id: i64 },
    /// A step of the approval chain on the post's current sheet, taken on the sheet as it was at
    /// `sheet_version`; a decision on a sheet that has changed since is refused as stale.
    Decide {
        post_id: i64,
        sheet_version: i64,
        decision: crate::chain::Action,
    },
    /// The signer signs their commitment offline (DESIGN §7): the hash of the exact text they
    /// read, their signature, the device's clock, and the proof that they knew their password
    /// ([`crate::commitment::offline_proof`]). The server seals it with its own time.
    SignCommitment {
        commitment_id: i64,
        text_hash: String,
        /// `drawn` or `typed`.
        signature_kind: String,
        /// [`crate::commitment::Signature::canonical`]: the strokes as JSON, or the typed name.
        /// Kept as text, so the queue never needs to read strokes back.
        signature: String,
        device_signed_at: i64,
        proof: String,
    },
    /// The person warned (or the unit's liaison) answers a warning (预警的书面答复), written
    /// offline perhaps. The answer's day is the server's, when the operation arrives.
    AnswerWarning {
        warning_id: i64,
        analysis: String,
        measures: String,
    },
    /// The holder reports how measure `position` of a risk point of an approved sheet is carried
    /// out (措施落实), written offline perhaps. The report's day is the server's.
    ReportMeasure {
        risk_point_id: Uuid,
        position: i64,
        /// A [`MeasureStatus`] code.
        status: String,
        /// `YYYY-MM-DD` when `status` is `done`, else empty.
        #[serde(default)]
        done_on: String,
        note: String,
    },
    /// Never on the wire: an operation the server could read the id and `seq` of but not the
    /// rest (an unknown `type`, a missing field, a 1-character reason). It keeps its place in
    /// the push and is answered `rejected` like any other, once, so one bad operation never
    /// holds up the queue behind it.
    #[serde(skip)]
    Unreadable(Box<FieldError>),
}

impl Operation {
    /// The `type` values this version understands.
    pub const TYPES: [&'static str; 7] = [
        "upsert_risk_point",
        "delete_risk_point",
        "submit_sheet",
        "decide",
        "sign_commitment",
        "answer_warning",
        "report_measure",
    ];

    /// The post whose sheet the operation changes; none for a signing, an answer or a progress
    /// report (which changes no sheet, only how its measures are carried out).
    pub fn post_id(&self) -> Option<i64> {
        match self {
            Self::UpsertRiskPoint { post_id, .. }
            | Self::DeleteRiskPoint { post_id, .. }
            | Self::SubmitSheet { post_id }
            | Self::Decide { post_id, .. } => Some(*post_id),
            Self::SignCommitment { .. }
            | Self::AnswerWarning { .. }
            | Self::ReportMeasure { .. }
            | Self::Unreadable(_) => None,
        }
    }
}

/// An operation with its client-generated id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: Uuid,
    /// Position in the client's queue; strictly increasing within a push.
    pub seq: i64,
    #[serde(flatten)]
    pub op: Operation,
}

/// What became of one operation. The server stores it and answers any retry with the same value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpResult {
    Applied {
        id: Uuid,
        /// The record's version after the operation (the sheet's, for a submission).
        version: i64,
    },
    Rejected {
        id: Uuid,
        code: String,
        message: String,
        /// Errors per field, for `invalid` rejections.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        errors: Vec<FieldError>,
        /// The server's version of the record, for `conflict` rejections.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current: Option<Box<RiskPointRecord>>,
    },
}

impl OpResult {
    pub fn id(&self) -> Uuid {
        match self {
            Self::Applied { id, .. } | Self::Rejected { id, .. } => *id,
        }
    }

    pub fn rejected(id: Uuid, code: &str, message: impl Into<String>) -> Self {
        Self::Rejected {
            id,
            code: code.to_owned(),
            message: message.into(),
            errors: Vec::new(),
            current: None,
        }
    }
}

/// A risk point as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskPointRecord {
    pub id: Uuid,
    pub post_id: i64,
    pub version: i64,
    pub position: i64,
    pub level: RiskLevel,
    #[serde(flatten)]
    pub input: RiskPointInput,
}

/// A post's current sheet as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetRecord {
    pub post_id: i64,
    pub post_title: String,
    pub post_level: crate::post::PostLevel,
    pub key_post: bool,
    pub unit: String,
    pub round: String,
    pub stage: crate::stage::Stage,
    pub version: i64,
    /// Whether the signed-in user holds this post (and so may edit it in 自查).
    pub holder: bool,
    /// Whether the sheet waits for the signed-in user's decision ([`crate::access::Principal::awaits`]):
    /// it is in their inbox, to read offline.
    #[serde(default)]
    pub waiting: bool,
    pub matrix: RatingMatrix,
    pub duties: Vec<String>,
}

/// `POST /api/sync` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The account this queue belongs to; the server refuses the push if the session is someone
    /// else's, so a shared tablet never sends one user's queue under another's name.
    pub user: String,
    /// A random id per device and user.
    pub client_id: Uuid,
    /// The `cursor` of the last successful pull; absent (or null) for a full snapshot.
    #[serde(default)]
    pub cursor: Option<i64>,
    /// Continues a snapshot that came in pages: the `resume_after_post` of the last response,
    /// sent with its `cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_after_post: Option<i64>,
    #[serde(default)]
    pub ops: Vec<Envelope>,
    /// The `commitments_digest` of the last response: the server sends the user's commitments
    /// again only when they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitments_digest: Option<String>,
    /// The `warnings_digest` of the last response, likewise for the warnings the user answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings_digest: Option<String>,
    /// The posts whose sheets the replica holds, sent with every incremental pull: the server
    /// answers whole sheets for the posts entering the replica's scope ([`replica_posts`]) and
    /// `dropped` for those leaving it. Absent (an older client): changes within the scope only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub have: Option<Vec<i64>>,
}

/// One of the user's own commitments, as their replica keeps it for reading and signing offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentRecord {
    pub id: i64,
    /// The public verification id.
    pub token: String,
    pub title: String,
    pub body: String,
    pub unit: String,
    pub post: String,
    /// [`crate::commitment::text_hash`] of the title and body.
    pub text_hash: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds, server time, once sealed.
    #[serde(default)]
    pub signed_at: Option<i64>,
    /// For a commitment signed offline: the device's clock when it was signed.
    #[serde(default)]
    pub device_signed_at: Option<i64>,
}

/// An early warning (预警) the user answers, as their replica keeps it to answer offline: open
/// ones only (awaiting their answer, or answered and awaiting the issuer's review).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningRecord {
    pub id: i64,
    /// 廉预〔2026〕3号
    pub number: String,
    /// The level's code (`blue`, `yellow`, `red`: [`crate::warning::Level::code`]).
    pub level: String,
    /// The handling step as shown (打招呼提醒, 函询, …).
    pub handling: String,
    /// An answer has come and awaits the issuer's review; otherwise one is awaited.
    pub answered: bool,
    /// The person warned, or the unit.
    pub addressee: String,
    pub reason: String,
    /// The day the answer is due, `YYYY-MM-DD`.
    pub due: String,
    /// Why the last answer was sent back, when it was.
    #[serde(default)]
    pub sent_back: Option<String>,
}

/// `POST /api/sync` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// One result per pushed operation, in the same order.
    pub results: Vec<OpResult>,
    /// Pass this as `cursor` next time.
    pub cursor: i64,
    /// True when this pull is a full snapshot (no cursor was sent, or one this server never
    /// issued): replace the replica instead of merging.
    pub full: bool,
    pub sheets: Vec<SheetRecord>,
    pub risk_points: Vec<RiskPointRecord>,
    /// Risk points deleted since the cursor.
    pub deleted: Vec<Uuid>,
    /// True when there is more to pull: sync again at once with this response's `cursor` (and
    /// `resume_after_post`, when set), even with nothing to push.
    #[serde(default)]
    pub more: bool,
    /// Set when a snapshot was cut after this post: send it back to continue the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_after_post: Option<i64>,
    /// Server time, Unix milliseconds.
    pub server_time: i64,
    /// The user's commitments in force (unsigned and signed), when they differ from the
    /// request's `commitments_digest`: replace the replica's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitments: Option<Vec<CommitmentRecord>>,
    /// Send this back as `commitments_digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitments_digest: Option<String>,
    /// The open warnings the user answers, when they differ from the request's
    /// `warnings_digest`: replace the replica's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<WarningRecord>>,
    /// Send this back as `warnings_digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings_digest: Option<String>,
    /// Posts whose sheets leave the replica (with their risk points): no longer the user's,
    /// awaiting them, or opened lately. Only answers a request that sent `have`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<i64>,
}

/// The most changes one incremental pull carries; `more` says there are others.
pub const PULL_PAGE_CHANGES: usize = 1_000;
/// About the most risk points one snapshot page carries (whole sheets only, at least one).
pub const SNAPSHOT_PAGE_POINTS: usize = 1_000;
/// The most sheets a replica keeps because its user opened them lately (on any device: the
/// server notes each sheet page it serves).
pub const REPLICA_OPENED_SHEETS: usize = 20;
/// About the most risk points of the sheets awaiting the user that a replica keeps (whole
/// sheets, in post order): a commission with the whole district waiting keeps its first ones
/// and fetches the rest online. A risk point takes about 1 KB in local storage, so with the
/// user's own posts and the sheets they opened a replica stays well inside the ~5 MB quota.
pub const REPLICA_INBOX_POINTS: usize = 1_000;

/// Which posts' sheets a user's replica holds (DESIGN §5), sorted: every post they hold; the
/// sheets awaiting them (`awaiting`: post and risk points), taken in post order as long as
/// they add up to at most [`REPLICA_INBOX_POINTS`] points; and the first [`REPLICA_OPENED_SHEETS`] of the
/// sheets they opened lately (`opened`, most recent first; the caller keeps only those the user
/// may still read). Never the whole district: the rest is fetched when online.
pub fn replica_posts(held: &[i64], awaiting: &[(i64, usize)], opened: &[i64]) -> Vec<i64> {
    let mut posts: Vec<i64> = held.to_vec();
    let mut awaiting = awaiting.to_vec();
    awaiting.sort_unstable();
    let mut points = 0usize;
    for (post, n) in awaiting {
        if points + n > REPLICA_INBOX_POINTS {
            continue;
        }
        points += n;
        posts.push(post);
    }
    let mut seen = std::collections::HashSet::new();
    posts.extend(
        opened
            .iter()
            .copied()
            .filter(|p| seen.insert(*p))
            .take(REPLICA_OPENED_SHEETS),
    );
    posts.sort_unstable();
    posts.dedup();
    posts
}

impl RiskPointRecord {
    /// The record's input as a valid risk point (stored records always are).
    pub fn to_input(&self) -> RiskPointInput {
        self.input.clone()
    }
}

impl ValidRiskPoint {
    /// Back to the wire form, normalised (trimmed, codes).
    pub fn to_input(&self) -> RiskPointInput {
        RiskPointInput {
            duty: self
                .duty
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_default(),
            description: self.description.to_string(),
            manifestation: self
                .manifestation
                .as_ref()
                .map(|m| m.to_string())
                .unwrap_or_default(),
            category: self.category.code().to_owned(),
            power_type: self.power_type.as_str().to_owned(),
            likelihood: i64::from(self.ratings.likelihood.get()),
            impact: i64::from(self.ratings.impact.get()),
            frequency: i64::from(self.ratings.frequency.get()),
            residual_likelihood: self.residual.map(|r| i64::from(r.likelihood.get())),
            residual_impact: self.residual.map(|r| i64::from(r.impact.get())),
            measures: self
                .measures
                .iter()
                .map(|m| MeasureInput {
                    kind: m.kind.code().to_owned(),
                    text: m.text.to_string(),
                    owner: m.owner.as_ref().map(|o| o.to_string()).unwrap_or_default(),
                    due: m.due.map(|d| d.to_string()).unwrap_or_default(),
                    status: m.status.code().to_owned(),
                    done_on: m.done_on.map(|d| d.to_string()).unwrap_or_default(),
                    ..MeasureInput::default()
                })
                .collect(),
        }
    }
}

impl RiskPointInput {
    /// The input as a form that shows the residual rating sends it: stated, `0 × 0` for "not
    /// rated", so that clearing the rating is an edit and not an omission
    /// ([`RiskPointInput::keep_progress_of`] keeps a rating an edit leaves out).
    pub fn stating_residual(mut self) -> Self {
        if self.residual_likelihood.is_none() && self.residual_impact.is_none() {
            self.residual_likelihood = Some(0);
            self.residual_impact = Some(0);
        }
        self
    }

    /// Fills in the progress an edit did not state from `stored`, the point as it stands: each
    /// measure whose status is empty takes the status and completion day of the stored measure
    /// with the same text, else of the one in the same place with the same kind. A client that
    /// does not show progress (an older cached app, or a tool that only fixes wording) can then
    /// never reset a finished measure to not started. A status the edit states is kept as it is.
    /// Likewise an edit that states no residual rating keeps the stored one.
    pub fn keep_progress_of(&mut self, stored: &RiskPointInput) {
        if self.residual_likelihood.is_none() && self.residual_impact.is_none() {
            self.residual_likelihood = stored.residual_likelihood;
            self.residual_impact = stored.residual_impact;
        }
        for (i, measure) in self.measures.iter_mut().enumerate() {
            if !measure.status.trim().is_empty() {
                continue;
            }
            let same_text = stored
                .measures
                .iter()
                .find(|s| s.text.trim() == measure.text.trim());
            let same_place = stored.measures.get(i).filter(|s| s.kind == measure.kind);
            if let Some(previous) = same_text.or(same_place) {
                measure.status = previous.status.clone();
                measure.done_on = previous.done_on.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_replica_holds_own_posts_a_bounded_inbox_and_the_sheets_opened_lately() {
        let held = [7, 3];
        // The whole district waits: only the first sheets up to the budget are kept, and a
        // sheet too large for what is left is passed over for smaller ones after it.
        let mut awaiting: Vec<(i64, usize)> = (100..1_000).map(|p| (p, 7)).collect();
        awaiting.insert(3, (50, super::REPLICA_INBOX_POINTS + 1));
        let opened: Vec<i64> = (2_000..2_030).rev().chain([3, 2_029]).collect();
        let posts = super::replica_posts(&held, &awaiting, &opened);
        let inbox = posts.iter().filter(|p| (100..1_000).contains(*p)).count();
        assert_eq!(inbox, super::REPLICA_INBOX_POINTS / 7);
        assert!(!posts.contains(&50));
        assert!(posts.contains(&3) && posts.contains(&7));
        let kept: Vec<i64> = posts.iter().copied().filter(|p| *p >= 2_000).collect();
        assert_eq!(
            kept,
            (2_010..2_030).collect::<Vec<_>>(),
            "the 20 most recent"
        );
        assert!(posts.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        assert_eq!(super::replica_posts(&[], &[], &[]), Vec::<i64>::new());
    }

    use super::*;

    fn input() -> RiskPointInput {
        RiskPointInput {
            duty: "审核工程款支付".into(),
            description: "超出实际进度计量，提前多付工程款".into(),
            manifestation: String::new(),
            category: "process".into(),
            power_type: "财务权".into(),
            likelihood: 3,
            impact: 4,
            frequency: 2,
            residual_likelihood: None,
            residual_impact: None,
            measures: vec![MeasureInput {
                kind: "institutional".into(),
                text: "计量单须三方签认".into(),
                owner: "李娜".into(),
                due: "2026-12-31".into(),
                ..MeasureInput::default()
            }],
        }
    }

    #[test]
    fn a_complete_risk_point_validates_and_gets_its_level_from_the_matrix() {
        let valid = input().validate().unwrap();
        assert_eq!(valid.level(&RatingMatrix::default()), RiskLevel::Medium);
        assert_eq!(valid.measures[0].status, MeasureStatus::Planned);
        assert_eq!(valid.to_input().measures[0].status, "planned");
    }

    #[test]
    fn every_invalid_field_is_reported_at_once_with_its_path() {
        let mut bad = input();
        bad.description = " ".into();
        bad.likelihood = 9;
        bad.measures[0].due = "2026-02-30".into();
        bad.measures.push(MeasureInput {
            kind: "prayer".into(),
            text: "x".into(),
            ..Default::default()
        });
        let errors = bad.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "description",
                "likelihood",
                "measures[0].due",
                "measures[1].kind",
                "measures[1].text"
            ]
        );
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn a_finished_measure_needs_the_day_it_was_finished_and_only_a_finished_one_has_it() {
        let mut done = input();
        done.measures[0].status = "done".into();
        let errors = done.validate().unwrap_err();
        assert_eq!(errors[0].field, "measures[0].done_on");
        assert_eq!(errors[0].message, "已完成的措施须填写完成日期");
        done.measures[0].done_on = "2026-11-30".into();
        let valid = done.validate().unwrap();
        assert_eq!(valid.measures[0].status, MeasureStatus::Done);
        assert_eq!(valid.to_input().measures[0].done_on, "2026-11-30");

        let mut early = input();
        early.measures[0].status = "in_progress".into();
        early.measures[0].done_on = "2026-11-30".into();
        assert_eq!(early.validate().unwrap_err()[0].code, "not_done");
    }

    #[test]
    fn an_edit_that_does_not_state_progress_keeps_the_stored_progress() {
        let mut stored = input();
        stored.measures[0].status = "done".into();
        stored.measures[0].done_on = "2026-11-30".into();
        // The wording of the measure is fixed by a client that does not show status.
        let mut edit = input();
        edit.measures[0].text = "计量单须三方签认并存档".into();
        edit.keep_progress_of(&stored);
        assert_eq!(edit.measures[0].status, "done");
        assert_eq!(edit.measures[0].done_on, "2026-11-30");
        // A status the edit states wins.
        let mut reopened = input();
        reopened.measures[0].status = "in_progress".into();
        reopened.keep_progress_of(&stored);
        assert_eq!(reopened.measures[0].status, "in_progress");
        assert_eq!(reopened.measures[0].done_on, "");
    }

    #[test]
    fn a_residual_rating_round_trips_and_an_edit_that_does_not_state_it_keeps_it() {
        let mut rated = input();
        rated.residual_likelihood = Some(2);
        rated.residual_impact = Some(2);
        let valid = rated.validate().unwrap();
        assert_eq!(valid.residual.map(|r| r.score()), Some(4));
        let back = valid.to_input();
        assert_eq!(
            (back.residual_likelihood, back.residual_impact),
            (Some(2), Some(2))
        );
        let today = IsoDate::parse("2026-06-01", "today", "今天").unwrap();
        assert!(valid.residual_flags(today).is_empty(), "4 is below 3 × 4");

        // An older client that knows nothing of the residual rating fixes the wording.
        let mut edit = input();
        edit.description = "超出实际进度计量，提前支付工程款".into();
        edit.keep_progress_of(&rated);
        assert_eq!(
            (edit.residual_likelihood, edit.residual_impact),
            (Some(2), Some(2))
        );
        // A form that shows it clears it with 0 × 0, and the point is no longer rated.
        let mut cleared = input().validate().unwrap().to_input().stating_residual();
        assert_eq!(
            (cleared.residual_likelihood, cleared.residual_impact),
            (Some(0), Some(0))
        );
        cleared.keep_progress_of(&rated);
        let valid = cleared.validate().unwrap();
        assert_eq!(valid.residual, None);
        assert_eq!(valid.to_input().residual_likelihood, None);

        let mut half = input();
        half.residual_likelihood = Some(3);
        let errors = half.validate().unwrap_err();
        assert_eq!(errors[0].field, "residual_impact");
        let mut not_lower = input();
        not_lower.residual_likelihood = Some(4);
        not_lower.residual_impact = Some(3);
        let flags = not_lower.validate().unwrap().residual_flags(today);
        assert_eq!(flags, [ResidualFlag::NotReduced]);
    }

    #[test]
    fn a_point_without_a_residual_rating_hashes_as_before_the_field_existed() {
        let json = serde_json::to_string(&input()).unwrap();
        assert!(!json.contains("residual"), "{json}");
        let old: RiskPointInput = serde_json::from_str(&json).unwrap();
        assert_eq!(old, input());
    }

    #[test]
    fn a_measure_without_a_completion_day_hashes_as_before_the_field_existed() {
        let json = serde_json::to_string(&input().measures[0]).unwrap();
        assert!(!json.contains("done_on"), "{json}");
    }

    #[test]
    fn a_risk_point_needs_at_least_one_measure() {
        let mut bad = input();
        bad.measures.clear();
        let errors = bad.validate().unwrap_err();
        assert_eq!(errors[0].field, "measures");
        assert_eq!(errors[0].message, "至少需要一条防控措施");
    }

    #[test]
    fn operations_travel_as_tagged_json_and_unknown_types_fail_to_parse() {
        let envelope = Envelope {
            id: Uuid::from_u128(1),
            seq: 1,
            op: Operation::SubmitSheet { post_id: 7 },
        };
        let json = serde_json::to_value(&envelope).unwrap();
        assert_eq!(json["type"], "submit_sheet");
        assert_eq!(serde_json::from_value::<Envelope>(json).unwrap(), envelope);
        let unknown = serde_json::json!({"id": Uuid::from_u128(2), "seq": 2, "type": "drop_table", "post_id": 1});
        assert!(serde_json::from_value::<Envelope>(unknown).is_err());
    }

    #[test]
    fn results_serialise_with_a_status_tag() {
        let r = OpResult::rejected(Uuid::from_u128(3), "conflict", "记录已被他人修改");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["status"], "rejected");
        assert_eq!(json["code"], "conflict");
        assert!(json.get("current").is_none());
    }
}
