//! Who may read what. Deny by default: access is granted only by a rule below.

use crate::{
    account::{Role, RoleAssignment},
    ids::{OrgUnitId, PostId, UserId},
    org::OrgTree,
};

/// Who a warning concerns: its issuer (none when a rule raised it), the person warned (none when
/// it is addressed to the unit) and the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarningParties {
    pub issuer: Option<UserId>,
    pub subject: Option<UserId>,
    pub unit: OrgUnitId,
}

/// The roles that oversee a unit's commitments ([`Principal::oversees_commitments`]).
pub const COMMITMENT_OVERSEERS: [Role; 4] = [
    Role::SectionHead,
    Role::LeaderInCharge,
    Role::UnitLiaison,
    Role::CommissionReviewer,
];

/// The signed-in user as the rules see them.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserId,
    pub roles: Vec<RoleAssignment>,
    /// The posts this user holds.
    pub held_posts: Vec<PostId>,
}

impl Principal {
    /// Whether this user may read the risk sheet of `post`, which sits in `unit`: they hold the
    /// post, or they have a reviewing role whose scope contains the unit.
    pub fn may_read_sheet(&self, tree: &OrgTree, post: PostId, unit: OrgUnitId) -> bool {
        self.held_posts.contains(&post)
            || self
                .roles
                .iter()
                .any(|a| a.role.reads_sheets_in_scope() && tree.is_within(unit, a.scope))
    }

    /// Whether a sheet of `post` (in `unit`) at `stage`, with `open_objections` unanswered, waits
    /// for this user: they hold the role that acts at its stage over its unit, or it is in 公示
    /// with objections they answer. What the home page lists as waiting, one definition.
    pub fn awaits(
        &self,
        tree: &OrgTree,
        post: PostId,
        unit: OrgUnitId,
        stage: crate::stage::Stage,
        open_objections: i64,
    ) -> bool {
        crate::chain::reviewer_of(stage).is_some_and(|role| self.has_role_over(tree, role, unit))
            || (stage == crate::stage::Stage::PublicNotice
                && open_objections > 0
                && self.may_answer_objections(tree, post, unit))
    }

    /// Whether this user holds `role` with a scope that contains `unit`.
    pub fn has_role_over(
        &self,
        tree: &OrgTree,
        role: crate::account::Role,
        unit: OrgUnitId,
    ) -> bool {
        self.roles
            .iter()
            .any(|a| a.role == role && tree.is_within(unit, a.scope))
    }

    /// Whether this user reports how the measures of `post` are carried out (措施落实): its
    /// holder, and only its holder.
    pub fn may_report_measures(&self, post: PostId) -> bool {
        self.held_posts.contains(&post)
    }

    /// Whether this user checks carried-out measures anywhere (a section head): the page of
    /// measures to check is theirs.
    pub fn checks_measures(&self) -> bool {
        self.roles.iter().any(|a| a.role == Role::SectionHead)
    }

    /// Whether this user checks (检验) the carried-out measures of `post` in `unit`: a section
    /// head over the unit, never on a post of their own.
    pub fn may_check_measures(&self, tree: &OrgTree, post: PostId, unit: OrgUnitId) -> bool {
        !self.held_posts.contains(&post) && self.has_role_over(tree, Role::SectionHead, unit)
    }

    /// Whether this user reads every sheet of `unit` through a role: its handbook and its risk
    /// table export.
    pub fn may_read_unit(&self, tree: &OrgTree, unit: OrgUnitId) -> bool {
        self.sheet_scopes().any(|scope| tree.is_within(unit, scope))
    }

    /// 公示异议: the unit's liaison answers objections to a post's notice, never about a post
    /// they hold themselves.
    pub fn may_answer_objections(&self, tree: &OrgTree, post: PostId, unit: OrgUnitId) -> bool {
        !self.held_posts.contains(&post) && self.has_role_over(tree, Role::UnitLiaison, unit)
    }

    /// Who may read an objector's contact details: those who answer objections and the
    /// commission; never the holder of the post objected to.
    pub fn may_see_objection_contacts(
        &self,
        tree: &OrgTree,
        post: PostId,
        unit: OrgUnitId,
    ) -> bool {
        self.may_answer_objections(tree, post, unit)
            || (!self.held_posts.contains(&post)
                && self.has_role_over(tree, Role::CommissionReviewer, unit))
    }

    /// 重点岗位认定: the commission marks key posts and their supervision grade, never for a
    /// post it holds itself.
    pub fn may_grade_post(&self, tree: &OrgTree, post: PostId, unit: OrgUnitId) -> bool {
        !self.held_posts.contains(&post) && self.has_role_over(tree, Role::CommissionReviewer, unit)
    }

    /// Whether an importer may give new posts of `unit` their marks (see
    /// [`Self::may_grade_post`]): the commission over the unit.
    pub fn may_mark_posts(&self, tree: &OrgTree, unit: OrgUnitId) -> bool {
        self.has_role_over(tree, Role::CommissionReviewer, unit)
    }

    /// 承诺书: who looks after a unit's commitments (sees them and the roll-up, and reminds):
    /// its section heads, leaders in charge, liaison and the commission.
    pub fn oversees_commitments(&self, tree: &OrgTree, unit: OrgUnitId) -> bool {
        COMMITMENT_OVERSEERS
            .iter()
            .any(|role| self.has_role_over(tree, *role, unit))
    }

    /// 集体审定: the unit's liaison records the leadership meeting.
    pub fn may_record_meeting(&self, tree: &OrgTree, unit: OrgUnitId) -> bool {
        self.has_role_over(tree, Role::UnitLiaison, unit)
    }

    /// 导入风险台账: the unit's liaison, or an administrator over it.
    pub fn may_import(&self, tree: &OrgTree, unit: OrgUnitId) -> bool {
        [Role::UnitLiaison, Role::Admin]
            .into_iter()
            .any(|role| self.has_role_over(tree, role, unit))
    }

    /// 承诺书模板: the commission edits the template in force.
    pub fn may_edit_commitment_template(&self) -> bool {
        self.roles
            .iter()
            .any(|a| a.role == Role::CommissionReviewer)
    }

    /// 轮岗交流: an administrator or the unit's liaison records who holds the unit's posts, never
    /// for a post they hold themselves.
    pub fn may_manage_holders(&self, tree: &OrgTree, post: PostId, unit: OrgUnitId) -> bool {
        !self.held_posts.contains(&post)
            && [Role::Admin, Role::UnitLiaison]
                .into_iter()
                .any(|role| self.has_role_over(tree, role, unit))
    }

    /// 岗位与人员: who sees a unit's posts and their holders, past and present: those who read
    /// its sheets, and those who record handovers there.
    pub fn may_see_holders(&self, tree: &OrgTree, unit: OrgUnitId) -> bool {
        self.may_read_unit(tree, unit) || self.has_role_over(tree, Role::Admin, unit)
    }

    /// 排查批次: the commission starts rounds over units within its scope, and follows them.
    pub fn may_run_rounds(&self, tree: &OrgTree, units: &[OrgUnitId]) -> bool {
        self.roles
            .iter()
            .any(|a| a.role == Role::CommissionReviewer)
            && units
                .iter()
                .all(|u| self.has_role_over(tree, Role::CommissionReviewer, *u))
    }

    /// 审计日志: the commission and administrators check the log.
    /// Administrators manage accounts: reset passwords, deactivate and reactivate.
    pub fn may_manage_accounts(&self) -> bool {
        self.roles.iter().any(|a| a.role == Role::Admin)
    }

    /// 区纪委设置: the commission sets the notice period, the 回头看 cadence, the holiday
    /// calendar and each round's rating matrix.
    pub fn may_set_district_settings(&self) -> bool {
        self.may_edit_commitment_template()
    }

    /// 群机器人推送: the commission sets the units' group robots and reads what was sent to them
    /// (the record names people).
    pub fn may_set_group_robots(&self) -> bool {
        self.may_set_district_settings()
    }

    /// 组织机构: administrators set up the organisation tree, its posts and the staff roster.
    pub fn may_manage_org(&self) -> bool {
        self.may_manage_accounts()
    }

    /// 组织机构 (read only): the commission reads the whole tree and exports it and the roster;
    /// administrators manage it.
    pub fn may_view_org(&self) -> bool {
        self.roles
            .iter()
            .any(|a| matches!(a.role, Role::CommissionReviewer | Role::Admin))
    }

    /// 风险库: the commission curates the district catalogue of merged risk points.
    pub fn may_curate_catalogue(&self) -> bool {
        self.roles
            .iter()
            .any(|a| a.role == Role::CommissionReviewer)
    }

    pub fn may_check_audit_log(&self) -> bool {
        self.roles
            .iter()
            .any(|a| matches!(a.role, Role::CommissionReviewer | Role::Admin))
    }

    /// 预警: the commission, or a leader in charge, raises a warning about a unit they oversee or
    /// a person in it, never about themselves.
    pub fn may_raise_warning(
        &self,
        tree: &OrgTree,
        subject: Option<UserId>,
        unit: OrgUnitId,
    ) -> bool {
        subject != Some(self.user)
            && [Role::CommissionReviewer, Role::LeaderInCharge]
                .into_iter()
                .any(|role| self.has_role_over(tree, role, unit))
    }

    /// The user may raise warnings somewhere (the commission, a leader in charge).
    pub fn raises_warnings(&self, tree: &OrgTree) -> bool {
        self.roles
            .iter()
            .any(|a| self.may_raise_warning(tree, None, a.scope))
    }

    /// The person warned answers; a warning to a unit is answered by its liaison.
    pub fn may_answer_warning(&self, tree: &OrgTree, warning: &WarningParties) -> bool {
        match warning.subject {
            Some(person) => person == self.user,
            None => self.has_role_over(tree, Role::UnitLiaison, warning.unit),
        }
    }

    /// The issuer accepts or sends back an answer while they still oversee the unit; a warning a
    /// rule raised is decided by the commission over the unit.
    pub fn may_decide_warning(&self, tree: &OrgTree, warning: &WarningParties) -> bool {
        let WarningParties {
            issuer,
            subject,
            unit,
        } = *warning;
        match issuer {
            Some(issuer) => issuer == self.user && self.may_raise_warning(tree, subject, unit),
            None => {
                subject != Some(self.user)
                    && self.has_role_over(tree, Role::CommissionReviewer, unit)
            }
        }
    }

    /// A warning is read by whoever answers or decides it and by those who oversee its unit
    /// (the leader in charge learns of an escalation there).
    pub fn may_read_warning(&self, tree: &OrgTree, warning: &WarningParties) -> bool {
        self.may_answer_warning(tree, warning)
            || self.may_decide_warning(tree, warning)
            || self.may_raise_warning(tree, warning.subject, warning.unit)
    }

    /// The commission runs the warnings' overdue check on demand (it only does now what the
    /// schedule would do).
    pub fn may_run_warning_checks(&self) -> bool {
        self.roles
            .iter()
            .any(|a| a.role == Role::CommissionReviewer)
    }

    /// 廉政教育: the commission, a leader in charge or the unit's liaison records the talks with
    /// the people of `unit` and its collective sessions; never a talk with themselves.
    pub fn may_record_education(
        &self,
        tree: &OrgTree,
        subject: Option<UserId>,
        unit: OrgUnitId,
    ) -> bool {
        subject != Some(self.user)
            && [
                Role::CommissionReviewer,
                Role::LeaderInCharge,
                Role::UnitLiaison,
            ]
            .into_iter()
            .any(|role| self.has_role_over(tree, role, unit))
    }

    /// The user records education somewhere: the education page is theirs.
    pub fn records_education(&self, tree: &OrgTree) -> bool {
        self.roles
            .iter()
            .any(|a| self.may_record_education(tree, None, a.scope))
    }

    /// A person's page (their talks, sessions, warnings and commitments) is read by the person
    /// and by those who oversee their unit's commitments.
    pub fn may_read_person(&self, tree: &OrgTree, person: UserId, unit: OrgUnitId) -> bool {
        person == self.user || self.oversees_commitments(tree, unit)
    }

    /// The units whose sheets this user reads through a role (holders also read their own posts).
    pub fn sheet_scopes(&self) -> impl Iterator<Item = OrgUnitId> + '_ {
        self.roles
            .iter()
            .filter(|a| a.role.reads_sheets_in_scope())
            .map(|a| a.scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> OrgTree {
        // 1 district; 2 transport bureau; 3 a section of it; 4 health bureau.
        OrgTree::new([
            (OrgUnitId(1), None),
            (OrgUnitId(2), Some(OrgUnitId(1))),
            (OrgUnitId(3), Some(OrgUnitId(2))),
            (OrgUnitId(4), Some(OrgUnitId(1))),
        ])
    }

    fn principal(roles: &[(Role, i64)], posts: &[i64]) -> Principal {
        Principal {
            user: UserId(7),
            roles: roles
                .iter()
                .map(|&(role, scope)| RoleAssignment {
                    role,
                    scope: OrgUnitId(scope),
                })
                .collect(),
            held_posts: posts.iter().map(|&p| PostId(p)).collect(),
        }
    }

    #[test]
    fn a_post_holder_reads_the_sheet_of_their_own_post_only() {
        let holder = principal(&[(Role::PostHolder, 2)], &[10]);
        assert!(holder.may_read_sheet(&tree(), PostId(10), OrgUnitId(2)));
        assert!(!holder.may_read_sheet(&tree(), PostId(11), OrgUnitId(2)));
    }

    #[test]
    fn a_section_head_reads_sheets_beneath_their_scope_but_not_another_units() {
        let head = principal(&[(Role::SectionHead, 2)], &[]);
        assert!(head.may_read_sheet(&tree(), PostId(11), OrgUnitId(3)));
        assert!(!head.may_read_sheet(&tree(), PostId(12), OrgUnitId(4)));
    }

    #[test]
    fn a_commission_reviewer_at_the_district_reads_every_unit() {
        let reviewer = principal(&[(Role::CommissionReviewer, 1)], &[]);
        assert!(reviewer.may_read_sheet(&tree(), PostId(12), OrgUnitId(4)));
    }

    #[test]
    fn only_the_units_liaison_answers_objections_and_never_about_their_own_post() {
        let liaison = principal(&[(Role::UnitLiaison, 2)], &[]);
        assert!(liaison.may_answer_objections(&tree(), PostId(10), OrgUnitId(3)));
        assert!(!liaison.may_answer_objections(&tree(), PostId(12), OrgUnitId(4)));
        let own = principal(&[(Role::UnitLiaison, 2)], &[10]);
        assert!(!own.may_answer_objections(&tree(), PostId(10), OrgUnitId(2)));
        let head = principal(&[(Role::SectionHead, 2)], &[]);
        assert!(!head.may_answer_objections(&tree(), PostId(10), OrgUnitId(2)));
        // The commission reads the contacts without answering; the holder never does.
        let commission = principal(&[(Role::CommissionReviewer, 1)], &[]);
        assert!(commission.may_see_objection_contacts(&tree(), PostId(10), OrgUnitId(2)));
        assert!(!commission.may_answer_objections(&tree(), PostId(10), OrgUnitId(2)));
        assert!(!head.may_see_objection_contacts(&tree(), PostId(10), OrgUnitId(2)));
    }

    #[test]
    fn the_commission_or_a_leader_raises_warnings_and_only_the_issuer_decides_them() {
        let me = UserId(7);
        let (someone, other) = (Some(UserId(8)), Some(UserId(9)));
        let commission = principal(&[(Role::CommissionReviewer, 1)], &[]);
        let leader = principal(&[(Role::LeaderInCharge, 2)], &[]);
        let head = principal(&[(Role::SectionHead, 2)], &[]);
        assert!(commission.may_raise_warning(&tree(), someone, OrgUnitId(4)));
        assert!(leader.may_raise_warning(&tree(), someone, OrgUnitId(3)));
        assert!(!leader.may_raise_warning(&tree(), someone, OrgUnitId(4)));
        assert!(!head.may_raise_warning(&tree(), someone, OrgUnitId(3)));
        assert!(!commission.may_raise_warning(&tree(), Some(me), OrgUnitId(2)));
        // Who raises warnings at all, and who runs the overdue check now: the commission only.
        assert!(commission.raises_warnings(&tree()) && leader.raises_warnings(&tree()));
        assert!(!head.raises_warnings(&tree()));
        assert!(commission.may_run_warning_checks());
        assert!(!leader.may_run_warning_checks());
        // The issuer decides, only while overseeing the unit; another reviewer does not.
        assert!(commission.may_decide_warning(
            &tree(),
            &WarningParties {
                issuer: Some(me),
                subject: someone,
                unit: OrgUnitId(2)
            }
        ));
        assert!(!commission.may_decide_warning(
            &tree(),
            &WarningParties {
                issuer: other,
                subject: someone,
                unit: OrgUnitId(2)
            }
        ));
        assert!(!leader.may_decide_warning(
            &tree(),
            &WarningParties {
                issuer: Some(me),
                subject: someone,
                unit: OrgUnitId(4)
            }
        ));
        // A rule's warning is decided by the commission, never by the person it is about.
        assert!(commission.may_decide_warning(
            &tree(),
            &WarningParties {
                issuer: None,
                subject: someone,
                unit: OrgUnitId(2)
            }
        ));
        assert!(!leader.may_decide_warning(
            &tree(),
            &WarningParties {
                issuer: None,
                subject: someone,
                unit: OrgUnitId(2)
            }
        ));
    }

    #[test]
    fn the_person_warned_answers_and_a_units_warning_goes_to_its_liaison() {
        let holder = principal(&[(Role::PostHolder, 2)], &[10]);
        let liaison = principal(&[(Role::UnitLiaison, 2)], &[]);
        assert!(holder.may_answer_warning(
            &tree(),
            &WarningParties {
                issuer: None,
                subject: Some(UserId(7)),
                unit: OrgUnitId(2)
            }
        ));
        assert!(!holder.may_answer_warning(
            &tree(),
            &WarningParties {
                issuer: None,
                subject: Some(UserId(8)),
                unit: OrgUnitId(2)
            }
        ));
        assert!(!holder.may_answer_warning(
            &tree(),
            &WarningParties {
                issuer: None,
                subject: None,
                unit: OrgUnitId(2)
            }
        ));
        assert!(liaison.may_answer_warning(
            &tree(),
            &WarningParties {
                issuer: None,
                subject: None,
                unit: OrgUnitId(3)
            }
        ));
        assert!(!liaison.may_answer_warning(
            &tree(),
            &WarningParties {
                issuer: None,
                subject: None,
                unit: OrgUnitId(4)
            }
        ));
        assert!(!liaison.may_answer_warning(
            &tree(),
            &WarningParties {
                issuer: None,
                subject: Some(UserId(8)),
                unit: OrgUnitId(2)
            }
        ));
        // The leader in charge reads the warnings of their units without answering them.
        let leader = principal(&[(Role::LeaderInCharge, 2)], &[]);
        assert!(leader.may_read_warning(
            &tree(),
            &WarningParties {
                issuer: Some(UserId(1)),
                subject: Some(UserId(8)),
                unit: OrgUnitId(3)
            }
        ));
        assert!(!leader.may_read_warning(
            &tree(),
            &WarningParties {
                issuer: Some(UserId(1)),
                subject: Some(UserId(8)),
                unit: OrgUnitId(4)
            }
        ));
        assert!(!holder.may_read_warning(
            &tree(),
            &WarningParties {
                issuer: Some(UserId(1)),
                subject: Some(UserId(8)),
                unit: OrgUnitId(2)
            }
        ));
    }

    #[test]
    fn a_sheet_waits_for_whoever_acts_at_its_stage_and_the_liaison_for_open_objections() {
        use crate::stage::Stage;
        let head = principal(&[(Role::SectionHead, 2)], &[]);
        assert!(head.awaits(&tree(), PostId(11), OrgUnitId(3), Stage::SectionReview, 0));
        assert!(!head.awaits(
            &tree(),
            PostId(11),
            OrgUnitId(3),
            Stage::LeaderConfirmation,
            0
        ));
        assert!(!head.awaits(&tree(), PostId(12), OrgUnitId(4), Stage::SectionReview, 0));
        let commission = principal(&[(Role::CommissionReviewer, 1)], &[]);
        assert!(commission.awaits(&tree(), PostId(12), OrgUnitId(4), Stage::CommissionAudit, 0));
        assert!(!commission.awaits(&tree(), PostId(12), OrgUnitId(4), Stage::Approved, 0));
        // 公示 waits for its liaison (who closes the notice), and more so with objections.
        let liaison = principal(&[(Role::UnitLiaison, 2)], &[]);
        assert!(liaison.awaits(&tree(), PostId(11), OrgUnitId(3), Stage::PublicNotice, 2));
        assert!(!commission.awaits(&tree(), PostId(11), OrgUnitId(3), Stage::PublicNotice, 2));
    }

    #[test]
    fn only_the_commission_grades_a_post_and_never_one_it_holds() {
        let commission = principal(&[(Role::CommissionReviewer, 1)], &[]);
        assert!(commission.may_grade_post(&tree(), PostId(10), OrgUnitId(2)));
        let holding = principal(&[(Role::CommissionReviewer, 1)], &[10]);
        assert!(!holding.may_grade_post(&tree(), PostId(10), OrgUnitId(2)));
        let liaison = principal(&[(Role::UnitLiaison, 2)], &[]);
        assert!(!liaison.may_grade_post(&tree(), PostId(10), OrgUnitId(2)));
    }

    #[test]
    fn a_units_commitments_are_overseen_by_its_reviewers_and_the_commission_only() {
        for role in COMMITMENT_OVERSEERS {
            assert!(principal(&[(role, 2)], &[]).oversees_commitments(&tree(), OrgUnitId(3)));
            assert!(!principal(&[(role, 2)], &[]).oversees_commitments(&tree(), OrgUnitId(4)));
        }
        assert!(
            !principal(&[(Role::PostHolder, 2)], &[10]).oversees_commitments(&tree(), OrgUnitId(2))
        );
        assert!(!principal(&[(Role::Admin, 1)], &[]).oversees_commitments(&tree(), OrgUnitId(2)));
    }

    #[test]
    fn imports_are_for_the_units_liaison_or_an_administrator() {
        assert!(principal(&[(Role::UnitLiaison, 2)], &[]).may_import(&tree(), OrgUnitId(3)));
        assert!(principal(&[(Role::Admin, 1)], &[]).may_import(&tree(), OrgUnitId(2)));
        assert!(!principal(&[(Role::SectionHead, 2)], &[]).may_import(&tree(), OrgUnitId(2)));
        assert!(!principal(&[(Role::UnitLiaison, 2)], &[]).may_import(&tree(), OrgUnitId(4)));
    }

    #[test]
    fn the_template_is_the_commissions_and_the_audit_log_the_commissions_and_administrators() {
        let commission = principal(&[(Role::CommissionReviewer, 1)], &[]);
        let admin = principal(&[(Role::Admin, 1)], &[]);
        let liaison = principal(&[(Role::UnitLiaison, 2)], &[]);
        assert!(commission.may_edit_commitment_template());
        assert!(!admin.may_edit_commitment_template());
        assert!(commission.may_check_audit_log() && admin.may_check_audit_log());
        assert!(!liaison.may_check_audit_log());
    }

    #[test]
    fn handovers_are_recorded_by_an_administrator_or_the_units_liaison_never_for_their_own_post() {
        let liaison = principal(&[(Role::UnitLiaison, 2)], &[]);
        assert!(liaison.may_manage_holders(&tree(), PostId(10), OrgUnitId(3)));
        assert!(!liaison.may_manage_holders(&tree(), PostId(12), OrgUnitId(4)));
        let own = principal(&[(Role::UnitLiaison, 2)], &[10]);
        assert!(!own.may_manage_holders(&tree(), PostId(10), OrgUnitId(2)));
        let admin = principal(&[(Role::Admin, 1)], &[]);
        assert!(admin.may_manage_holders(&tree(), PostId(12), OrgUnitId(4)));
        assert!(admin.may_see_holders(&tree(), OrgUnitId(4)));
        for role in [
            Role::SectionHead,
            Role::CommissionReviewer,
            Role::PostHolder,
        ] {
            assert!(!principal(&[(role, 1)], &[]).may_manage_holders(
                &tree(),
                PostId(10),
                OrgUnitId(2)
            ));
        }
        assert!(principal(&[(Role::SectionHead, 2)], &[]).may_see_holders(&tree(), OrgUnitId(2)));
        assert!(!principal(&[(Role::PostHolder, 2)], &[10]).may_see_holders(&tree(), OrgUnitId(2)));
    }

    #[test]
    fn rounds_are_run_by_the_commission_over_units_in_its_scope() {
        let commission = principal(&[(Role::CommissionReviewer, 1)], &[]);
        assert!(commission.may_run_rounds(&tree(), &[OrgUnitId(2), OrgUnitId(4)]));
        assert!(commission.may_run_rounds(&tree(), &[]));
        let unit_only = principal(&[(Role::CommissionReviewer, 2)], &[]);
        assert!(!unit_only.may_run_rounds(&tree(), &[OrgUnitId(2), OrgUnitId(4)]));
        for role in [Role::Admin, Role::UnitLiaison, Role::LeaderInCharge] {
            assert!(!principal(&[(role, 1)], &[]).may_run_rounds(&tree(), &[OrgUnitId(2)]));
        }
    }

    #[test]
    fn the_organisation_is_set_up_by_administrators_and_read_by_the_commission() {
        let admin = principal(&[(Role::Admin, 1)], &[]);
        let commission = principal(&[(Role::CommissionReviewer, 1)], &[]);
        assert!(admin.may_manage_org() && admin.may_view_org());
        assert!(!commission.may_manage_org() && commission.may_view_org());
        assert!(commission.may_set_district_settings() && !admin.may_set_district_settings());
        for role in [
            Role::PostHolder,
            Role::SectionHead,
            Role::LeaderInCharge,
            Role::UnitLiaison,
        ] {
            let someone = principal(&[(role, 1)], &[]);
            assert!(!someone.may_manage_org() && !someone.may_view_org());
        }
    }

    #[test]
    fn a_user_with_no_role_and_no_post_reads_nothing() {
        let nobody = principal(&[], &[]);
        assert!(!nobody.may_read_sheet(&tree(), PostId(10), OrgUnitId(2)));
        let admin = principal(&[(Role::Admin, 1)], &[]);
        assert!(!admin.may_read_sheet(&tree(), PostId(10), OrgUnitId(2)));
    }

    #[test]
    fn education_is_recorded_by_those_over_the_unit_and_a_person_read_by_themselves_too() {
        let t = tree();
        let liaison = principal(&[(Role::UnitLiaison, 2)], &[]);
        assert!(liaison.may_record_education(&t, Some(UserId(8)), OrgUnitId(3)));
        assert!(!liaison.may_record_education(&t, Some(UserId(7)), OrgUnitId(3)));
        assert!(!liaison.may_record_education(&t, None, OrgUnitId(4)));
        assert!(liaison.records_education(&t));
        let section = principal(&[(Role::SectionHead, 2)], &[]);
        assert!(!section.records_education(&t));
        assert!(section.may_read_person(&t, UserId(8), OrgUnitId(3)));
        let holder = principal(&[(Role::PostHolder, 3)], &[10]);
        assert!(holder.may_read_person(&t, UserId(7), OrgUnitId(3)));
        assert!(!holder.may_read_person(&t, UserId(8), OrgUnitId(3)));
        let commission = principal(&[(Role::CommissionReviewer, 1)], &[]);
        assert!(commission.may_record_education(&t, None, OrgUnitId(4)));
        assert!(!principal(&[(Role::Admin, 1)], &[]).may_read_person(&t, UserId(8), OrgUnitId(3)));
    }
}
