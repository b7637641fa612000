//! Wire types and server functions. A server function is a public endpoint: each one
//! authenticates and authorises in its own body.

use domain::{
    post::{PostLevel, SupervisionGrade},
    risk::{MeasureKind, MeasureStatus, ResidualFlag, RiskCategory, RiskLevel},
    stage::Stage,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub mod catalogue;
pub mod district;
pub mod education;
pub mod supervision;

/// The signed-in user, as the server's session middleware puts it into the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// An administrator reset the password: nothing but changing it is allowed until it is.
    #[serde(default)]
    pub must_change_password: bool,
}

/// What the home page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeView {
    pub user: UserCard,
    /// The sheets of the posts this user holds, in full.
    pub my_sheets: Vec<SheetView>,
    /// Sheets this user may read through a reviewing role, in brief.
    pub in_scope: Vec<SheetSummary>,
    /// Colleagues' sheets waiting for this user's peer review.
    pub peer_queue: Vec<SheetSummary>,
    /// Units this user works on through a role, with what they may do there.
    pub units: Vec<UnitLink>,
    /// This user's integrity commitments, newest first.
    pub commitments: Vec<CommitmentSummary>,
    /// The user may edit the commitment template (the commission).
    pub edits_template: bool,
    /// The user may check the audit log (the commission, an administrator).
    pub audits: bool,
    /// The user manages accounts (an administrator).
    #[serde(default)]
    pub manages_accounts: bool,
    /// The user runs rounds (the commission).
    #[serde(default)]
    pub runs_rounds: bool,
    /// The user reads (the commission) or sets up (an administrator) the organisation.
    #[serde(default)]
    pub views_org: bool,
    /// The user sets the district's settings (the commission).
    #[serde(default)]
    pub sets_district: bool,
    /// Units where this user records handovers (an administrator): (id, name).
    #[serde(default)]
    pub staff_units: Vec<UnitOption>,
    /// Link to the warnings page: the user raises warnings or reads one.
    #[serde(default)]
    pub warnings_link: bool,
    /// Warnings waiting for this user's answer or decision.
    #[serde(default)]
    pub warnings_to_do: usize,
    /// Link to the page of measures to check (措施落实检验): a section head.
    #[serde(default)]
    pub checks_measures: bool,
    /// Link to the education page (廉政教育): the commission, a leader in charge, a liaison.
    #[serde(default)]
    pub records_education: bool,
    /// Link to the district catalogue (风险库): the commission.
    #[serde(default)]
    pub curates_catalogue: bool,
    /// Notifications this user has not read.
    #[serde(default)]
    pub unread_notifications: usize,
    /// Deadline reminders for the sheets this user must finish.
    #[serde(default)]
    pub reminders: Vec<String>,
}

/// A commitment in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentSummary {
    pub id: i64,
    pub title: String,
    pub post: String,
    pub unit: String,
    pub created_on: String,
    pub signed_at: Option<String>,
    pub superseded: bool,
    pub reminded: bool,
}

/// A signature as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedView {
    /// `drawn` or `typed`.
    pub kind: String,
    /// Strokes in a 1000 × 400 box (drawn signatures).
    pub strokes: Vec<Vec<[i32; 2]>>,
    pub typed_name: Option<String>,
    pub signer_name: String,
    /// When the server sealed it (China time).
    pub signed_at: String,
    /// For a commitment signed offline: the signing device's clock when the signer signed.
    #[serde(default)]
    pub device_signed_at: Option<String>,
    pub seal: String,
}

/// A commitment for its signer (or someone who oversees the unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentView {
    pub id: i64,
    pub token: String,
    pub title: String,
    pub body: String,
    pub post: String,
    pub unit: String,
    pub owner_name: String,
    pub is_owner: bool,
    pub superseded: bool,
    pub signed: Option<SignedView>,
}

/// The public verification of a commitment (no login).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationView {
    pub token: String,
    pub title: String,
    pub body: String,
    pub post: String,
    pub unit: String,
    pub signed: Option<SignedView>,
    /// The stored seal is what the stored content gives.
    pub seal_ok: bool,
    /// The signature's log entry matches its hash, its link, and carries this seal.
    pub entry_ok: bool,
    /// The whole log verifies.
    pub chain_ok: bool,
    pub chain_entries: i64,
    /// Where the log breaks, if it does.
    pub chain_broken: Option<String>,
    /// This page's address, and its QR code as an SVG path in a `qr_size` square.
    pub url: String,
    pub qr_size: u32,
    pub qr_path: String,
    /// The signature's inclusion proof in the newest signed head, once a head covers it.
    pub inclusion: Option<InclusionView>,
    /// The head this page is printed under.
    pub head: Option<PrintedHead>,
}

/// The signed tree head a printout was made under (issue 17): printed as text and as a QR code,
/// so that a page kept in a drawer can later show that the audit log was not cut or rewritten
/// since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedHead {
    pub size: u64,
    /// The tree's root, 64 hex.
    pub root: String,
    /// When the head was signed, China time.
    pub issued: String,
    pub public_key: String,
    /// The page that checks this head against today's log, and its QR code as an SVG path in a
    /// `qr_size` square.
    pub check_url: String,
    pub qr_size: u32,
    pub qr_path: String,
}

/// A signature's entry in the transparency log, with its inclusion proof in the newest signed
/// head, for the visitor's browser to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionView {
    pub seq: i64,
    pub size: u64,
    /// The proof and the head, as `/transparency.js` reads them (JSON).
    pub json: String,
}

/// The transparency log's public page: the newest signed head and those before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransparencyView {
    /// The key that signs heads now, 64 hex.
    pub public_key: String,
    /// Newest first.
    pub heads: Vec<HeadLine>,
}

/// One signed tree head, as the history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadLine {
    pub size: u64,
    pub root: String,
    pub issued: String,
    pub signature: String,
    pub public_key: String,
}

/// Who has and has not signed, for a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupView {
    pub unit_id: i64,
    pub unit: String,
    pub rows: Vec<RollupRow>,
    pub signed: usize,
    pub unsigned: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupRow {
    pub id: i64,
    pub signer: String,
    pub post: String,
    pub unit: String,
    pub signed_at: Option<String>,
    pub reminded_at: Option<String>,
}

/// The commitment template in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateView {
    /// The post level this template is for (`None`: every level without one of its own).
    #[serde(default)]
    pub post_level: Option<PostLevel>,
    /// The level asked for has no template of its own: this is the general one, which it uses.
    #[serde(default)]
    pub inherited: bool,
    pub title: String,
    pub body: String,
    pub placeholders: Vec<String>,
    pub updated_at: Option<String>,
}

/// One of the signed-in user's sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// This request's session.
    pub current: bool,
    pub signed_in_at: String,
    pub last_used_at: String,
    /// The browser and system, in words.
    pub device: String,
}

/// An account as the administrator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub unit: String,
    #[serde(default)]
    pub unit_id: i64,
    /// The account's roles with the units they reach.
    #[serde(default)]
    pub roles: Vec<district::RoleGrant>,
    pub active: bool,
    pub admin: bool,
    pub must_change_password: bool,
}

/// The audit log's state, for the commission and administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditStatus {
    pub entries: i64,
    pub ok: bool,
    pub head: Option<String>,
    pub broken: Option<String>,
    pub broken_seq: Option<i64>,
    pub recent: Vec<AuditEntryView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub actor: Option<String>,
    pub subject: String,
    pub hash: String,
}

/// A unit on the home page, with links to its handbook, import and meeting record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitLink {
    pub id: i64,
    pub name: String,
    /// The user is the unit's liaison: imports and records collective reviews.
    pub liaison: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCard {
    pub display_name: String,
    pub username: String,
    pub unit: String,
    /// Role labels with their scope, e.g. "科室负责人（区交通局）".
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetSummary {
    pub post_id: i64,
    pub unit: String,
    pub post_title: String,
    pub post_level: PostLevel,
    pub stage: Stage,
    pub risk_count: i64,
    pub high_count: i64,
    pub unit_id: i64,
    /// Waiting for this user: their stage's role is this user's (an inbox entry).
    pub waiting: bool,
    pub open_objections: i64,
}

/// One post's risk sheet in the current round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetView {
    pub post_id: i64,
    pub post_title: String,
    pub post_level: PostLevel,
    pub key_post: bool,
    pub unit: String,
    pub round: String,
    pub stage: Stage,
    pub duties: Vec<String>,
    pub risk_points: Vec<RiskPointView>,
    /// Every stage change of this sheet, oldest first.
    pub timeline: Vec<TimelineEntry>,
    pub unit_id: i64,
    /// The sheet's version: a decision names the version it was taken on.
    pub version: i64,
    pub supervision_grade: Option<SupervisionGrade>,
    /// The last day of the public notice, China time, once published.
    pub notice_until: Option<String>,
    /// What this user sees and may do in the review (absent where nobody is asking).
    #[serde(default)]
    pub review: Option<ReviewInfo>,
}

/// The review around a sheet, as the signed-in user may see and act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewInfo {
    /// Chain steps this user may take now: `submit`, `close_peer_review`, `approve`, `return`.
    pub actions: Vec<String>,
    /// Stages a return may go back to.
    pub return_targets: Vec<Stage>,
    /// Why the step this user would take is held now (objections, notice running, reviews missing).
    pub held: Option<String>,
    pub is_holder: bool,
    pub may_peer_review: bool,
    pub required_peer_reviews: u32,
    pub peer_reviews: Vec<PeerReviewView>,
    pub suggestions: Vec<SuggestionView>,
    pub objections: Vec<ObjectionView>,
    pub may_resolve_objections: bool,
    pub may_grade: bool,
    /// The 回头看 cadence by grade, for the commission's grading form.
    #[serde(default)]
    pub cadence: Option<domain::settings::Cadence>,
    pub meetings: Vec<MeetingView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerReviewView {
    pub by: String,
    pub comment: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionView {
    pub id: i64,
    pub by: String,
    pub description: String,
    pub category: RiskCategory,
    pub level: Option<RiskLevel>,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
    pub decline_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionView {
    pub id: i64,
    pub text: String,
    pub contact: Option<String>,
    pub at: String,
    pub open: bool,
    pub response: Option<String>,
    /// 核实结论; none when answered before outcomes were recorded.
    #[serde(default)]
    pub outcome: Option<domain::chain::ObjectionOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingView {
    pub held_on: String,
    pub attendees: String,
    pub decision: String,
    pub minutes_ref: String,
}

/// A unit's published sheets, for the public notice page (no login).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicUnitView {
    pub unit_id: i64,
    pub unit: String,
    pub round: String,
    pub sheets: Vec<PublicSheet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicSheet {
    pub post_id: i64,
    pub post_title: String,
    pub post_level: PostLevel,
    pub stage: Stage,
    pub notice_until: Option<String>,
    /// Objections not yet answered: while any is open, the notice is held.
    pub open_objections: i64,
    pub risk_points: Vec<RiskPointView>,
}

/// A unit with published sheets, for the public index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicUnitLink {
    pub id: i64,
    pub name: String,
    pub published: i64,
}

/// A unit's handbook (工作手册): every post with its sheet, for print and export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandbookView {
    pub unit_id: i64,
    pub unit: String,
    pub round: String,
    /// Every sheet approved by the commission: a final handbook, else a draft for review.
    pub approved: bool,
    pub generated_on: String,
    pub posts: Vec<SheetView>,
    /// The signed tree head the handbook is printed under.
    pub head: Option<PrintedHead>,
}

/// One stage change of a sheet (审核记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// `YYYY-MM-DD HH:MM`, China time.
    pub at: String,
    pub by: String,
    pub from: Stage,
    pub to: Stage,
    /// 提交审核, 结束互评, 审核通过, 退回.
    pub action: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskPointView {
    pub id: String,
    pub duty: Option<String>,
    pub description: String,
    pub manifestation: Option<String>,
    pub category: RiskCategory,
    pub power_type: String,
    pub likelihood: u8,
    pub impact: u8,
    pub frequency: u8,
    pub level: RiskLevel,
    /// 剩余可能性 × 剩余危害程度, once the holder has rated the point with its measures in place.
    #[serde(default)]
    pub residual: Option<(u8, u8)>,
    /// Why the point's measures do not lower its risk today, if they do not.
    #[serde(default)]
    pub flags: Vec<ResidualFlag>,
    pub measures: Vec<MeasureView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureView {
    pub kind: MeasureKind,
    pub text: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub status: MeasureStatus,
    /// The day a finished measure was finished.
    #[serde(default)]
    pub done_on: Option<String>,
}

/// The signed-in user's home: their posts' sheets, and what their roles let them read.
#[server(prefix = "/api/fn", endpoint = "home")]
pub async fn load_home() -> Result<HomeView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.home(&user).await
}

/// One post's sheet, if this user may read it.
#[server(prefix = "/api/fn", endpoint = "sheet")]
pub async fn load_sheet(post_id: i64) -> Result<SheetView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.sheet(&user, post_id).await
}

/// What an import of a risk table did or, in a dry run, would do (`POST /api/units/{id}/import`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReportView {
    pub dry_run: bool,
    pub total_rows: usize,
    pub accepted_rows: usize,
    pub rejected_rows: usize,
    pub rejected: Vec<RejectedRowView>,
    /// Per rule, problems counted but not listed (each rule lists its first few).
    #[serde(default)]
    pub rejected_omitted: Vec<OmittedRefusalsView>,
    pub offset: usize,
    pub applied_rows: usize,
    pub next_offset: Option<usize>,
    pub new_units: usize,
    pub new_posts: usize,
    pub new_risk_points: usize,
    pub new_measures: usize,
    pub existing_risk_points: usize,
}

/// Problems of one rule that a report counts without listing them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OmittedRefusalsView {
    pub code: String,
    pub count: usize,
}

/// A refused row: its row number as Excel shows it, the column, the rule and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRowView {
    pub row: usize,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// A unit's published sheets, readable by anyone: this function deliberately needs no login and
/// returns only what the public notice shows (sheets at 公示 or later, without names of staff).
#[server(prefix = "/api/fn", endpoint = "public_unit")]
pub async fn load_public_unit(unit_id: i64) -> Result<PublicUnitView, ApiError> {
    backend::get()?.public_unit(unit_id).await
}

/// Units with published sheets, readable by anyone (see [`load_public_unit`]).
#[server(prefix = "/api/fn", endpoint = "public_units")]
pub async fn load_public_units() -> Result<Vec<PublicUnitLink>, ApiError> {
    backend::get()?.public_units().await
}

/// The transparency log's signed heads: deliberately no login, anyone may check the log.
#[server(prefix = "/api/fn", endpoint = "transparency")]
pub async fn load_transparency() -> Result<TransparencyView, ApiError> {
    backend::get()?.transparency(&backend::origin()).await
}

/// One of the signed-in user's commitments (or one they oversee).
#[server(prefix = "/api/fn", endpoint = "commitment")]
pub async fn load_commitment(id: i64) -> Result<CommitmentView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.commitment(&user, id).await
}

/// A commitment's public verification: deliberately no login, it is the page the QR code opens.
#[server(prefix = "/api/fn", endpoint = "verification")]
pub async fn load_verification(token: String) -> Result<VerificationView, ApiError> {
    backend::get()?
        .verification(&token, &backend::origin())
        .await
}

/// Who has signed in a unit, for those who oversee it.
#[server(prefix = "/api/fn", endpoint = "rollup")]
pub async fn load_rollup(unit_id: i64) -> Result<RollupView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.rollup(&user, unit_id).await
}

/// The commitment template, for the commission.
#[server(prefix = "/api/fn", endpoint = "template")]
pub async fn load_template(post_level: Option<PostLevel>) -> Result<TemplateView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.template(&user, post_level).await
}

/// The signed-in user's live sessions.
#[server(prefix = "/api/fn", endpoint = "sessions")]
pub async fn load_sessions() -> Result<Vec<SessionView>, ApiError> {
    let user = backend::require_user()?;
    backend::get()?
        .sessions(&user, backend::current_session())
        .await
}

/// Every account, for administrators.
#[server(prefix = "/api/fn", endpoint = "accounts")]
pub async fn load_accounts() -> Result<Vec<AccountView>, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.accounts(&user).await
}

/// The audit log verified now, for the commission and administrators.
#[server(prefix = "/api/fn", endpoint = "audit")]
pub async fn load_audit() -> Result<AuditStatus, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.audit(&user).await
}

/// A unit's handbook, for those who may read its sheets.
#[server(prefix = "/api/fn", endpoint = "handbook")]
pub async fn load_handbook(unit_id: i64) -> Result<HandbookView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?
        .handbook(&user, unit_id, &backend::origin())
        .await
}

/// The commission's rounds page: every round, and the units a new round may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundsView {
    pub rounds: Vec<RoundView>,
    /// The district (depth 0) and its units (depth 1), in tree order.
    pub units: Vec<UnitOption>,
    /// Today in China time, `YYYY-MM-DD`: the earliest deadline.
    pub today: String,
    /// The year a new round defaults to (the current round's).
    pub next_year: i64,
    /// 回头看: key posts due for re-review within a month, or overdue.
    #[serde(default)]
    pub re_reviews: Vec<ReReviewView>,
}

/// A key post due for its re-review (回头看).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReReviewView {
    pub post_id: i64,
    pub unit: String,
    pub post: String,
    pub grade: SupervisionGrade,
    pub approved_on: String,
    pub due_on: String,
    pub standing: String,
    pub overdue: bool,
}

/// A round in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundView {
    pub id: i64,
    pub name: String,
    pub year: i64,
    pub deadline: String,
    pub pilot: bool,
    #[serde(default)]
    pub re_review: bool,
    /// When the commission started it (rounds made by an import or the demo have none).
    pub started_on: Option<String>,
    pub units: Vec<String>,
    pub sheets: i64,
}

/// A unit a round may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitOption {
    pub id: i64,
    pub name: String,
    pub depth: usize,
}

/// A round's progress: sheets by stage overall and per unit, and the sheets that need attention
/// (late, or due within a week).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundProgressView {
    pub id: i64,
    pub name: String,
    pub year: i64,
    pub deadline: String,
    pub pilot: bool,
    pub today: String,
    /// The stages, in chain order; `totals` and each unit's `by_stage` count in this order.
    pub stages: Vec<Stage>,
    pub totals: Vec<usize>,
    pub units: Vec<RoundUnitProgress>,
    pub attention: Vec<RoundSheetView>,
    /// The round's rating matrix: the level of each likelihood × impact cell
    /// (`matrix[likelihood - 1][impact - 1]`), and its thresholds when it is a threshold matrix.
    #[serde(default)]
    pub matrix: Vec<Vec<RiskLevel>>,
    #[serde(default)]
    pub thresholds: Option<(u8, u8)>,
}

/// One unit's sheets in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundUnitProgress {
    pub unit_id: i64,
    pub unit: String,
    pub by_stage: Vec<usize>,
    pub posts: usize,
    pub approved: usize,
    pub late: usize,
}

/// A sheet of a round that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundSheetView {
    pub post_id: i64,
    pub unit: String,
    pub post: String,
    pub holders: String,
    pub stage: Stage,
    pub risk_count: i64,
    pub standing: String,
    pub late: bool,
}

/// The rounds, for the commission.
#[server(prefix = "/api/fn", endpoint = "rounds")]
pub async fn load_rounds() -> Result<RoundsView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.rounds(&user).await
}

/// One round's progress, for the commission.
#[server(prefix = "/api/fn", endpoint = "round")]
pub async fn load_round(id: i64) -> Result<RoundProgressView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.round(&user, id).await
}

/// 岗位与人员: a unit's posts (its sub-units' included) with who holds them now and who did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitPostsView {
    pub unit_id: i64,
    pub unit: String,
    pub today: String,
    /// The signed-in user sets up posts (an administrator): new posts, titles and levels.
    #[serde(default)]
    pub may_manage_posts: bool,
    pub posts: Vec<PostHoldersView>,
}

/// One post with its holdings, current first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostHoldersView {
    pub post_id: i64,
    /// The post's own unit, as seen from the page's unit (`某中学` on 区教育局's page).
    pub unit: String,
    pub title: String,
    pub level: PostLevel,
    pub holdings: Vec<HoldingView>,
    /// The signed-in user may record a handover here.
    pub may_hand_over: bool,
}

/// A holding of a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldingView {
    pub username: String,
    pub display_name: String,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
}

/// A unit's posts and holders.
#[server(prefix = "/api/fn", endpoint = "unit_posts")]
pub async fn load_unit_posts(unit_id: i64) -> Result<UnitPostsView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.unit_posts(&user, unit_id).await
}

/// The server side of the server functions: the `server` crate implements [`Backend`] and
/// provides it as context, so that only it talks to the database.
#[cfg(feature = "ssr")]
pub mod backend {
    use std::sync::Arc;

    use super::*;

    #[async_trait::async_trait]
    pub trait Backend: Send + Sync + 'static {
        async fn home(&self, user: &SessionUser) -> Result<HomeView, ApiError>;
        async fn sheet(&self, user: &SessionUser, post_id: i64) -> Result<SheetView, ApiError>;
        async fn public_unit(&self, unit_id: i64) -> Result<PublicUnitView, ApiError>;
        async fn public_units(&self) -> Result<Vec<PublicUnitLink>, ApiError>;
        async fn transparency(&self, origin: &str) -> Result<TransparencyView, ApiError>;
        async fn handbook(
            &self,
            user: &SessionUser,
            unit_id: i64,
            origin: &str,
        ) -> Result<HandbookView, ApiError>;
        async fn commitment(&self, user: &SessionUser, id: i64)
            -> Result<CommitmentView, ApiError>;
        async fn verification(
            &self,
            token: &str,
            origin: &str,
        ) -> Result<VerificationView, ApiError>;
        async fn rollup(&self, user: &SessionUser, unit_id: i64) -> Result<RollupView, ApiError>;
        async fn template(
            &self,
            user: &SessionUser,
            post_level: Option<PostLevel>,
        ) -> Result<TemplateView, ApiError>;
        async fn audit(&self, user: &SessionUser) -> Result<AuditStatus, ApiError>;
        async fn accounts(&self, user: &SessionUser) -> Result<Vec<AccountView>, ApiError>;
        async fn rounds(&self, user: &SessionUser) -> Result<RoundsView, ApiError>;
        async fn unit_posts(
            &self,
            user: &SessionUser,
            unit_id: i64,
        ) -> Result<UnitPostsView, ApiError>;
        async fn round(&self, user: &SessionUser, id: i64) -> Result<RoundProgressView, ApiError>;
        async fn sessions(
            &self,
            user: &SessionUser,
            current: Option<String>,
        ) -> Result<Vec<SessionView>, ApiError>;
        async fn org(&self, user: &SessionUser) -> Result<district::OrgView, ApiError>;
        async fn settings(&self, user: &SessionUser) -> Result<district::SettingsView, ApiError>;
        async fn warnings(&self, user: &SessionUser)
            -> Result<supervision::WarningsView, ApiError>;
        async fn warning(
            &self,
            user: &SessionUser,
            id: i64,
            origin: &str,
        ) -> Result<supervision::WarningView, ApiError>;
        async fn notifications(
            &self,
            user: &SessionUser,
        ) -> Result<supervision::NotificationsView, ApiError>;
        async fn measures(&self, user: &SessionUser)
            -> Result<supervision::MeasuresView, ApiError>;
        async fn catalogue(
            &self,
            user: &SessionUser,
        ) -> Result<super::catalogue::CatalogueView, ApiError>;
        async fn education(&self, user: &SessionUser)
            -> Result<education::EducationView, ApiError>;
        async fn person(
            &self,
            user: &SessionUser,
            username: String,
        ) -> Result<education::PersonView, ApiError>;
    }

    /// This site's origin for links printed on paper, as the server was told it
    /// (`--public-origin`) or worked it out; provided to each page by the server.
    #[derive(Debug, Clone)]
    pub struct SiteOrigin(pub String);

    pub fn origin() -> String {
        use_context::<SiteOrigin>().map(|o| o.0).unwrap_or_default()
    }

    /// The backend as it travels in context.
    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);

    /// The CSP nonce the server chose for this response, as a request extension.
    #[derive(Debug, Clone)]
    pub struct CspNonce(pub String);

    pub fn get() -> Result<Arc<dyn Backend>, ApiError> {
        use_context::<BackendHandle>()
            .map(|h| h.0)
            .ok_or_else(ApiError::internal)
    }

    /// The signed-in user, or `unauthenticated`.
    pub fn require_user() -> Result<SessionUser, ApiError> {
        current_user().ok_or_else(ApiError::unauthenticated)
    }

    /// The hash of this request's session token, as the server's session guard puts it into the
    /// request: which of a user's sessions is this one.
    #[derive(Debug, Clone)]
    pub struct CurrentSession(pub String);

    /// This request's session, if any.
    pub fn current_session() -> Option<String> {
        use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .extensions
                .get::<CurrentSession>()
                .map(|c| c.0.clone())
        })
    }

    /// The signed-in user, if any, from the request being served.
    pub fn current_user() -> Option<SessionUser> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<SessionUser>().cloned())
    }
}
