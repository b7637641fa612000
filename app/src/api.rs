//! Wire types and server functions. A server function is a public endpoint: each one
//! authenticates and authorises in its own body.

use domain::{
    post::PostLevel,
    risk::{MeasureKind, MeasureStatus, RiskCategory, RiskLevel},
    stage::Stage,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The signed-in user, as the server's session middleware puts it into the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

/// What the home page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeView {
    pub user: UserCard,
    /// The sheets of the posts this user holds, in full.
    pub my_sheets: Vec<SheetView>,
    /// Sheets this user may read through a reviewing role, in brief.
    pub in_scope: Vec<SheetSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCard {
    pub display_name: String,
    pub username: String,
    pub unit: String,
    /// Role labels with their scope, e.g. "科室负责人（区交通局）".
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetSummary {
    pub post_id: i64,
    pub unit: String,
    pub post_title: String,
    pub post_level: PostLevel,
    pub stage: Stage,
    pub risk_count: i64,
    pub high_count: i64,
}

/// One post's risk sheet in the current round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetView {
    pub post_id: i64,
    pub post_title: String,
    pub post_level: PostLevel,
    pub key_post: bool,
    pub unit: String,
    pub round: String,
    pub stage: Stage,
    pub duties: Vec<String>,
    pub risk_points: Vec<RiskPointView>,
    /// Every stage change of this sheet, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// One stage change of a sheet (审核记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// `YYYY-MM-DD HH:MM`, China time.
    pub at: String,
    pub by: String,
    pub from: Stage,
    pub to: Stage,
    /// 提交审核, 结束互评, 审核通过, 退回.
    pub action: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskPointView {
    pub id: String,
    pub duty: Option<String>,
    pub description: String,
    pub manifestation: Option<String>,
    pub category: RiskCategory,
    pub power_type: String,
    pub likelihood: u8,
    pub impact: u8,
    pub frequency: u8,
    pub level: RiskLevel,
    pub measures: Vec<MeasureView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureView {
    pub kind: MeasureKind,
    pub text: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub status: MeasureStatus,
}

/// The signed-in user's home: their posts' sheets, and what their roles let them read.
#[server(prefix = "/api/fn", endpoint = "home")]
pub async fn load_home() -> Result<HomeView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.home(&user).await
}

/// One post's sheet, if this user may read it.
#[server(prefix = "/api/fn", endpoint = "sheet")]
pub async fn load_sheet(post_id: i64) -> Result<SheetView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.sheet(&user, post_id).await
}

/// The server side of the server functions: the `server` crate implements [`Backend`] and
/// provides it as context, so that only it talks to the database.
#[cfg(feature = "ssr")]
pub mod backend {
    use std::sync::Arc;

    use super::*;

    #[async_trait::async_trait]
    pub trait Backend: Send + Sync + 'static {
        async fn home(&self, user: &SessionUser) -> Result<HomeView, ApiError>;
        async fn sheet(&self, user: &SessionUser, post_id: i64) -> Result<SheetView, ApiError>;
    }

    /// The backend as it travels in context.
    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);

    /// The CSP nonce the server chose for this response, as a request extension.
    #[derive(Debug, Clone)]
    pub struct CspNonce(pub String);

    pub fn get() -> Result<Arc<dyn Backend>, ApiError> {
        use_context::<BackendHandle>()
            .map(|h| h.0)
            .ok_or_else(ApiError::internal)
    }

    /// The signed-in user, or `unauthenticated`.
    pub fn require_user() -> Result<SessionUser, ApiError> {
        current_user().ok_or_else(ApiError::unauthenticated)
    }

    /// The signed-in user, if any, from the request being served.
    pub fn current_user() -> Option<SessionUser> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<SessionUser>().cloned())
    }
}
