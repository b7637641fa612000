//! Running the district: the organisation tree with its posts and people (组织机构), the roster
//! import's report, and the settings the commission owns (公示期, 回头看周期, 节假日).

use domain::{
    account::Role,
    org::OrgUnitKind,
    settings::{Cadence, CalendarDay},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::backend;
use super::{OmittedRefusalsView, RejectedRowView};
use crate::error::ApiError;

/// The organisation tree, in order (parents before children), for the administrator and the
/// commission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgView {
    pub units: Vec<OrgUnitView>,
    /// The signed-in user sets up the organisation (an administrator); otherwise read only.
    pub may_manage: bool,
}

/// One unit of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnitView {
    pub id: i64,
    pub parent: Option<i64>,
    /// 0 for the district.
    pub depth: usize,
    pub kind: OrgUnitKind,
    pub name: String,
    /// 分管区领导.
    pub district_leader: Option<String>,
    /// Posts directly in this unit.
    pub posts: i64,
    /// Active people whose unit this is.
    pub people: i64,
}

impl OrgView {
    /// The units a unit of `kind` may be placed under, in tree order.
    pub fn parents_for(&self, kind: OrgUnitKind) -> impl Iterator<Item = &OrgUnitView> {
        self.units
            .iter()
            .filter(move |u| kind.check_placement(Some(u.kind)).is_ok())
    }

    /// A unit's name with its place: `清河街道办事处 / 东村`.
    pub fn path(&self, id: i64) -> String {
        let mut names = Vec::new();
        let mut current = Some(id);
        while let Some(unit) = current.and_then(|id| self.units.iter().find(|u| u.id == id)) {
            if unit.depth == 0 {
                break;
            }
            names.push(unit.name.as_str());
            current = unit.parent;
        }
        names.reverse();
        names.join(" / ")
    }
}

/// The organisation tree.
#[server(prefix = "/api/fn", endpoint = "org")]
pub async fn load_org() -> Result<OrgView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.org(&user).await
}

/// A role with the unit it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    pub scope_id: i64,
}

/// Which table of the organisation an import or export is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgTable {
    /// 组织机构表: units with their parent, kind and 分管区领导.
    Units,
    /// 人员花名册: people with their unit, post, roles.
    Staff,
}

impl OrgTable {
    pub const ALL: [Self; 2] = [Self::Units, Self::Staff];

    pub fn code(self) -> &'static str {
        match self {
            Self::Units => "units",
            Self::Staff => "staff",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Units => "组织机构表",
            Self::Staff => "人员花名册",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// A new account made by an import, with its temporary password: shown once, to the
/// administrator who imported it, to hand over; it must be changed at the first sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccountSlip {
    pub username: String,
    pub display_name: String,
    pub unit: String,
    pub temporary_password: String,
}

/// What an import of the organisation or the roster created, or would create.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterCounts {
    pub new_units: usize,
    /// Units whose 分管区领导 the file changed.
    pub updated_units: usize,
    pub new_posts: usize,
    pub new_accounts: usize,
    pub new_roles: usize,
    pub new_holdings: usize,
    /// Accepted rows that change nothing: already as the file says.
    pub unchanged_rows: usize,
}

impl std::ops::AddAssign for RosterCounts {
    fn add_assign(&mut self, other: Self) {
        self.new_units += other.new_units;
        self.updated_units += other.updated_units;
        self.new_posts += other.new_posts;
        self.new_accounts += other.new_accounts;
        self.new_roles += other.new_roles;
        self.new_holdings += other.new_holdings;
        self.unchanged_rows += other.unchanged_rows;
    }
}

/// The answer to an import of the organisation or the roster, the same for a dry run and for
/// applying a slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterReportView {
    pub table: OrgTable,
    pub dry_run: bool,
    pub total_rows: usize,
    pub accepted_rows: usize,
    pub rejected_rows: usize,
    pub rejected: Vec<RejectedRowView>,
    /// Per rule, problems counted but not listed.
    #[serde(default)]
    pub rejected_omitted: Vec<OmittedRefusalsView>,
    pub offset: usize,
    pub applied_rows: usize,
    pub next_offset: Option<usize>,
    /// What the rows covered created (or, in a dry run, would create).
    #[serde(flatten)]
    pub counts: RosterCounts,
    /// The accounts this slice created (empty in a dry run).
    #[serde(default)]
    pub accounts: Vec<NewAccountSlip>,
}

/// The settings the commission owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// 公示期, in working days.
    pub notice_days: u32,
    pub cadence: Cadence,
    /// 廉政谈话频次: talks a year by grade.
    pub talk_quota: domain::education::TalkQuota,
    /// The holiday calendar, in date order.
    pub calendar: Vec<CalendarDay>,
    /// 预警规则, one per kind in `RuleKind::ALL`'s order.
    pub rules: Vec<domain::warning::rules::Rule>,
    /// The signed-in user may change them (the commission).
    pub may_edit: bool,
    pub today: String,
    /// 群机器人推送, for the commission only (the record names people).
    pub robots: Option<RobotsView>,
}

/// The units' group robots and the latest of what was handed to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotsView {
    /// Every unit, parents first, with its depth for indenting: where a robot may be set.
    pub units: Vec<super::UnitOption>,
    pub robots: Vec<RobotView>,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotView {
    pub unit_id: i64,
    pub unit: String,
    pub kind: domain::webhook::RobotKind,
    /// The address masked: its host and last four characters.
    pub address: String,
    pub set_at: String,
}

/// 推送记录: one message handed to a robot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub unit: String,
    pub text: String,
    pub status: domain::webhook::DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub at: String,
}

/// The settings.
#[server(prefix = "/api/fn", endpoint = "settings")]
pub async fn load_settings() -> Result<SettingsView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.settings(&user).await
}
