//! The browser's writes, typed once for both sides. Each request type names its route and the
//! answer it gets; the server's router mounts the handler at [`Write::ROUTE`] and reads the same
//! type, and the pages send it with [`crate::client::send`]. Reads are server functions in
//! [`crate::api`]; the self-check's edits and chain steps travel as sync operations.

use domain::sync::RiskPointInput;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::api::SessionUser;

/// A JSON write: its route (an axum pattern with at most one `{…}` parameter, the id of what it
/// acts on), its body (the type itself) and its answer.
pub trait Write: Serialize + DeserializeOwned {
    /// The route, as the server mounts it.
    const ROUTE: &'static str;
    /// What the server answers when the write is done.
    type Reply: Serialize + DeserializeOwned;
}

/// The route with its parameter filled in: `/api/posts/{post_id}/peer-reviews` and `Some(7)` give
/// `/api/posts/7/peer-reviews`. A route without a parameter ignores `id`.
pub fn path(route: &str, id: Option<i64>) -> String {
    match (route.find('{'), route.find('}'), id) {
        (Some(open), Some(close), Some(id)) if open < close => {
            format!("{}{id}{}", &route[..open], &route[close + 1..])
        }
        _ => route.to_owned(),
    }
}

/// The answer of a write that returns nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub ok: bool,
}

impl Done {
    pub const YES: Self = Self { ok: true };
}

/// `POST /api/login` in JSON (the sign-in form also posts there as a plain form).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// Who signed in, and their offline signing key (hex), which the app keeps on the device only
/// sealed under the password just typed (DESIGN §7).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedIn {
    pub user: SessionUser,
    #[serde(default)]
    pub offline_key: Option<String>,
    /// The session's sign-out handle: kept on the device so that a sign-out made offline ends
    /// the session at the next connection ([`EndSessions`]).
    #[serde(default)]
    pub sign_out: Option<String>,
}

/// `GET /api/me`: the signed-in user and their session's sign-out handle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Me {
    #[serde(flatten)]
    pub user: SessionUser,
    #[serde(default)]
    pub sign_out: Option<String>,
}

/// Ends the sessions of people who signed out on this device while it was offline, by the
/// sign-out handles their sign-ins gave (at most [`EndSessions::MAX`]). Needs no session:
/// holding a handle is the right to end its session, and nothing else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndSessions {
    pub sessions: Vec<String>,
}

impl EndSessions {
    pub const MAX: usize = 50;
}

/// How many of those sessions were still open and are now ended, and whether the session of
/// the request itself was one (its cookie is cleared: the page shown belongs to no one now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedSessions {
    pub ended: usize,
    #[serde(default)]
    pub yours: bool,
}

impl Write for EndSessions {
    const ROUTE: &'static str = "/api/sessions/end";
    type Reply = EndedSessions;
}

impl Write for Login {
    const ROUTE: &'static str = "/api/login";
    type Reply = LoggedIn;
}

/// A colleague's review of a sheet at 互评 (a second one replaces the first).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerReview {
    pub comment: String,
}

impl Write for PeerReview {
    const ROUTE: &'static str = "/api/posts/{post_id}/peer-reviews";
    type Reply = Done;
}

/// A risk point a colleague suggests for a sheet at 互评.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Suggestion(pub RiskPointInput);

impl Write for Suggestion {
    const ROUTE: &'static str = "/api/posts/{post_id}/suggestions";
    type Reply = Done;
}

/// The holder takes a suggested point onto the sheet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AcceptSuggestion {}

impl Write for AcceptSuggestion {
    const ROUTE: &'static str = "/api/suggestions/{id}/accept";
    type Reply = Done;
}

/// The holder declines a suggestion, with the reason the colleague will read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeclineSuggestion {
    pub reason: String,
}

impl Write for DeclineSuggestion {
    const ROUTE: &'static str = "/api/suggestions/{id}/decline";
    type Reply = Done;
}

/// The leadership meeting (集体审定) that approved a set of a unit's sheets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordMeeting {
    pub unit_id: i64,
    pub post_ids: Vec<i64>,
    /// `YYYY-MM-DD`.
    pub held_on: String,
    pub attendees: String,
    pub decision: String,
    pub minutes_ref: String,
}

/// The meeting recorded, and how many sheets it approved.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct MeetingRecorded {
    pub meeting_id: i64,
    pub approved: usize,
}

impl Write for RecordMeeting {
    const ROUTE: &'static str = "/api/meetings";
    type Reply = MeetingRecorded;
}

/// The liaison's answer to an objection raised during the notice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResolveObjection {
    pub response: String,
    /// 核实结论: `upheld` (异议成立) or `dismissed` (异议不成立).
    #[serde(default)]
    pub outcome: String,
}

impl Write for ResolveObjection {
    const ROUTE: &'static str = "/api/objections/{id}/resolve";
    type Reply = Done;
}

/// The commission marks a key post (重点岗位) and its supervision grade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetSupervision {
    pub key_post: bool,
    /// A `SupervisionGrade` code, or none for 未定级.
    #[serde(default)]
    pub grade: Option<String>,
}

impl Write for SetSupervision {
    const ROUTE: &'static str = "/api/posts/{post_id}/supervision";
    type Reply = Done;
}

/// The owner signs a commitment, with their password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignCommitment {
    /// `drawn` or `typed`.
    pub kind: String,
    #[serde(default)]
    pub strokes: Vec<Vec<[i32; 2]>>,
    #[serde(default)]
    pub typed_name: String,
    pub password: String,
    /// The signer confirmed having read the whole text.
    pub confirmed: bool,
}

/// The seal of a signed commitment and the token of its public verification page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signed {
    pub seal: String,
    pub token: String,
}

impl Write for SignCommitment {
    const ROUTE: &'static str = "/api/commitments/{id}/sign";
    type Reply = Signed;
}

/// Reminds the signer of an unsigned commitment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RemindSigner {}

impl Write for RemindSigner {
    const ROUTE: &'static str = "/api/commitments/{id}/remind";
    type Reply = Done;
}

/// The commission's commitment template: a new version of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaveTemplate {
    /// The post level it is for; none: the general template every level without its own uses.
    #[serde(default)]
    pub post_level: Option<domain::post::PostLevel>,
    pub title: String,
    pub body: String,
}

/// The template's new version.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TemplateSaved {
    pub ok: bool,
    pub id: i64,
}

impl Write for SaveTemplate {
    const ROUTE: &'static str = "/api/commitment-template";
    type Reply = TemplateSaved;
}

/// A unit's risk table uploaded for import: the body is the file itself (XLSX, CSV or
/// tab-separated text), so this is the query string, not a JSON body. The answer is
/// [`crate::api::ImportReportView`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportQuery {
    /// Report only, change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The first row of the slice to apply.
    #[serde(default)]
    pub offset: usize,
    /// How many rows to apply.
    pub limit: Option<usize>,
}

impl ImportQuery {
    pub const ROUTE: &'static str = "/api/units/{id}/import";

    /// The upload's address for the unit.
    pub fn path(&self, unit_id: i64) -> String {
        let mut path = path(Self::ROUTE, Some(unit_id));
        if self.dry_run {
            path.push_str("?dry_run=true");
        } else {
            path.push_str(&format!("?offset={}", self.offset));
            if let Some(limit) = self.limit {
                path.push_str(&format!("&limit={limit}"));
            }
        }
        path
    }
}

/// `POST /api/sync`: the body is [`domain::sync::SyncRequest`].
pub const SYNC_ROUTE: &str = "/api/sync";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_parameter_is_filled_with_the_id() {
        assert_eq!(
            path(PeerReview::ROUTE, Some(7)),
            "/api/posts/7/peer-reviews"
        );
        assert_eq!(path(RecordMeeting::ROUTE, None), "/api/meetings");
        assert_eq!(path(RecordMeeting::ROUTE, Some(3)), "/api/meetings");
    }

    #[test]
    fn an_import_slice_names_its_rows() {
        let dry = ImportQuery {
            dry_run: true,
            ..ImportQuery::default()
        };
        assert_eq!(dry.path(4), "/api/units/4/import?dry_run=true");
        let slice = ImportQuery {
            dry_run: false,
            offset: 200,
            limit: Some(100),
        };
        assert_eq!(slice.path(4), "/api/units/4/import?offset=200&limit=100");
    }
}

/// A user changes their own password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

impl Write for ChangePassword {
    const ROUTE: &'static str = "/api/account/password";
    type Reply = Done;
}

/// The user ends their sessions on every other device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndOtherSessions {}

/// How many sessions ended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SessionsEnded {
    pub ended: u64,
}

impl Write for EndOtherSessions {
    const ROUTE: &'static str = "/api/account/sessions/end-others";
    type Reply = SessionsEnded;
}

/// An administrator sets a temporary password, to be changed at the next sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetPassword {
    pub username: String,
    pub temporary_password: String,
}

impl Write for ResetPassword {
    const ROUTE: &'static str = "/api/users/password-reset";
    type Reply = Done;
}

/// An administrator deactivates (`active: false`) or reactivates an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetAccountActive {
    pub username: String,
    pub active: bool,
}

impl Write for SetAccountActive {
    const ROUTE: &'static str = "/api/users/active";
    type Reply = Done;
}

/// An administrator lifts an account's failed-password delays.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnlockAccount {
    pub username: String,
}

impl Write for UnlockAccount {
    const ROUTE: &'static str = "/api/users/unlock";
    type Reply = Done;
}

/// 启动排查批次: the commission starts a round over units (each with everything beneath it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartRound {
    pub name: String,
    pub year: i64,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    pub units: Vec<i64>,
    pub pilot: bool,
    /// 回头看: re-review these key posts (`posts`), reopening their approved sheets; `units` is
    /// then ignored.
    #[serde(default)]
    pub re_review: bool,
    #[serde(default)]
    pub posts: Vec<i64>,
}

/// What starting a round did, post by post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundStarted {
    pub id: i64,
    /// Posts without a sheet before: an empty sheet.
    pub opened: usize,
    /// Posts whose approved points were copied into a new draft.
    pub carried_forward: usize,
    /// Posts whose unfinished sheet moved into this round as it stands.
    pub adopted: usize,
    /// Posts whose sheet was approved this year already (in a pilot): kept as approved.
    pub kept: usize,
}

impl Write for StartRound {
    const ROUTE: &'static str = "/api/rounds";
    type Reply = RoundStarted;
}

/// 轮岗交流: `to` starts holding the post on `on` (`YYYY-MM-DD`); `from`, when given, stops holding
/// it that day. The new holder inherits the post's approved risk points and gets a commitment to
/// sign; the former holder's signed commitments stay on record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Handover {
    /// The username of the holder who leaves the post, if anyone does.
    #[serde(default)]
    pub from: Option<String>,
    /// The username of the new holder.
    pub to: String,
    pub on: String,
}

/// What a handover did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandedOver {
    /// The new holder got a commitment to sign (the post has an approved sheet).
    pub commitment: bool,
    /// Unsigned commitments of the former holder withdrawn.
    pub withdrawn: u64,
}

impl Write for Handover {
    const ROUTE: &'static str = "/api/posts/{post_id}/handover";
    type Reply = HandedOver;
}

/// 离岗: the holder stops holding the post on `on`, with nobody taking over yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndHolding {
    pub username: String,
    pub on: String,
}

impl Write for EndHolding {
    const ROUTE: &'static str = "/api/posts/{post_id}/holders/end";
    type Reply = Done;
}

/// The id of what a write created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub id: i64,
}

/// 新建单位: a unit under `parent_id` (none: the district itself, when there is none yet).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateUnit {
    pub parent_id: Option<i64>,
    pub name: String,
    /// An `OrgUnitKind` code or label; empty: guessed from the name and the parent.
    #[serde(default)]
    pub kind: String,
    /// 分管区领导; may be empty.
    #[serde(default)]
    pub district_leader: String,
}

impl Write for CreateUnit {
    const ROUTE: &'static str = "/api/org/units";
    type Reply = Created;
}

/// 修改单位: its name and 分管区领导 (empty clears it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateUnit {
    pub name: String,
    #[serde(default)]
    pub district_leader: String,
}

impl Write for UpdateUnit {
    const ROUTE: &'static str = "/api/org/units/{id}";
    type Reply = Done;
}

/// 新建岗位 in a unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatePost {
    pub unit_id: i64,
    pub title: String,
    /// A `PostLevel` code or label.
    pub level: String,
}

impl Write for CreatePost {
    const ROUTE: &'static str = "/api/org/posts";
    type Reply = Created;
}

/// 修改岗位: its title and level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdatePost {
    pub title: String,
    pub level: String,
}

impl Write for UpdatePost {
    const ROUTE: &'static str = "/api/org/posts/{id}";
    type Reply = Done;
}

/// 新建账号: an administrator creates an account with a temporary password that its owner must
/// change at the first sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateAccount {
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub roles: Vec<crate::api::district::RoleGrant>,
    pub temporary_password: String,
}

impl Write for CreateAccount {
    const ROUTE: &'static str = "/api/users";
    type Reply = Created;
}

/// An administrator sets an account's roles: the whole set, replacing the one it had.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetRoles {
    pub username: String,
    pub roles: Vec<crate::api::district::RoleGrant>,
}

/// How many roles were granted and revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesSet {
    pub granted: usize,
    pub revoked: usize,
}

impl Write for SetRoles {
    const ROUTE: &'static str = "/api/users/roles";
    type Reply = RolesSet;
}

/// 区纪委设置: the notice period in working days and the 回头看 cadence in months by grade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaveSettings {
    pub notice_days: i64,
    pub cadence_first: i64,
    pub cadence_second: i64,
    pub cadence_third: i64,
}

impl Write for SaveSettings {
    const ROUTE: &'static str = "/api/settings";
    type Reply = Done;
}

/// 导入节假日: one date a line (`2027-01-01 放假 元旦`, `2027-02-07 上班 春节调休`); the years the
/// list names are replaced by it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportCalendar {
    pub days: String,
}

/// What a calendar import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarImported {
    pub years: Vec<u16>,
    pub added: usize,
    pub removed: u64,
}

impl Write for ImportCalendar {
    const ROUTE: &'static str = "/api/settings/calendar";
    type Reply = CalendarImported;
}

/// A round's rating matrix by thresholds on likelihood × impact: 一级 from `high_min`, 二级 from
/// `medium_min`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetRoundMatrix {
    pub high_min: i64,
    pub medium_min: i64,
}

/// What changing a round's matrix did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixSet {
    /// Sheets still in 自查 that took the new matrix.
    pub drafts: u64,
    /// Their points whose level changed.
    pub levels_changed: usize,
}

impl Write for SetRoundMatrix {
    const ROUTE: &'static str = "/api/rounds/{id}/matrix";
    type Reply = MatrixSet;
}

/// The organisation or the roster uploaded for import: the body is the file, the query says
/// which table and which slice, as for a risk table ([`ImportQuery`]). The answer is
/// [`crate::api::district::RosterReportView`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RosterImportQuery {
    pub table: crate::api::district::OrgTable,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub offset: usize,
    pub limit: Option<usize>,
}

impl RosterImportQuery {
    pub const ROUTE: &'static str = "/api/org/import";

    /// The upload's address.
    pub fn path(&self) -> String {
        let mut path = format!("{}?table={}", Self::ROUTE, self.table.code());
        if self.dry_run {
            path.push_str("&dry_run=true");
        } else {
            path.push_str(&format!("&offset={}", self.offset));
            if let Some(limit) = self.limit {
                path.push_str(&format!("&limit={limit}"));
            }
        }
        path
    }
}

/// Where an export of the organisation or the roster is downloaded: `/api/org/export/units.xlsx`.
pub fn org_export_path(table: crate::api::district::OrgTable, format: &str) -> String {
    format!("/api/org/export/{}.{format}", table.code())
}

/// 预警: the commission or a leader in charge raises a warning about a person (`subject`, a
/// username) or, with `subject` empty, about the unit itself, from a complaint, an inspection or
/// an audit finding. An empty `handling` takes the level's own, no `answer_days` the level's
/// 7 / 10 / 15 days.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RaiseWarning {
    pub unit_id: i64,
    #[serde(default)]
    pub subject: String,
    pub level: String,
    #[serde(default)]
    pub handling: String,
    pub source: String,
    #[serde(default)]
    pub source_ref: String,
    pub reason: String,
    #[serde(default)]
    pub answer_days: Option<i64>,
}

/// The warning raised, with its number (廉预〔2026〕3号).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningRaised {
    pub id: i64,
    pub number: String,
}

impl Write for RaiseWarning {
    const ROUTE: &'static str = "/api/warnings";
    type Reply = WarningRaised;
}

/// The written answer (书面答复) of the person warned, or of the unit's liaison: an analysis of
/// the causes and the rectification measures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerWarning {
    pub analysis: String,
    pub measures: String,
}

impl Write for AnswerWarning {
    const ROUTE: &'static str = "/api/warnings/{warning_id}/answer";
    type Reply = WarningStep;
}

/// The issuer accepts the answer: the warning is closed (办结).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcceptWarning {}

impl Write for AcceptWarning {
    const ROUTE: &'static str = "/api/warnings/{warning_id}/accept";
    type Reply = WarningStep;
}

/// 审核不通过，退回重订: the issuer sends the answer back with a reason; a second send-back takes
/// the warning a level up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendBackWarning {
    pub reason: String,
}

impl Write for SendBackWarning {
    const ROUTE: &'static str = "/api/warnings/{warning_id}/send-back";
    type Reply = WarningStep;
}

/// Where a warning stands after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningStep {
    pub level: domain::warning::Level,
    pub status: domain::warning::Status,
    /// The step took it a level up.
    pub escalated: bool,
}

/// The commission runs the schedule's check now: the switched-on rules raise the warnings they
/// find (each cause once), and every answer overdue takes its warning a level up (once; a check
/// run twice the same day changes nothing more).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckWarnings {}

/// What a check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningsChecked {
    /// Warnings the rules raised.
    pub raised: usize,
    pub escalated: usize,
    /// Warnings whose answerers were reminded that the answer is due within days.
    #[serde(default)]
    pub reminded: usize,
}

/// One 预警规则 as the settings form sends it: the rule's kind code, on or off, its threshold in
/// days and the level of its warnings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WarningRuleInput {
    pub kind: String,
    pub enabled: bool,
    pub days: i64,
    pub level: String,
}

/// 保存预警规则: the rules named are replaced; the others stay as they are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaveWarningRules {
    pub rules: Vec<WarningRuleInput>,
}

impl Write for SaveWarningRules {
    const ROUTE: &'static str = "/api/settings/warning-rules";
    type Reply = Done;
}

impl Write for CheckWarnings {
    const ROUTE: &'static str = "/api/warnings/check";
    type Reply = WarningsChecked;
}

/// Marks the signed-in user's notifications read, up to the newest they were shown (one that
/// arrived meanwhile stays unread).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarkNotificationsRead {
    pub up_to: i64,
}

impl Write for MarkNotificationsRead {
    const ROUTE: &'static str = "/api/notifications/read";
    type Reply = Done;
}

/// 检验: a section head checks a measure its holder reported finished (措施落实), accepting it
/// (`accept`) or sending it back with a `reason`; measure `position` of risk point
/// `risk_point_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckMeasure {
    pub risk_point_id: String,
    pub position: i64,
    pub accept: bool,
    #[serde(default)]
    pub reason: String,
}

impl Write for CheckMeasure {
    const ROUTE: &'static str = "/api/measures/check";
    type Reply = MeasureChecked;
}

/// Where the measure stands after the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureChecked {
    pub status: domain::risk::MeasureStatus,
    pub standing: domain::risk::progress::Standing,
}

/// 设置群机器人: the commission sets (or replaces) unit `unit_id`'s 企业微信 / 钉钉 group robot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetRobot {
    pub unit_id: i64,
    /// `wecom` or `dingtalk`.
    pub kind: String,
    pub url: String,
}

impl Write for SetRobot {
    const ROUTE: &'static str = "/api/settings/robots";
    type Reply = Done;
}

/// 删除群机器人: messages still waiting for it are given up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemoveRobot {
    pub unit_id: i64,
}

impl Write for RemoveRobot {
    const ROUTE: &'static str = "/api/settings/robots/remove";
    type Reply = Done;
}

/// 发送测试消息: queues a test message to unit `unit_id`'s robot, sent within seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestRobot {
    pub unit_id: i64,
}

impl Write for TestRobot {
    const ROUTE: &'static str = "/api/settings/robots/test";
    type Reply = Done;
}

/// 廉政谈话频次: the talks a year a key post's holder is owed, by supervision grade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaveTalkQuota {
    pub talks_first: i64,
    pub talks_second: i64,
    pub talks_third: i64,
}

impl Write for SaveTalkQuota {
    const ROUTE: &'static str = "/api/settings/talk-quota";
    type Reply = Done;
}

/// 记录廉政谈话: a one-to-one talk held by `talker` with the person `subject` (a user name).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordTalk {
    pub subject: String,
    pub talker: String,
    pub held_on: String,
    pub topic: String,
}

impl Write for RecordTalk {
    const ROUTE: &'static str = "/api/education/talks";
    type Reply = Recorded;
}

/// 记录集中教育: a 警示教育 or 廉政党课 session of unit `unit_id`, with who attended: the people
/// ticked (`attendees`, user names) and those of a pasted or imported list (`attendee_list`:
/// names or user names, one per line or separated by commas or 、).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordSession {
    pub unit_id: i64,
    pub kind: String,
    pub held_on: String,
    pub topic: String,
    #[serde(default)]
    pub attendees: Vec<String>,
    #[serde(default)]
    pub attendee_list: String,
}

impl Write for RecordSession {
    const ROUTE: &'static str = "/api/education/sessions";
    type Reply = Recorded;
}

/// What was recorded: its id, and for a session how many attended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub id: i64,
    pub attendees: usize,
}

/// 导入签到表: the names of a sign-in sheet (XLSX or CSV) for a session of unit `id`, read by
/// the server and put in the attendance list for the recorder to check before saving. The body is
/// the file.
pub const ATTENDANCE_FILE_ROUTE: &str = "/api/units/{id}/attendance-file";

/// The names read from a sign-in sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceFile {
    pub names: Vec<String>,
    /// The column they were read from: its header, or 第 1 列.
    pub column: String,
}

/// 作废: a talk recorded by mistake is voided with a reason (kept, audited, no longer listed or
/// counted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VoidTalk {
    pub reason: String,
}

impl Write for VoidTalk {
    const ROUTE: &'static str = "/api/education/talks/{id}/void";
    type Reply = Done;
}

/// 作废: the same for a collective session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VoidSession {
    pub reason: String,
}

impl Write for VoidSession {
    const ROUTE: &'static str = "/api/education/sessions/{id}/void";
    type Reply = Done;
}

/// 风险库: confirms the points the commission kept of a proposed group, as a new entry with
/// `wording` and `measures` (the measures cell's form, may be empty), or added to `entry`
/// (whose wording and measures then stay as they are).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfirmGroup {
    #[serde(default)]
    pub entry: Option<i64>,
    #[serde(default)]
    pub wording: String,
    #[serde(default)]
    pub measures: String,
    pub points: Vec<String>,
}

/// The entry the points are now in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySaved {
    pub id: i64,
    pub linked: usize,
}

impl Write for ConfirmGroup {
    const ROUTE: &'static str = "/api/catalogue/entries";
    type Reply = EntrySaved;
}

/// 风险库: a new canonical wording and unified measures for an entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditEntry {
    pub wording: String,
    #[serde(default)]
    pub measures: String,
}

impl Write for EditEntry {
    const ROUTE: &'static str = "/api/catalogue/entries/{id}";
    type Reply = Done;
}

/// 风险库: takes a point out of its entry (it is proposed again at the next grouping).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnlinkPoint {
    pub point: String,
}

impl Write for UnlinkPoint {
    const ROUTE: &'static str = "/api/catalogue/unlink";
    type Reply = Done;
}
