//! The approval chain (DESIGN §4) as a state machine: which stages a sheet passes, who may move
//! it at each stage, and what an approval is worth after edits. The browser calls it to show what
//! a user may do; the server calls it to decide. Chains are data, one per post level.

use serde::{Deserialize, Serialize};

use crate::{
    access::Principal,
    account::Role,
    ids::{OrgUnitId, PostId, UserId},
    org::OrgTree,
    post::PostLevel,
    stage::Stage,
    FieldError,
};

pub use crate::text::ReturnReason;

/// The stages a sheet climbs, in order, for one level of post. The last stage's approval makes the
/// sheet [`Stage::Approved`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    stages: Vec<Stage>,
}

impl Chain {
    /// A chain from data. It starts at self-check, ends at the commission's audit, keeps DESIGN's
    /// order and names no stage twice.
    pub fn new(stages: Vec<Stage>) -> Result<Self, FieldError> {
        let ordered = stages.windows(2).all(|w| w[0] < w[1]);
        let well_formed = stages.first() == Some(&Stage::SelfCheck)
            && stages.last() == Some(&Stage::CommissionAudit)
            && !stages.contains(&Stage::Approved);
        if !ordered || !well_formed {
            return Err(FieldError::new(
                "invalid_chain",
                "chain",
                "审核链须从“自查”开始、以“区纪委审核”结束，环节不重复且按规定顺序排列",
            ));
        }
        Ok(Self { stages })
    }

    /// The default chains: leadership posts skip the section head (self → peers in the leadership
    /// team → unit head → collective review → notice → commission).
    pub fn for_level(level: PostLevel) -> Self {
        let stages = match level {
            PostLevel::Leadership => vec![
                Stage::SelfCheck,
                Stage::PeerReview,
                Stage::LeaderConfirmation,
                Stage::CollectiveReview,
                Stage::PublicNotice,
                Stage::CommissionAudit,
            ],
            PostLevel::Middle | PostLevel::General => vec![
                Stage::SelfCheck,
                Stage::PeerReview,
                Stage::SectionReview,
                Stage::LeaderConfirmation,
                Stage::CollectiveReview,
                Stage::PublicNotice,
                Stage::CommissionAudit,
            ],
        };
        Self { stages }
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The stage after `stage`: the next in the chain, or approved after the last.
    pub fn next(&self, stage: Stage) -> Option<Stage> {
        let at = self.stages.iter().position(|s| *s == stage)?;
        Some(self.stages.get(at + 1).copied().unwrap_or(Stage::Approved))
    }

    pub fn contains(&self, stage: Stage) -> bool {
        self.stages.contains(&stage)
    }
}

/// What a user asks to do with a sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// The holder hands in the self-check (自查 → 互评).
    Submit,
    /// The holder closes peer review once enough colleagues have reviewed (互评 → next).
    ClosePeerReview,
    /// The reviewer of the current stage passes the sheet on.
    Approve,
    /// The reviewer of the current stage sends it back to an earlier stage, with a reason.
    Return { to: Stage, reason: ReturnReason },
}

impl Action {
    /// The stable code of the action, as the timeline and the audit log store it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::ClosePeerReview => "close_peer_review",
            Self::Approve => "approve",
            Self::Return { .. } => "return",
        }
    }

    /// The label of a stored action code, for the timeline (退回 for an unknown one).
    pub fn label_of(code: &str) -> &'static str {
        match code {
            "submit" => "提交审核",
            "close_peer_review" => "结束互评",
            "approve" => "审核通过",
            _ => "退回",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::Submit => "提交审核",
            Self::ClosePeerReview => "结束互评",
            Self::Approve => "审核通过",
            Self::Return { .. } => "退回",
        }
    }
}

/// An approval: who passed the sheet at which stage, and the hash of the content they saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub stage: Stage,
    pub by: UserId,
    pub content_hash: String,
}

/// Where a sheet stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetState {
    pub stage: Stage,
    pub approvals: Vec<Approval>,
}

impl SheetState {
    pub fn new() -> Self {
        Self {
            stage: Stage::SelfCheck,
            approvals: Vec::new(),
        }
    }

    /// Approvals still worth something: those given to the content as it is now. An edit after a
    /// return changes the hash, and every approval of the old content stops counting.
    pub fn valid_approvals<'a>(
        &'a self,
        content_hash: &'a str,
    ) -> impl Iterator<Item = &'a Approval> + 'a {
        self.approvals
            .iter()
            .filter(move |a| a.content_hash == content_hash)
    }
}

impl Default for SheetState {
    fn default() -> Self {
        Self::new()
    }
}

/// What the rules need to know about a sheet besides its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetFacts {
    pub post: PostId,
    pub unit: OrgUnitId,
    pub level: PostLevel,
    /// Hash of the sheet's content now (risk points and measures).
    pub content_hash: String,
    /// Risk points on the sheet now: an empty sheet is never submitted.
    pub risk_points: u32,
    pub peer_reviews: u32,
    pub required_peer_reviews: u32,
    /// Suggested risk points the holder has neither accepted nor declined.
    pub pending_suggestions: u32,
    /// The public notice period has run its course.
    pub notice_period_over: bool,
    pub open_objections: u32,
}

/// Why a transition was refused: a stable code and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}（{code}）")]
pub struct TransitionError {
    pub code: String,
    pub message: String,
}

impl TransitionError {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The role that reviews a sheet at `stage`; `None` where no reviewer acts (the holder's stages,
/// and the end).
pub fn reviewer_of(stage: Stage) -> Option<Role> {
    match stage {
        Stage::SectionReview => Some(Role::SectionHead),
        Stage::LeaderConfirmation => Some(Role::LeaderInCharge),
        Stage::CollectiveReview | Stage::PublicNotice => Some(Role::UnitLiaison),
        Stage::CommissionAudit => Some(Role::CommissionReviewer),
        Stage::SelfCheck | Stage::PeerReview | Stage::Approved => None,
    }
}

/// Decides `action` on a sheet and returns its next state. Checked in one place: the stage is in
/// the chain, the actor holds the stage's role over the post's unit, nobody passes a sheet of a
/// post they hold, a return goes to an earlier stage of the chain with a reason, and the gates of
/// peer review and public notice are met.
pub fn transition(
    chain: &Chain,
    state: &SheetState,
    facts: &SheetFacts,
    actor: &Principal,
    tree: &OrgTree,
    action: &Action,
) -> Result<SheetState, TransitionError> {
    let stage = state.stage;
    if !chain.contains(stage) {
        return Err(TransitionError::new(
            "stage_finished",
            format!("排查表处于“{}”状态，不能再流转", stage.label()),
        ));
    }
    let holder = actor.held_posts.contains(&facts.post);
    let mut next = state.clone();
    match action {
        Action::Submit | Action::ClosePeerReview => {
            let expected = if matches!(action, Action::Submit) {
                Stage::SelfCheck
            } else {
                Stage::PeerReview
            };
            if stage != expected {
                return Err(wrong_stage(action, stage));
            }
            if !holder {
                return Err(TransitionError::new(
                    "forbidden",
                    "只有本岗位的在岗人员才能进行此操作",
                ));
            }
            if stage == Stage::SelfCheck && facts.risk_points == 0 {
                return Err(TransitionError::new(
                    "empty_sheet",
                    "排查表还没有风险点，不能提交审核",
                ));
            }
            if stage == Stage::PeerReview && facts.peer_reviews < facts.required_peer_reviews {
                return Err(TransitionError::new(
                    "peer_reviews_missing",
                    format!(
                        "互评尚未完成：需要 {} 份，已有 {} 份",
                        facts.required_peer_reviews, facts.peer_reviews
                    ),
                ));
            }
            if stage == Stage::PeerReview && facts.pending_suggestions > 0 {
                return Err(TransitionError::new(
                    "suggestions_pending",
                    format!(
                        "尚有 {} 条同事建议的风险点未处理，请逐条采纳或说明不采纳理由",
                        facts.pending_suggestions
                    ),
                ));
            }
            next.stage = chain.next(stage).unwrap_or(Stage::Approved);
        }
        Action::Approve | Action::Return { .. } => {
            let Some(role) = reviewer_of(stage) else {
                return Err(wrong_stage(action, stage));
            };
            if holder {
                return Err(TransitionError::new(
                    "own_sheet",
                    "不能审核本人所在岗位的排查表",
                ));
            }
            if !actor.has_role_over(tree, role, facts.unit) {
                return Err(TransitionError::new(
                    "forbidden",
                    format!("“{}”环节须由{}办理", stage.label(), role.label()),
                ));
            }
            match action {
                Action::Approve => {
                    // An objection holds the sheet whatever the calendar says, so it is checked
                    // first: the liaison learns what to do, not only that the period runs.
                    if stage == Stage::PublicNotice && facts.open_objections > 0 {
                        return Err(TransitionError::new(
                            "objections_open",
                            format!("尚有 {} 条异议未处理，公示不能结束", facts.open_objections),
                        ));
                    }
                    if stage == Stage::PublicNotice && !facts.notice_period_over {
                        return Err(TransitionError::new("notice_running", "公示期尚未结束"));
                    }
                    next.approvals.retain(|a| a.stage != stage);
                    next.approvals.push(Approval {
                        stage,
                        by: actor.user,
                        content_hash: facts.content_hash.clone(),
                    });
                    next.stage = chain.next(stage).unwrap_or(Stage::Approved);
                }
                Action::Return { to, .. } => {
                    if !chain.contains(*to) || *to >= stage {
                        return Err(TransitionError::new(
                            "invalid_return",
                            "只能退回到本审核链中更早的环节",
                        ));
                    }
                    // Everything from the stage returned to upwards has to be earned again.
                    next.approvals.retain(|a| a.stage < *to);
                    next.stage = *to;
                }
                Action::Submit | Action::ClosePeerReview => unreachable!("handled above"),
            }
        }
    }
    Ok(next)
}

fn wrong_stage(action: &Action, stage: Stage) -> TransitionError {
    TransitionError::new(
        "wrong_stage",
        format!(
            "排查表当前处于“{}”环节，不能“{}”",
            stage.label(),
            action.label()
        ),
    )
}

/// Whether the content of a sheet at `stage` may change (risk points added, edited or deleted
/// by the holder, or by an import): only in self-check. Past it, the sheet is locked until a
/// return brings it back.
pub fn check_editable(stage: Stage) -> Result<(), TransitionError> {
    if stage == Stage::SelfCheck {
        return Ok(());
    }
    Err(TransitionError::new(
        "sheet_locked",
        format!("排查表已进入“{}”环节，不能再修改", stage.label()),
    ))
}

/// How a step reaches the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A decision taken on the sheet page (a `decide` or `submit_sheet` sync operation).
    Decision,
    /// The record of the leadership meeting (集体审定), which approves its sheets.
    Meeting,
}

/// Whether `action` at `stage` must come with the record of the meeting that took it: an
/// approval at 集体审定 is the meeting's, never one person's click.
pub fn needs_meeting(stage: Stage, action: &Action) -> bool {
    stage == Stage::CollectiveReview && matches!(action, Action::Approve)
}

/// [`transition`] for a step arriving `via` a channel: a bare decision cannot approve a collective
/// review, and a meeting record approves collective reviews only (it must not close a public
/// notice or anything else).
pub fn decide(
    chain: &Chain,
    state: &SheetState,
    facts: &SheetFacts,
    actor: &Principal,
    tree: &OrgTree,
    action: &Action,
    via: Via,
) -> Result<SheetState, TransitionError> {
    let needs = needs_meeting(state.stage, action);
    match via {
        Via::Decision if needs => {
            return Err(TransitionError::new(
                "meeting_required",
                "集体审定须登记审定会议（日期、参会人员、决定、纪要编号）后办理",
            ))
        }
        Via::Meeting if !needs => {
            return Err(TransitionError::new(
                "wrong_stage",
                format!(
                    "排查表当前处于“{}”环节，不在集体审定中",
                    state.stage.label()
                ),
            ))
        }
        Via::Decision | Via::Meeting => {}
    }
    transition(chain, state, facts, actor, tree, action)
}

/// The step the user would naturally take on a sheet at its stage, if the stage is theirs, and
/// why it is held now if it is (objections open, the notice running, reviews missing): what the
/// sheet page offers and explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextStep {
    pub action: Action,
    /// Why the step cannot be taken now.
    pub held: Option<TransitionError>,
}

pub fn next_step(
    chain: &Chain,
    state: &SheetState,
    facts: &SheetFacts,
    actor: &Principal,
    tree: &OrgTree,
) -> Option<NextStep> {
    let holder = actor.held_posts.contains(&facts.post);
    let action = match state.stage {
        Stage::SelfCheck if holder => Action::Submit,
        Stage::PeerReview if holder => Action::ClosePeerReview,
        stage => {
            let role = reviewer_of(stage)?;
            if holder || !actor.has_role_over(tree, role, facts.unit) {
                return None;
            }
            Action::Approve
        }
    };
    let held = transition(chain, state, facts, actor, tree, &action).err();
    Some(NextStep { action, held })
}

/// A post as peer review sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerPost {
    pub post: PostId,
    pub unit: OrgUnitId,
    pub level: PostLevel,
}

/// Whether someone holding `held` posts may peer-review the sheet of `sheet` (互评): a colleague
/// in the same unit who does not hold that post; for a leadership post, a fellow member of the
/// leadership team.
pub fn is_peer_reviewer(held: &[PeerPost], sheet: PeerPost) -> bool {
    if held.iter().any(|p| p.post == sheet.post) {
        return false;
    }
    held.iter().any(|p| {
        p.unit == sheet.unit
            && (sheet.level != PostLevel::Leadership || p.level == PostLevel::Leadership)
    })
}

/// The actions this user may take now, for the UI. Returns use the first stage as an example
/// target; the form lets the reviewer pick any earlier stage.
pub fn allowed_actions(
    chain: &Chain,
    state: &SheetState,
    facts: &SheetFacts,
    actor: &Principal,
    tree: &OrgTree,
) -> Vec<Action> {
    let example_return = Action::Return {
        to: Stage::SelfCheck,
        reason: ReturnReason::parse("示例理由").expect("a valid reason"),
    };
    [
        Action::Submit,
        Action::ClosePeerReview,
        Action::Approve,
        example_return,
    ]
    .into_iter()
    .filter(|a| transition(chain, state, facts, actor, tree, a).is_ok())
    .collect()
}

/// How the liaison found an objection to a public notice (公示异议) on looking into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionOutcome {
    /// 异议成立: what was objected to is so; the "异议成立" warning rule reads it.
    Upheld,
    /// 异议不成立.
    Dismissed,
}

impl ObjectionOutcome {
    pub const ALL: [Self; 2] = [Self::Upheld, Self::Dismissed];

    pub fn code(self) -> &'static str {
        match self {
            Self::Upheld => "upheld",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Upheld => "异议成立",
            Self::Dismissed => "异议不成立",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::FieldError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|o| o.code() == raw || o.label() == raw)
            .ok_or_else(|| {
                crate::FieldError::new(
                    if raw.is_empty() {
                        "required"
                    } else {
                        "unknown_value"
                    },
                    "outcome",
                    "核实结论：请选择“异议成立”或“异议不成立”",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::RoleAssignment;

    const DISTRICT: OrgUnitId = OrgUnitId(1);
    const BUREAU: OrgUnitId = OrgUnitId(2);
    const OTHER: OrgUnitId = OrgUnitId(3);
    const POST: PostId = PostId(10);

    fn tree() -> OrgTree {
        OrgTree::new([
            (DISTRICT, None),
            (BUREAU, Some(DISTRICT)),
            (OTHER, Some(DISTRICT)),
        ])
    }

    fn facts(level: PostLevel) -> SheetFacts {
        SheetFacts {
            post: POST,
            unit: BUREAU,
            level,
            content_hash: "h1".to_owned(),
            risk_points: 3,
            peer_reviews: 2,
            required_peer_reviews: 2,
            pending_suggestions: 0,
            notice_period_over: true,
            open_objections: 0,
        }
    }

    fn person(id: i64, roles: &[(Role, OrgUnitId)], holds: bool) -> Principal {
        Principal {
            user: UserId(id),
            roles: roles
                .iter()
                .map(|&(role, scope)| RoleAssignment { role, scope })
                .collect(),
            held_posts: if holds { vec![POST] } else { Vec::new() },
        }
    }

    /// The cast: one person per role over the bureau (the commission over the district), a
    /// colleague with no role, and a section head of another unit.
    fn cast() -> Vec<(&'static str, Principal)> {
        vec![
            ("holder", person(1, &[(Role::PostHolder, BUREAU)], true)),
            ("colleague", person(2, &[(Role::PostHolder, BUREAU)], false)),
            (
                "section_head",
                person(3, &[(Role::SectionHead, BUREAU)], false),
            ),
            (
                "leader",
                person(4, &[(Role::LeaderInCharge, BUREAU)], false),
            ),
            ("liaison", person(5, &[(Role::UnitLiaison, BUREAU)], false)),
            (
                "commission",
                person(6, &[(Role::CommissionReviewer, DISTRICT)], false),
            ),
            ("admin", person(7, &[(Role::Admin, DISTRICT)], false)),
            (
                "other_unit_head",
                person(8, &[(Role::SectionHead, OTHER)], false),
            ),
        ]
    }

    fn at(stage: Stage) -> SheetState {
        SheetState {
            stage,
            approvals: Vec::new(),
        }
    }

    fn ret(to: Stage) -> Action {
        Action::Return {
            to,
            reason: ReturnReason::parse("风险点描述过于笼统").unwrap(),
        }
    }

    /// Who may do what, stage by stage, on a general post's chain: everything not listed is
    /// refused.
    #[test]
    fn every_stage_role_and_action_is_allowed_exactly_as_designed() {
        let chain = Chain::for_level(PostLevel::General);
        let expected: &[(Stage, &str, &str)] = &[
            (Stage::SelfCheck, "holder", "submit"),
            (Stage::PeerReview, "holder", "close_peer_review"),
            (Stage::SectionReview, "section_head", "approve"),
            (Stage::SectionReview, "section_head", "return"),
            (Stage::LeaderConfirmation, "leader", "approve"),
            (Stage::LeaderConfirmation, "leader", "return"),
            (Stage::CollectiveReview, "liaison", "approve"),
            (Stage::CollectiveReview, "liaison", "return"),
            (Stage::PublicNotice, "liaison", "approve"),
            (Stage::PublicNotice, "liaison", "return"),
            (Stage::CommissionAudit, "commission", "approve"),
            (Stage::CommissionAudit, "commission", "return"),
        ];
        let actions = [
            ("submit", Action::Submit),
            ("close_peer_review", Action::ClosePeerReview),
            ("approve", Action::Approve),
            ("return", ret(Stage::SelfCheck)),
        ];
        let mut checked = 0;
        for stage in Stage::ALL {
            for (who, actor) in cast() {
                for (name, action) in &actions {
                    let allowed = transition(
                        &chain,
                        &at(stage),
                        &facts(PostLevel::General),
                        &actor,
                        &tree(),
                        action,
                    )
                    .is_ok();
                    let want = expected.contains(&(stage, who, name));
                    assert_eq!(allowed, want, "{} × {who} × {name}", stage.label());
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 8 * 4);
    }

    /// `who` (a name from the cast) tries `action` on a sheet in `state`.
    fn act(
        chain: &Chain,
        state: &SheetState,
        f: &SheetFacts,
        who: &str,
        action: &Action,
    ) -> Result<SheetState, TransitionError> {
        let actor = cast()
            .into_iter()
            .find(|(n, _)| *n == who)
            .expect("someone of the cast")
            .1;
        transition(chain, state, f, &actor, &tree(), action)
    }

    fn general() -> (Chain, SheetFacts) {
        (
            Chain::for_level(PostLevel::General),
            facts(PostLevel::General),
        )
    }

    #[test]
    fn a_holder_cannot_approve_their_own_sheet_even_with_the_reviewing_role() {
        let (chain, f) = general();
        let head_and_holder = person(9, &[(Role::SectionHead, BUREAU)], true);
        let err = transition(
            &chain,
            &at(Stage::SectionReview),
            &f,
            &head_and_holder,
            &tree(),
            &Action::Approve,
        )
        .unwrap_err();
        assert_eq!(err.code, "own_sheet");
    }

    #[test]
    fn the_leadership_chain_goes_from_peers_to_the_unit_head_without_a_section_review() {
        let chain = Chain::for_level(PostLevel::Leadership);
        assert!(!chain.contains(Stage::SectionReview));
        assert_eq!(
            chain.next(Stage::PeerReview),
            Some(Stage::LeaderConfirmation)
        );
        let f = facts(PostLevel::Leadership);
        let err = act(
            &chain,
            &at(Stage::SectionReview),
            &f,
            "section_head",
            &Action::Approve,
        )
        .unwrap_err();
        assert_eq!(err.code, "stage_finished");
    }

    #[test]
    fn a_return_needs_a_reason_and_an_earlier_stage_of_the_chain() {
        assert_eq!(ReturnReason::parse(" ").unwrap_err().code, "required");
        let (chain, f) = general();
        let later = act(
            &chain,
            &at(Stage::LeaderConfirmation),
            &f,
            "leader",
            &ret(Stage::PublicNotice),
        );
        assert_eq!(later.unwrap_err().code, "invalid_return");
        let back = act(
            &chain,
            &at(Stage::CommissionAudit),
            &f,
            "commission",
            &ret(Stage::SectionReview),
        )
        .unwrap();
        assert_eq!(back.stage, Stage::SectionReview);
        let leadership = Chain::for_level(PostLevel::Leadership);
        let not_in_chain = act(
            &leadership,
            &at(Stage::CommissionAudit),
            &f,
            "commission",
            &ret(Stage::SectionReview),
        );
        assert_eq!(not_in_chain.unwrap_err().code, "invalid_return");
    }

    #[test]
    fn the_commission_approves_last_and_the_sheet_is_approved() {
        let (chain, f) = general();
        let done = act(
            &chain,
            &at(Stage::CommissionAudit),
            &f,
            "commission",
            &Action::Approve,
        )
        .unwrap();
        assert_eq!(done.stage, Stage::Approved);
        assert_eq!(done.approvals[0].by, UserId(6));
        let again = act(&chain, &done, &f, "commission", &Action::Approve);
        assert_eq!(again.unwrap_err().code, "stage_finished");
    }

    #[test]
    fn a_return_drops_the_approvals_from_the_stage_returned_to_upwards() {
        let (chain, f) = general();
        let mut state = at(Stage::SectionReview);
        for who in ["section_head", "leader", "liaison", "liaison"] {
            state = act(&chain, &state, &f, who, &Action::Approve).unwrap();
        }
        assert_eq!(state.stage, Stage::CommissionAudit);
        assert_eq!(state.approvals.len(), 4);
        let returned = act(
            &chain,
            &state,
            &f,
            "commission",
            &ret(Stage::LeaderConfirmation),
        )
        .unwrap();
        let kept: Vec<Stage> = returned.approvals.iter().map(|a| a.stage).collect();
        assert_eq!(kept, [Stage::SectionReview]);
    }

    #[test]
    fn approvals_of_old_content_stop_counting_after_an_edit() {
        let (chain, f) = general();
        let state = act(
            &chain,
            &at(Stage::SectionReview),
            &f,
            "section_head",
            &Action::Approve,
        )
        .unwrap();
        assert_eq!(state.valid_approvals("h1").count(), 1);
        assert_eq!(state.valid_approvals("h2-after-edit").count(), 0);
    }

    #[test]
    fn peer_review_cannot_close_before_the_required_reviews() {
        let (chain, mut f) = general();
        f.peer_reviews = 1;
        let err = act(
            &chain,
            &at(Stage::PeerReview),
            &f,
            "holder",
            &Action::ClosePeerReview,
        )
        .unwrap_err();
        assert_eq!(err.code, "peer_reviews_missing");
        assert!(err.message.contains("需要 2 份，已有 1 份"));
    }

    #[test]
    fn the_public_notice_holds_while_running_or_with_open_objections() {
        let (chain, mut f) = general();
        f.notice_period_over = false;
        let err = act(
            &chain,
            &at(Stage::PublicNotice),
            &f,
            "liaison",
            &Action::Approve,
        )
        .unwrap_err();
        assert_eq!(err.code, "notice_running");
        f.notice_period_over = true;
        f.open_objections = 1;
        let err = act(
            &chain,
            &at(Stage::PublicNotice),
            &f,
            "liaison",
            &Action::Approve,
        )
        .unwrap_err();
        assert_eq!(err.code, "objections_open");
        // An objection is named even while the period still runs.
        f.notice_period_over = false;
        let err = act(
            &chain,
            &at(Stage::PublicNotice),
            &f,
            "liaison",
            &Action::Approve,
        )
        .unwrap_err();
        assert_eq!(err.code, "objections_open");
    }

    #[test]
    fn peer_review_cannot_close_with_undecided_suggestions() {
        let (chain, mut f) = general();
        f.pending_suggestions = 1;
        let err = act(
            &chain,
            &at(Stage::PeerReview),
            &f,
            "holder",
            &Action::ClosePeerReview,
        )
        .unwrap_err();
        assert_eq!(err.code, "suggestions_pending");
    }

    #[test]
    fn peers_are_colleagues_of_the_same_unit_and_leadership_team() {
        let sheet = PeerPost {
            post: POST,
            unit: BUREAU,
            level: PostLevel::General,
        };
        let colleague = PeerPost {
            post: PostId(11),
            unit: BUREAU,
            level: PostLevel::Middle,
        };
        let elsewhere = PeerPost {
            unit: OTHER,
            ..colleague
        };
        assert!(is_peer_reviewer(&[colleague], sheet));
        assert!(!is_peer_reviewer(&[elsewhere], sheet));
        assert!(!is_peer_reviewer(&[sheet], sheet), "not one's own post");
        let leader_sheet = PeerPost {
            level: PostLevel::Leadership,
            ..sheet
        };
        assert!(!is_peer_reviewer(&[colleague], leader_sheet));
        let fellow_leader = PeerPost {
            level: PostLevel::Leadership,
            ..colleague
        };
        assert!(is_peer_reviewer(&[fellow_leader], leader_sheet));
    }

    #[test]
    fn a_reviewer_of_another_unit_is_refused() {
        let (chain, f) = general();
        let err = act(
            &chain,
            &at(Stage::SectionReview),
            &f,
            "other_unit_head",
            &Action::Approve,
        )
        .unwrap_err();
        assert_eq!(err.code, "forbidden");
        assert!(err.message.contains("科室负责人"));
    }

    #[test]
    fn chains_from_data_must_be_well_formed() {
        assert!(Chain::new(vec![Stage::SelfCheck, Stage::CommissionAudit]).is_ok());
        assert!(Chain::new(vec![Stage::PeerReview, Stage::CommissionAudit]).is_err());
        assert!(Chain::new(vec![
            Stage::SelfCheck,
            Stage::PublicNotice,
            Stage::CollectiveReview,
            Stage::CommissionAudit
        ])
        .is_err());
        assert!(Chain::new(vec![
            Stage::SelfCheck,
            Stage::CommissionAudit,
            Stage::Approved
        ])
        .is_err());
    }

    #[test]
    fn an_empty_sheet_cannot_be_submitted() {
        let (chain, mut f) = general();
        f.risk_points = 0;
        let refused = act(&chain, &at(Stage::SelfCheck), &f, "holder", &Action::Submit);
        assert_eq!(refused.unwrap_err().code, "empty_sheet");
        f.risk_points = 1;
        assert!(act(&chain, &at(Stage::SelfCheck), &f, "holder", &Action::Submit).is_ok());
    }

    #[test]
    fn a_sheet_is_locked_against_edits_after_self_check() {
        assert!(check_editable(Stage::SelfCheck).is_ok());
        for stage in Stage::ALL.into_iter().filter(|s| *s != Stage::SelfCheck) {
            assert_eq!(check_editable(stage).unwrap_err().code, "sheet_locked");
        }
    }

    #[test]
    fn a_collective_review_is_approved_by_recording_the_meeting_only() {
        let (chain, f) = general();
        let liaison = cast().into_iter().find(|(n, _)| *n == "liaison").unwrap().1;
        let collective = at(Stage::CollectiveReview);
        let by = |state: &SheetState, via| {
            decide(&chain, state, &f, &liaison, &tree(), &Action::Approve, via)
        };
        assert_eq!(
            by(&collective, Via::Decision).unwrap_err().code,
            "meeting_required"
        );
        assert_eq!(
            by(&collective, Via::Meeting).unwrap().stage,
            Stage::PublicNotice
        );
        // A meeting does not close a public notice.
        assert_eq!(
            by(&at(Stage::PublicNotice), Via::Meeting).unwrap_err().code,
            "wrong_stage"
        );
        // A return at collective review is a decision like any other.
        assert!(decide(
            &chain,
            &collective,
            &f,
            &liaison,
            &tree(),
            &ret(Stage::SelfCheck),
            Via::Decision
        )
        .is_ok());
    }

    #[test]
    fn the_next_step_is_the_stage_owners_and_says_why_it_is_held() {
        let (chain, mut f) = general();
        let people = cast();
        let who = |name: &str| &people.iter().find(|(n, _)| *n == name).unwrap().1;
        let step = next_step(&chain, &at(Stage::SelfCheck), &f, who("holder"), &tree()).unwrap();
        assert_eq!((step.action, step.held), (Action::Submit, None));
        assert!(next_step(
            &chain,
            &at(Stage::SelfCheck),
            &f,
            who("section_head"),
            &tree()
        )
        .is_none());
        // The holder of the post never gets a reviewer's step on it.
        assert!(next_step(
            &chain,
            &at(Stage::SectionReview),
            &f,
            who("holder"),
            &tree()
        )
        .is_none());
        f.open_objections = 2;
        let held = next_step(
            &chain,
            &at(Stage::PublicNotice),
            &f,
            who("liaison"),
            &tree(),
        )
        .unwrap();
        assert_eq!(held.action, Action::Approve);
        assert_eq!(held.held.unwrap().code, "objections_open");
    }

    #[test]
    fn the_ui_offers_exactly_the_allowed_actions() {
        let (chain, f) = general();
        let people = cast();
        let offered = |who: &str| {
            let actor = &people.iter().find(|(n, _)| *n == who).unwrap().1;
            allowed_actions(&chain, &at(Stage::SectionReview), &f, actor, &tree())
        };
        let head = offered("section_head");
        assert_eq!(head.len(), 2);
        assert_eq!(head[0], Action::Approve);
        assert!(offered("holder").is_empty());
    }

    #[test]
    fn an_objection_is_found_upheld_or_dismissed_and_nothing_else() {
        assert_eq!(
            ObjectionOutcome::parse("upheld").unwrap(),
            ObjectionOutcome::Upheld
        );
        assert_eq!(
            ObjectionOutcome::parse(" 异议不成立 ").unwrap(),
            ObjectionOutcome::Dismissed
        );
        let e = ObjectionOutcome::parse("").unwrap_err();
        assert_eq!((e.code.as_str(), e.field.as_str()), ("required", "outcome"));
        assert_eq!(
            ObjectionOutcome::parse("部分成立").unwrap_err().code,
            "unknown_value"
        );
    }
}
