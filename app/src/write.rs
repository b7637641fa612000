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

/// Who signed in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedIn {
    pub user: SessionUser,
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
