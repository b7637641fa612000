//! The browser's calls for reviewing: JSON requests to the review endpoints, and chain steps,
//! which travel as `decide` operations through the same queue and sync path as the self-check
//! (so a decision taken on stale data comes back refused, with the server's reason).

use domain::chain::Action;
use serde::Serialize;

use crate::error::ApiError;

/// What became of a chain step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// The server applied it.
    Applied,
    /// No network: it waits in this device's queue and goes with the next sync.
    Queued,
}

/// Sends `body` as JSON to `path` and returns the answer's text, or the server's error.
#[cfg(feature = "hydrate")]
pub async fn post<T: Serialize>(path: &str, body: &T) -> Result<String, ApiError> {
    let body =
        serde_json::to_string(body).map_err(|_| ApiError::bad_request("请求内容无法编码"))?;
    let (status, text) = crate::offline::post_json(path, &body)
        .await
        .map_err(|m| ApiError::new("network", m))?;
    answer(status, text)
}

/// Sends raw bytes (an uploaded file) to `path`.
#[cfg(feature = "hydrate")]
pub async fn post_bytes(path: &str, bytes: &[u8]) -> Result<String, ApiError> {
    let body = js_sys::Uint8Array::from(bytes);
    let (status, text) = crate::offline::post_body(path, &body, None)
        .await
        .map_err(|m| ApiError::new("network", m))?;
    answer(status, text)
}

#[cfg(feature = "hydrate")]
fn answer(status: u16, text: String) -> Result<String, ApiError> {
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(serde_json::from_str(&text).unwrap_or_else(|_| {
            ApiError::new("http", format!("请求失败（HTTP {status}），请稍后重试"))
        }))
    }
}

/// Takes one chain step on `post_id`'s sheet as seen at `version`: queued, then synced at once.
#[cfg(feature = "hydrate")]
pub async fn decide(post_id: i64, version: i64, action: Action) -> Result<Decided, String> {
    use domain::sync::{OpResult, Operation};
    use leptos::prelude::GetUntracked as _;
    let store = crate::offline::Store::load();
    store.queue(Operation::Decide {
        post_id,
        sheet_version: version,
        decision: action,
    })?;
    let Some(id) = store.outbox.get_untracked().ops.last().map(|e| e.id) else {
        return Err("未能加入待同步队列".to_owned());
    };
    store.sync().await;
    let refused = store
        .attention
        .get_untracked()
        .into_iter()
        .find(|a| a.op.id == id);
    if let Some(a) = refused {
        // Shown here and now, so it need not wait in the self-check's list of refused edits.
        store.discard(id);
        return Err(match a.result {
            OpResult::Rejected { message, .. } => message,
            OpResult::Applied { .. } => "操作未完成".to_owned(),
        });
    }
    if store.outbox.get_untracked().ops.iter().any(|e| e.id == id) {
        return Ok(Decided::Queued);
    }
    Ok(Decided::Applied)
}

/// Asks the user to confirm; `false` when there is no window.
#[cfg(feature = "hydrate")]
pub fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

/// Reloads the current page (after a step that changes what it shows).
#[cfg(feature = "hydrate")]
pub fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

// The server never runs event handlers; these keep the shared components compiling there.
#[cfg(not(feature = "hydrate"))]
pub async fn post<T: Serialize>(_: &str, _: &T) -> Result<String, ApiError> {
    Err(ApiError::internal())
}
#[cfg(not(feature = "hydrate"))]
pub async fn post_bytes(_: &str, _: &[u8]) -> Result<String, ApiError> {
    Err(ApiError::internal())
}
#[cfg(not(feature = "hydrate"))]
pub async fn decide(_: i64, _: i64, _: Action) -> Result<Decided, String> {
    Err(String::new())
}
#[cfg(not(feature = "hydrate"))]
pub fn confirm(_: &str) -> bool {
    false
}
#[cfg(not(feature = "hydrate"))]
pub fn reload() {}
