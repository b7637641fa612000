//! Where a risk comes from and the power it attaches to: the risk category (风险类别) and the
//! power type (权力类型) with the kind it falls under.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// 风险类别 — where a risk comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RiskCategory {
    /// 思想道德
    Ethics,
    /// 岗位职责
    Duty,
    /// 业务流程
    Process,
    /// 制度机制
    Institutional,
    /// 外部环境
    External,
}

impl RiskCategory {
    pub const ALL: [Self; 5] = [
        Self::Ethics,
        Self::Duty,
        Self::Process,
        Self::Institutional,
        Self::External,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Ethics => "ethics",
            Self::Duty => "duty",
            Self::Process => "process",
            Self::Institutional => "institutional",
            Self::External => "external",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ethics => "思想道德",
            Self::Duty => "岗位职责",
            Self::Process => "业务流程",
            Self::Institutional => "制度机制",
            Self::External => "外部环境",
        }
    }

    /// Accepts the code, the label, or the label with the suffix 风险 as in `制度机制风险`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let bare = raw.strip_suffix("风险").unwrap_or(raw);
        Self::ALL
            .into_iter()
            .find(|c| c.code() == raw || c.label() == bare)
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "category",
                    format!("风险类别“{raw}”无效，应为 思想道德、岗位职责、业务流程、制度机制 或 外部环境"),
                )
            })
    }
}

/// 权力类型 — the kind of power a risk attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PowerKind {
    Decision,
    Approval,
    Licensing,
    Penalty,
    Confirmation,
    Discretion,
    OnTheSpot,
    Personnel,
    Finance,
    Procurement,
    FundAllocation,
    ProjectManagement,
    Inspection,
    AssetManagement,
    InternalManagement,
    Other,
}

impl PowerKind {
    pub const ALL: [Self; 16] = [
        Self::Decision,
        Self::Approval,
        Self::Licensing,
        Self::Penalty,
        Self::Confirmation,
        Self::Discretion,
        Self::OnTheSpot,
        Self::Personnel,
        Self::Finance,
        Self::Procurement,
        Self::FundAllocation,
        Self::ProjectManagement,
        Self::Inspection,
        Self::AssetManagement,
        Self::InternalManagement,
        Self::Other,
    ];

    /// The kind whose label is `label` exactly.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.label() == label)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Decision => "决策",
            Self::Approval => "行政审批",
            Self::Licensing => "行政许可",
            Self::Penalty => "行政处罚",
            Self::Confirmation => "行政确认",
            Self::Discretion => "自由裁量",
            Self::OnTheSpot => "现场即决",
            Self::Personnel => "人事",
            Self::Finance => "财务",
            Self::Procurement => "物资采购",
            Self::FundAllocation => "资金分配",
            Self::ProjectManagement => "项目管理",
            Self::Inspection => "监督检查",
            Self::AssetManagement => "资产管理",
            Self::InternalManagement => "内部管理",
            Self::Other => "其他",
        }
    }
}

/// A power type as written by the unit (`行政处罚权（现场即决）`), with the kind it falls under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PowerType {
    kind: PowerKind,
    label: String,
}

impl PowerType {
    pub const MAX_CHARS: usize = 40;

    /// The kind is the known power whose name starts the label, once a trailing 权 and any
    /// bracketed qualifier are set aside: `行政确认和审核权（自由裁量）` is a 行政确认 power.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let label = crate::text::check_length(raw, "power_type", "权力类型", 1, Self::MAX_CHARS)?;
        let base = label
            .split(['（', '('])
            .next()
            .unwrap_or(&label)
            .trim()
            .trim_end_matches('权');
        let kind = PowerKind::ALL
            .into_iter()
            .find(|k| base.starts_with(k.label()))
            .unwrap_or(PowerKind::Other);
        Ok(Self { kind, label })
    }

    pub fn kind(&self) -> PowerKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.label
    }
}

impl TryFrom<String> for PowerType {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, FieldError> {
        Self::parse(&raw)
    }
}

impl From<PowerType> for String {
    fn from(value: PowerType) -> String {
        value.label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_parse_with_or_without_the_risk_suffix() {
        assert_eq!(
            RiskCategory::parse("制度机制风险").unwrap(),
            RiskCategory::Institutional
        );
        assert_eq!(
            RiskCategory::parse("思想道德").unwrap(),
            RiskCategory::Ethics
        );
        assert_eq!(RiskCategory::parse("钱财").unwrap_err().field, "category");
    }

    #[test]
    fn power_types_keep_their_label_and_find_their_kind() {
        let p = PowerType::parse("行政处罚权（现场即决）").unwrap();
        assert_eq!(p.kind(), PowerKind::Penalty);
        assert_eq!(p.as_str(), "行政处罚权（现场即决）");
        assert_eq!(
            PowerType::parse("行政确认和审核权（自由裁量）")
                .unwrap()
                .kind(),
            PowerKind::Confirmation
        );
        assert_eq!(
            PowerType::parse("决策权").unwrap().kind(),
            PowerKind::Decision
        );
        assert_eq!(
            PowerType::parse("招商引资权").unwrap().kind(),
            PowerKind::Other
        );
        assert!(PowerType::parse(" ").is_err());
    }
}
