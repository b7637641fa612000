//! The browser's writes outside the self-check: typed requests ([`crate::write`]) sent to their
//! routes, uploads, and chain steps, which travel as `decide` operations through the same queue
//! and sync path as the self-check (so a decision taken on stale data comes back refused, with
//! the server's reason).

use domain::chain::Action;

#[cfg(feature = "hydrate")]
use crate::error::ErrorCode;
#[cfg(feature = "hydrate")]
use crate::write;
use crate::{error::ApiError, write::Write};

/// What became of a chain step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// The server applied it.
    Applied,
    /// No network: it waits in this device's queue and goes with the next sync.
    Queued,
}

/// Sends a typed write to its route (with `id` filled in where the route has a parameter) and
/// returns the server's typed answer, or its error.
#[cfg(feature = "hydrate")]
pub async fn send<W: Write>(id: Option<i64>, body: &W) -> Result<W::Reply, ApiError> {
    let body =
        serde_json::to_string(body).map_err(|_| ApiError::bad_request("请求内容无法编码"))?;
    let (status, text) = crate::fetch::post_json(&write::path(W::ROUTE, id), &body)
        .await
        .map_err(|m| ApiError::new(ErrorCode::Network, m))?;
    read(status, &text)
}

/// Uploads a file to an import (`path` says which, and whether a dry run or a slice) and returns
/// the server's report.
#[cfg(feature = "hydrate")]
pub async fn upload<T: serde::de::DeserializeOwned>(
    path: &str,
    bytes: &[u8],
) -> Result<T, ApiError> {
    let body = js_sys::Uint8Array::from(bytes);
    let (status, text) = crate::fetch::post_body(path, &body, None)
        .await
        .map_err(|m| ApiError::new(ErrorCode::Network, m))?;
    read(status, &text)
}

/// The answer as `T`, or the server's error.
#[cfg(feature = "hydrate")]
fn read<T: serde::de::DeserializeOwned>(status: u16, text: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        serde_json::from_str(text)
            .map_err(|_| ApiError::new(ErrorCode::Http, "服务器响应无法解析，请稍后重试"))
    } else {
        Err(serde_json::from_str(text).unwrap_or_else(|_| {
            ApiError::new(
                ErrorCode::Http,
                format!("请求失败（HTTP {status}），请稍后重试"),
            )
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

/// Saves `text` as a file named `name` on the user's device (a download made in the browser).
#[cfg(feature = "hydrate")]
pub fn save_file(name: &str, mime: &str, text: &str) {
    use wasm_bindgen::{JsCast as _, JsValue};
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(a) = document
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The file the user chose in a file input, read whole: (name, bytes). `None` when nothing is
/// chosen; an error when the browser cannot read it.
#[cfg(feature = "hydrate")]
pub async fn chosen_file(ev: &leptos::ev::Event) -> Result<Option<(String, Vec<u8>)>, String> {
    use wasm_bindgen::JsCast as _;
    let Some(f) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|input| input.files())
        .and_then(|l| l.get(0))
    else {
        return Ok(None);
    };
    match wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await {
        Ok(buffer) => Ok(Some((f.name(), js_sys::Uint8Array::new(&buffer).to_vec()))),
        Err(_) => Err("无法读取所选文件".to_owned()),
    }
}

// The server never runs event handlers; these keep the shared components compiling there.
#[cfg(not(feature = "hydrate"))]
pub async fn send<W: Write>(_: Option<i64>, _: &W) -> Result<W::Reply, ApiError> {
    Err(ApiError::internal())
}
#[cfg(not(feature = "hydrate"))]
pub async fn upload<T>(_: &str, _: &[u8]) -> Result<T, ApiError> {
    Err(ApiError::internal())
}
#[cfg(not(feature = "hydrate"))]
pub fn save_file(_: &str, _: &str, _: &str) {}
#[cfg(not(feature = "hydrate"))]
pub async fn chosen_file(_: &leptos::ev::Event) -> Result<Option<(String, Vec<u8>)>, String> {
    Ok(None)
}
#[cfg(not(feature = "hydrate"))]
pub async fn decide(_: i64, _: i64, _: Action) -> Result<Decided, String> {
    Err(String::new())
}
#[cfg(not(feature = "hydrate"))]
pub fn confirm(_: &str) -> bool {
    false
}
