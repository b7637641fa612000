//! Server functions live under `/api/fn/` (leptos mounts them). leptos answers every
//! server-function error with 500; this middleware gives such a response the status its error
//! code calls for, so a client's mistake (a missing or malformed argument, no session, no
//! permission) is never reported as a server fault.

use app::error::{ApiError, ErrorCode};
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::error::HttpError;

/// The prefix every server function is mounted under (see `#[server(prefix = …)]` in `app`).
pub const PREFIX: &str = "/api/fn/";

/// Error bodies are small JSON objects; anything larger is not an error body.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn fix_error_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with(PREFIX);
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_ERROR_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return HttpError(ApiError::internal()).into_response(),
    };
    if let Ok(error) = serde_json::from_slice::<ApiError>(&bytes) {
        if error.code == ErrorCode::Internal {
            tracing::error!(path = ?parts.extensions.get::<axum::extract::MatchedPath>().map(|p| p.as_str()), "server function failed");
        }
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A path under the prefix that names no server function (or uses the wrong method).
pub async fn unknown() -> HttpError {
    HttpError(ApiError::new(
        ErrorCode::NotFound,
        "接口不存在或请求方式不正确",
    ))
}

/// Rejections that axum and tower produce themselves (a body over the limit, a wrong method) come
/// as plain text; under `/api/` they are turned into the same JSON error shape as everything else.
pub async fn json_rejections(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_api || is_json {
        return response;
    }
    let error = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "请求体过大（上限 {} KB）",
                super::state::MAX_BODY_BYTES / 1024
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(ErrorCode::MethodNotAllowed, "不支持该请求方式")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::new(ErrorCode::UnsupportedMediaType, "请求格式不受支持")
        }
        StatusCode::BAD_REQUEST => ApiError::bad_request("请求无效"),
        _ => return response,
    };
    HttpError(error).into_response()
}
