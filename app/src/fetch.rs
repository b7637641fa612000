//! The browser's requests to this site: a GET or POST with the session cookie that answers with
//! the status and the text, or why the network failed. Browser only.

use wasm_bindgen::{JsCast as _, JsValue};

/// A JSON POST to this site; `Err` carries a Chinese message.
pub async fn post_json(path: &str, body: &str) -> Result<(u16, String), String> {
    post_body(path, &JsValue::from_str(body), Some("application/json")).await
}

/// An answer with the seconds its `Retry-After` asks a client to wait, if any.
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub retry_after_secs: Option<u64>,
}

/// [`post_json`], keeping `Retry-After`.
pub async fn post_json_answer(path: &str, body: &str) -> Result<Answer, String> {
    post_full(path, &JsValue::from_str(body), Some("application/json")).await
}

/// POSTs `body` (a string, or bytes as a `Uint8Array`) to `path` on this site with the session
/// cookie; returns the status and the answer's text, or why the network failed.
pub async fn post_body(
    path: &str,
    body: &JsValue,
    content_type: Option<&str>,
) -> Result<(u16, String), String> {
    post_full(path, body, content_type)
        .await
        .map(|a| (a.status, a.text))
}

/// A GET of `path` on this site with the session cookie; `Err` carries a Chinese message.
pub async fn get(path: &str) -> Result<(u16, String), String> {
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    send(path, init, None).await.map(|a| (a.status, a.text))
}

async fn post_full(
    path: &str,
    body: &JsValue,
    content_type: Option<&str>,
) -> Result<Answer, String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    send(path, init, content_type).await
}

async fn send(
    path: &str,
    init: web_sys::RequestInit,
    content_type: Option<&str>,
) -> Result<Answer, String> {
    let window = web_sys::window().ok_or("浏览器环境不可用")?;
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(content_type) = content_type {
        let headers = web_sys::Headers::new().map_err(|_| "无法创建请求")?;
        let _ = headers.set("Content-Type", content_type);
        init.set_headers(&headers);
    }
    let request =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| "无法创建请求")?;
    let response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| "网络不可用，稍后自动重试".to_owned())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "服务器响应无效")?;
    let text = match response.text() {
        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let retry_after_secs = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    Ok(Answer {
        status: response.status(),
        text,
        retry_after_secs,
    })
}
