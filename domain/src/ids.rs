//! Typed identifiers, so a post id can never be passed where a user id is meant.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

int_id!(
    /// An organisational unit: the district, a unit, a section, a village or community.
    OrgUnitId
);
int_id!(
    /// A post (岗位).
    PostId
);
int_id!(
    /// A user account.
    UserId
);
int_id!(
    /// A round of risk identification (排查批次).
    RoundId
);
int_id!(
    /// One post's risk sheet in one round (排查表).
    SheetId
);

/// A risk point. Uuid rather than a sequence, because offline clients create risk points before
/// the server has seen them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RiskPointId(pub Uuid);

impl RiskPointId {
    /// A stable id derived from a natural key: importing or seeding the same row twice yields the
    /// same id, which makes those operations idempotent.
    pub fn from_natural_key(key: &str) -> Self {
        Self(Uuid::new_v5(&NAMESPACE, key.as_bytes()))
    }
}

impl std::fmt::Display for RiskPointId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Namespace for Lianfang's name-based (v5) uuids.
const NAMESPACE: Uuid = Uuid::from_u128(0x6c69_616e_6661_6e67_8000_0000_0000_0001);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_key_ids_are_stable_and_distinct() {
        let a = RiskPointId::from_natural_key("区交通局/局长/1");
        assert_eq!(a, RiskPointId::from_natural_key("区交通局/局长/1"));
        assert_ne!(a, RiskPointId::from_natural_key("区交通局/局长/2"));
    }
}
