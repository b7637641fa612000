//! The stages a risk sheet passes through (DESIGN §4). Only names here; the transition rules come
//! with the approval chain.

use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stage {
    /// 自查
    SelfCheck,
    /// 互评
    PeerReview,
    /// 科室把关
    SectionReview,
    /// 分管领导确定
    LeaderConfirmation,
    /// 集体审定
    CollectiveReview,
    /// 公示
    PublicNotice,
    /// 区纪委审核
    CommissionAudit,
    /// 审核通过
    Approved,
}

impl Stage {
    pub const ALL: [Self; 8] = [
        Self::SelfCheck,
        Self::PeerReview,
        Self::SectionReview,
        Self::LeaderConfirmation,
        Self::CollectiveReview,
        Self::PublicNotice,
        Self::CommissionAudit,
        Self::Approved,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::SelfCheck => "self_check",
            Self::PeerReview => "peer_review",
            Self::SectionReview => "section_review",
            Self::LeaderConfirmation => "leader_confirmation",
            Self::CollectiveReview => "collective_review",
            Self::PublicNotice => "public_notice",
            Self::CommissionAudit => "commission_audit",
            Self::Approved => "approved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SelfCheck => "自查",
            Self::PeerReview => "互评",
            Self::SectionReview => "科室把关",
            Self::LeaderConfirmation => "分管领导确定",
            Self::CollectiveReview => "集体审定",
            Self::PublicNotice => "公示",
            Self::CommissionAudit => "区纪委审核",
            Self::Approved => "审核通过",
        }
    }

    pub fn from_code(code: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| {
                FieldError::new("unknown_value", "stage", format!("未知的审核环节“{code}”"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_round_trips_through_its_code() {
        for stage in Stage::ALL {
            assert_eq!(Stage::from_code(stage.code()).unwrap(), stage);
        }
        assert!(Stage::from_code("done").is_err());
    }
}
