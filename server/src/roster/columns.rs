//! The columns of the organisation table (组织机构表) and the roster (人员花名册).

use crate::exchange::TableColumn;

/// A column of the organisation table: one unit a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitColumn {
    Parent,
    Name,
    Kind,
    DistrictLeader,
}

impl UnitColumn {
    pub const ALL: [Self; 4] = [Self::Parent, Self::Name, Self::Kind, Self::DistrictLeader];
}

impl TableColumn for UnitColumn {
    fn all() -> &'static [Self] {
        &Self::ALL
    }

    fn key(self) -> &'static str {
        match self {
            Self::Parent => "parent",
            Self::Name => "name",
            Self::Kind => "kind",
            Self::DistrictLeader => "district_leader",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::Parent => "上级单位",
            Self::Name => "单位名称",
            Self::Kind => "类型",
            Self::DistrictLeader => "分管区领导",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Parent => &["上级", "所属单位", "上级部门"],
            Self::Name => &["名称", "单位", "科室名称", "部门名称"],
            Self::Kind => &["单位类型", "机构类型"],
            Self::DistrictLeader => &["分管领导", "分管区级领导"],
        }
    }

    fn required(self) -> bool {
        matches!(self, Self::Parent | Self::Name)
    }
}

/// A column of the roster: one person and post a row (a person holding two posts has two rows;
/// a post nobody holds has a row without a person).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffColumn {
    Name,
    Username,
    Unit,
    Post,
    PostLevel,
    StartedOn,
    Roles,
}

impl StaffColumn {
    pub const ALL: [Self; 7] = [
        Self::Name,
        Self::Username,
        Self::Unit,
        Self::Post,
        Self::PostLevel,
        Self::StartedOn,
        Self::Roles,
    ];
}

impl TableColumn for StaffColumn {
    fn all() -> &'static [Self] {
        &Self::ALL
    }

    fn key(self) -> &'static str {
        match self {
            Self::Name => "display_name",
            Self::Username => "username",
            Self::Unit => "unit",
            Self::Post => "post",
            Self::PostLevel => "post_level",
            Self::StartedOn => "started_on",
            Self::Roles => "roles",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::Name => "姓名",
            Self::Username => "用户名",
            Self::Unit => "所在单位",
            Self::Post => "岗位",
            Self::PostLevel => "岗位类别",
            Self::StartedOn => "任职日期",
            Self::Roles => "角色",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Name => &["人员姓名"],
            Self::Username => &["账号", "登录名"],
            Self::Unit => &["单位", "所在部门", "单位名称"],
            Self::Post => &["岗位名称", "职务"],
            Self::PostLevel => &["岗位层级", "岗位级别"],
            Self::StartedOn => &["到岗日期", "任职时间"],
            Self::Roles => &["系统角色"],
        }
    }

    fn required(self) -> bool {
        matches!(self, Self::Name | Self::Username | Self::Unit)
    }
}

/// Column widths of the exports, in characters.
pub const UNIT_WIDTHS: [f64; 4] = [28.0, 24.0, 8.0, 18.0];
pub const STAFF_WIDTHS: [f64; 7] = [10.0, 16.0, 28.0, 20.0, 10.0, 12.0, 40.0];
