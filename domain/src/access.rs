//! Who may read what. Deny by default: access is granted only by a rule below.

use crate::{
    account::RoleAssignment,
    ids::{OrgUnitId, PostId, UserId},
    org::OrgTree,
};

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
    use crate::account::Role;

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
    fn a_user_with_no_role_and_no_post_reads_nothing() {
        let nobody = principal(&[], &[]);
        assert!(!nobody.may_read_sheet(&tree(), PostId(10), OrgUnitId(2)));
        let admin = principal(&[(Role::Admin, 1)], &[]);
        assert!(!admin.may_read_sheet(&tree(), PostId(10), OrgUnitId(2)));
    }
}
