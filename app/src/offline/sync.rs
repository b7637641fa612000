//! One sync round trip: the push and pull request, and why one failed.

use super::*;

/// Why a sync failed, in words for the user.
pub(super) struct SyncFailure {
    pub(super) message: String,
    pub(super) sign_in_needed: bool,
    /// The server asked to wait this long before the next try (429 `Retry-After`).
    pub(super) retry_after_secs: Option<u64>,
}

impl From<String> for SyncFailure {
    fn from(message: String) -> Self {
        Self {
            message,
            sign_in_needed: false,
            retry_after_secs: None,
        }
    }
}

pub(super) async fn post_sync(request: &SyncRequest) -> Result<SyncResponse, SyncFailure> {
    let body = serde_json::to_string(request).map_err(|e| e.to_string())?;
    let answer = crate::fetch::post_json_answer(crate::write::SYNC_ROUTE, &body).await?;
    let (status, text) = (answer.status, answer.text);
    if status == 200 {
        return serde_json::from_str(&text).map_err(|_| "服务器响应无法解析".to_owned().into());
    }
    let message = serde_json::from_str::<crate::error::ApiError>(&text)
        .map(|e| e.message)
        .unwrap_or_else(|_| format!("同步失败（HTTP {status}），稍后自动重试"));
    // 401: the session expired; 409: the session is someone else's. Either way the queue stays
    // and only signing in online again (as this user) lets it go.
    Err(SyncFailure {
        message,
        sign_in_needed: status == 401 || status == 409,
        retry_after_secs: (status == 429 || status == 503)
            .then_some(answer.retry_after_secs.unwrap_or(60)),
    })
}
