//! After the notice: early warnings (预警) with their handling ladder, as their pages read them.
//! The ladder's rules are `domain::warning`, who may do what `domain::access`.

use domain::warning::{Handling, Level, Source, Status};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::backend;
use super::UnitOption;
use crate::error::ApiError;

/// The warnings page: the warnings this user may read, and what they may raise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningsView {
    /// Today in China, `YYYY-MM-DD`.
    pub today: String,
    pub warnings: Vec<WarningSummary>,
    /// Present when the user may raise warnings (the commission, a leader in charge).
    pub raise: Option<RaiseOptions>,
    /// The user may run the overdue check now (the commission).
    pub runs_checks: bool,
}

/// A warning in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningSummary {
    pub id: i64,
    /// 廉预〔2026〕3号
    pub number: String,
    pub level: Level,
    pub status: Status,
    pub handling: Handling,
    /// The person warned, or the unit when it is addressed to the unit.
    pub addressee: String,
    pub unit: String,
    pub due: String,
    /// 逾期: an answer is owed and its day has passed.
    pub overdue: bool,
    /// This user answers it now.
    pub to_answer: bool,
    /// This user accepts or sends back its answer now.
    pub to_decide: bool,
}

/// What a warning may be raised about, for the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaiseOptions {
    /// The units this user oversees, parents before children.
    pub units: Vec<UnitOption>,
    /// The people of those units (not the user), by unit.
    pub people: Vec<PersonOption>,
}

/// A person a warning may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonOption {
    pub username: String,
    pub name: String,
    pub unit_id: i64,
}

/// One warning in full: its page and its printed notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningView {
    pub id: i64,
    pub number: String,
    pub level: Level,
    pub raised_level: Level,
    pub handling: Handling,
    pub source: Source,
    /// The rule that raised it, for a warning of [`Source::Rule`].
    pub rule: Option<domain::warning::rules::RuleKind>,
    pub source_ref: Option<String>,
    pub reason: String,
    pub unit: String,
    /// The person warned; none when it is addressed to the unit.
    pub subject: Option<String>,
    /// Who raised it.
    pub issuer: Option<String>,
    pub status: Status,
    pub due: String,
    pub overdue: bool,
    /// `YYYY-MM-DD`, China time.
    pub raised_on: String,
    pub closed_on: Option<String>,
    /// Send-backs since the warning last went up a level (the second one escalates).
    pub send_backs: u8,
    /// The latest answer.
    pub answer: Option<AnswerView>,
    pub events: Vec<WarningEventView>,
    pub may_answer: bool,
    pub may_decide: bool,
    /// The signed tree head the notice is printed under.
    pub head: Option<super::PrintedHead>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerView {
    pub analysis: String,
    pub measures: String,
    pub answered_on: String,
}

/// What happened to a warning, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningEventView {
    /// 发出预警, 提交答复, 审核通过, 退回重订, 升级
    pub what: String,
    /// Who did it; none for the schedule.
    pub by: Option<String>,
    /// `YYYY-MM-DD HH:MM`, China time.
    pub at: String,
    /// The level after it.
    pub level: Level,
    pub note: Option<String>,
    pub measures: Option<String>,
}

/// The warnings this user may read.
#[server(prefix = "/api/fn", endpoint = "warnings")]
pub async fn load_warnings() -> Result<WarningsView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.warnings(&user).await
}

/// One warning, for a user who may read it.
#[server(prefix = "/api/fn", endpoint = "warning")]
pub async fn load_warning(id: i64) -> Result<WarningView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.warning(&user, id, &backend::origin()).await
}

/// 通知: what arrived for the signed-in user, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub unread: usize,
    pub items: Vec<NotificationView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i64,
    /// 预警, 答复被退回, 预警升级, 承诺书签署提醒, …
    pub what: String,
    pub text: String,
    /// The page it is about.
    pub link: String,
    /// `YYYY-MM-DD HH:MM`, China time.
    pub at: String,
    pub read: bool,
}

/// The signed-in user's notifications.
#[server(prefix = "/api/fn", endpoint = "notifications")]
pub async fn load_notifications() -> Result<NotificationsView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.notifications(&user).await
}

/// 措施落实检验: the measures of approved sheets in the units a section head checks, those
/// reported finished (to check) and those unfinished with a due day (overdue ones first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasuresView {
    /// Today in China, `YYYY-MM-DD`.
    pub today: String,
    /// Reported finished, waiting for this user's check.
    pub to_check: Vec<MeasureView>,
    /// Not finished, with a due day: overdue first, then by due day.
    pub unfinished: Vec<MeasureView>,
}

/// A measure in force as the section head reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureView {
    pub risk_point_id: String,
    pub position: i64,
    pub post_id: i64,
    pub post_title: String,
    pub unit: String,
    /// The risk point's description.
    pub point: String,
    pub kind: domain::risk::MeasureKind,
    pub text: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub status: domain::risk::MeasureStatus,
    pub done_on: Option<String>,
    pub standing: domain::risk::progress::Standing,
    /// 逾期: its due day has passed and it is not finished.
    pub overdue: bool,
    /// The latest note: the holder's progress note, or why it was sent back.
    pub note: Option<String>,
    /// When that note was written, `YYYY-MM-DD HH:MM` China time.
    pub noted_at: Option<String>,
}

/// The measures the signed-in section head checks.
#[server(prefix = "/api/fn", endpoint = "measures")]
pub async fn load_measures() -> Result<MeasuresView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.measures(&user).await
}
