//! Accounts and roles. A role is always scoped to an organisational unit and reaches the units
//! beneath it.

use serde::{Deserialize, Serialize};

use crate::{ids::OrgUnitId, FieldError};

/// A login name: 3–32 characters of lower-case ASCII letters, digits, `.`, `_` and `-`, so it
/// types the same on every keyboard and never collides by case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_ascii_lowercase();
        let len = value.chars().count();
        if len == 0 {
            return Err(FieldError::new("required", "username", "用户名不能为空"));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(FieldError::new(
                "invalid_character",
                "username",
                "用户名只能包含英文字母、数字、点（.）、下划线（_）和连字符（-）",
            ));
        }
        if !(3..=32).contains(&len) {
            return Err(FieldError::new(
                "invalid_length",
                "username",
                format!("用户名须为 3 到 32 个字符（现为 {len} 个）"),
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Username {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, FieldError> {
        Self::parse(&raw)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> String {
        value.0
    }
}

/// A new password that meets the policy. Deliberately neither `Serialize` nor `Display`, so it
/// cannot end up in a log line or a response by accident.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    /// At least ten characters, with at least one letter and one digit.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if len < Self::MIN_CHARS {
            return Err(FieldError::new(
                "too_short",
                "password",
                format!("密码至少需要 {} 个字符", Self::MIN_CHARS),
            ));
        }
        if len > Self::MAX_CHARS {
            return Err(FieldError::new(
                "too_long",
                "password",
                format!("密码不能超过 {} 个字符", Self::MAX_CHARS),
            ));
        }
        if !raw.chars().any(|c| c.is_alphabetic()) || !raw.chars().any(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "too_weak",
                "password",
                "密码须同时包含字母和数字",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A device in words, from its browser's `User-Agent`: enough to tell a phone from a computer.
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.trim().is_empty()) else {
        return "未知设备".to_owned();
    };
    let system = [
        ("HarmonyOS", "鸿蒙"),
        ("Android", "安卓手机"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows 电脑"),
        ("Mac OS X", "Mac 电脑"),
        ("Linux", "Linux 电脑"),
    ]
    .iter()
    .find(|(key, _)| ua.contains(key))
    .map_or("其他设备", |(_, name)| name);
    let browser = [
        ("MicroMessenger", "微信"),
        ("DingTalk", "钉钉"),
        ("Edg/", "Edge"),
        ("Chrome/", "Chrome"),
        ("Firefox/", "Firefox"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(key, _)| ua.contains(key))
    .map_or("浏览器", |(_, name)| name);
    format!("{system} · {browser}")
}

/// Whether an account may be deactivated: never one's own (nobody could undo it from that
/// session), never the last active administrator (nobody could manage accounts any more).
pub fn check_deactivation(
    actor: Option<i64>,
    target: i64,
    target_is_admin: bool,
    active_admins: usize,
) -> Result<(), FieldError> {
    if actor == Some(target) {
        return Err(FieldError::new(
            "own_account",
            "user",
            "不能停用自己的账号，请由其他管理员操作",
        ));
    }
    if target_is_admin && active_admins <= 1 {
        return Err(FieldError::new(
            "last_admin",
            "user",
            "这是唯一在用的系统管理员账号，停用后将无人能管理账号；请先为他人授予管理员角色",
        ));
    }
    Ok(())
}

/// Whether an account's administrator role may be taken away: never one's own (the same reason
/// as for deactivation), never the last active administrator's.
pub fn check_admin_removal(
    actor: Option<i64>,
    target: i64,
    active_admins: usize,
) -> Result<(), FieldError> {
    if actor == Some(target) {
        return Err(FieldError::new(
            "own_account",
            "roles",
            "不能取消自己的系统管理员角色，请由其他管理员操作",
        ));
    }
    if active_admins <= 1 {
        return Err(FieldError::new(
            "last_admin",
            "roles",
            "这是唯一在用的系统管理员，取消其管理员角色后将无人能管理账号；请先为他人授予管理员角色",
        ));
    }
    Ok(())
}

/// What a user may do, within the scope of an organisational unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// 岗位人员 — fills in the self-check of the posts they hold.
    PostHolder,
    /// 科室负责人 — reviews the section's sheets.
    SectionHead,
    /// 分管领导 — confirms the sheets of the units they are in charge of.
    LeaderInCharge,
    /// 单位纪检联络员 — runs the collective review and the public notice.
    UnitLiaison,
    /// 区纪委审核人员 — audits every unit in scope.
    CommissionReviewer,
    /// 系统管理员 — manages accounts; reads no sheets by virtue of this role.
    Admin,
}

impl Role {
    pub const ALL: [Self; 6] = [
        Self::PostHolder,
        Self::SectionHead,
        Self::LeaderInCharge,
        Self::UnitLiaison,
        Self::CommissionReviewer,
        Self::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PostHolder => "post_holder",
            Self::SectionHead => "section_head",
            Self::LeaderInCharge => "leader_in_charge",
            Self::UnitLiaison => "unit_liaison",
            Self::CommissionReviewer => "commission_reviewer",
            Self::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PostHolder => "岗位人员",
            Self::SectionHead => "科室负责人",
            Self::LeaderInCharge => "分管领导",
            Self::UnitLiaison => "单位纪检联络员",
            Self::CommissionReviewer => "区纪委审核人员",
            Self::Admin => "系统管理员",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        // Shorter names rosters use for the same roles.
        let alias = match raw {
            "纪检联络员" | "联络员" => Some(Self::UnitLiaison),
            "区纪委" | "审核人员" | "纪委审核人员" => Some(Self::CommissionReviewer),
            "管理员" => Some(Self::Admin),
            "科长" | "科室负责人员" => Some(Self::SectionHead),
            _ => None,
        };
        if let Some(role) = alias {
            return Ok(role);
        }
        Self::ALL
            .into_iter()
            .find(|r| r.code() == raw || r.label() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "role",
                    format!(
                        "角色“{raw}”无效，应为 {}",
                        Self::ALL.map(Self::code).join("、")
                    ),
                )
            })
    }

    /// Whether this role, by itself, lets its holder read the risk sheets of the units in its
    /// scope. A post holder reads only the posts they hold; an admin manages accounts only.
    pub fn reads_sheets_in_scope(self) -> bool {
        matches!(
            self,
            Self::SectionHead | Self::LeaderInCharge | Self::UnitLiaison | Self::CommissionReviewer
        )
    }
}

/// A role held within a unit and everything beneath it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub role: Role,
    pub scope: OrgUnitId,
}

#[cfg(test)]
mod deactivation_tests {
    use super::*;

    #[test]
    fn a_device_is_named_by_its_system_and_browser() {
        let phone = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36 MicroMessenger/8.0";
        assert_eq!(describe_device(Some(phone)), "安卓手机 · 微信");
        assert_eq!(describe_device(None), "未知设备");
        assert_eq!(
            describe_device(Some(
                "Mozilla/5.0 (Windows NT 10.0) Chrome/120 Safari/537.36"
            )),
            "Windows 电脑 · Chrome"
        );
    }

    #[test]
    fn nobody_deactivates_themselves_or_the_last_administrator() {
        assert_eq!(
            check_deactivation(Some(1), 1, false, 3).unwrap_err().code,
            "own_account"
        );
        assert_eq!(
            check_deactivation(Some(1), 2, true, 1).unwrap_err().code,
            "last_admin"
        );
        assert!(check_deactivation(Some(1), 2, true, 2).is_ok());
        assert!(check_deactivation(None, 2, false, 1).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_takes_away_their_own_or_the_last_administrators_role() {
        assert_eq!(
            check_admin_removal(Some(1), 1, 3).unwrap_err().code,
            "own_account"
        );
        assert_eq!(
            check_admin_removal(Some(1), 2, 1).unwrap_err().code,
            "last_admin"
        );
        assert!(check_admin_removal(Some(1), 2, 2).is_ok());
        assert!(check_admin_removal(None, 2, 2).is_ok());
    }

    #[test]
    fn usernames_are_lower_cased_and_limited_to_safe_characters() {
        assert_eq!(Username::parse(" ZhangSan ").unwrap().as_str(), "zhangsan");
        assert_eq!(
            Username::parse("张三").unwrap_err().code,
            "invalid_character"
        );
        assert_eq!(Username::parse("ab").unwrap_err().code, "invalid_length");
        assert_eq!(Username::parse("").unwrap_err().code, "required");
    }

    #[test]
    fn a_new_password_needs_ten_characters_with_letters_and_digits() {
        assert!(NewPassword::parse("lianfang2026").is_ok());
        assert_eq!(NewPassword::parse("short1").unwrap_err().code, "too_short");
        assert_eq!(
            NewPassword::parse("onlyletters").unwrap_err().code,
            "too_weak"
        );
        assert_eq!(
            format!("{:?}", NewPassword::parse("lianfang2026").unwrap()),
            "NewPassword(***)"
        );
    }

    #[test]
    fn roles_parse_from_codes_and_chinese_labels() {
        assert_eq!(Role::parse("section_head").unwrap(), Role::SectionHead);
        assert_eq!(
            Role::parse("区纪委审核人员").unwrap(),
            Role::CommissionReviewer
        );
        assert_eq!(Role::parse("boss").unwrap_err().field, "role");
    }

    #[test]
    fn an_admin_role_does_not_by_itself_read_sheets() {
        assert!(!Role::Admin.reads_sheets_in_scope());
        assert!(!Role::PostHolder.reads_sheets_in_scope());
        assert!(Role::CommissionReviewer.reads_sheets_in_scope());
    }
}
