//! Middleware that every request passes: security headers with a per-response CSP nonce, the CSRF
//! guard for mutations, and the session lookup (with a redirect to the login page for signed-in
//! pages).

use app::{
    api::backend::CspNonce,
    api::SessionUser,
    error::{ApiError, ErrorCode},
};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use base64::Engine as _;

use super::{
    error::HttpError,
    state::{AppState, SITE_FILES},
};
use crate::auth::session;

/// Adds the security headers to every response. HTML gets a CSP whose only allowed inline scripts
/// carry this response's nonce; `'wasm-unsafe-eval'` lets the page compile its wasm and nothing
/// else.
pub async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce =
        base64::engine::general_purpose::STANDARD.encode(crate::secret::random_bytes::<16>());
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let is_static = is_built_file(request.uri().path());

    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if state.cookies.secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // Pages and API answers carry personal data: never keep them in shared caches. Built files
    // keep their names from one deploy to the next, so a browser asks each time whether they
    // changed (a 304 when not), and never pairs a new page with an old wasm; the service worker
    // keeps them for offline use.
    if !headers.contains_key(header::CACHE_CONTROL) {
        let policy = if is_static { "no-cache" } else { "no-store" };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// The site's built and static files: the wasm, its chunks, JS and CSS under `/pkg/`, and the
/// files at the site's root ([`SITE_FILES`]).
fn is_built_file(path: &str) -> bool {
    path.starts_with("/pkg/") || path.starts_with("/static/") || SITE_FILES.contains(&path)
}

/// Refuses state-changing requests that a browser sent on behalf of another site. A request that
/// is not GET, HEAD or OPTIONS must show where it came from: `Sec-Fetch-Site: same-origin`, or an
/// `Origin` whose host is this server's `Host`. Browsers set both headers themselves and scripts
/// cannot forge them; a request with neither is refused too, so a client that wants to mutate
/// must say its origin. Together with `SameSite=Lax` cookies this covers server functions, forms
/// and JSON endpoints alike.
pub async fn csrf(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    match check_origin(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), reason, "cross-site request refused");
            HttpError(ApiError::new(
                ErrorCode::CsrfRejected,
                "请求来源校验失败，已拒绝可能的跨站请求。请从本系统页面重新操作。",
            ))
            .into_response()
        }
    }
}

fn check_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = fetch_site {
        if site != "same-origin" {
            return Err("sec-fetch-site is not same-origin");
        }
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        Some(Ok(origin)) => {
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or("origin is not http(s)")?;
            match host {
                Some(host) if host.eq_ignore_ascii_case(origin_host) => Ok(()),
                _ => Err("origin does not match host"),
            }
        }
        Some(Err(_)) => Err("origin is not readable"),
        None if fetch_site.is_some() => Ok(()),
        None => Err("neither origin nor sec-fetch-site"),
    }
}

/// Finds the signed-in user from the session cookie and puts them into the request. Pages that
/// need a user redirect to the login page instead of rendering an empty shell.
pub async fn session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| session::token_from_cookie_header(h, state.cookies.secure))
        .map(str::to_owned);
    if let Some(token) = token {
        match session::user_for_token(state.db.pool(), &token, state.cookies.idle_secs).await {
            Ok(Some(user)) => {
                request
                    .extensions_mut()
                    .insert(app::api::backend::CurrentSession(session::token_hash(
                        &token,
                    )));
                request.extensions_mut().insert(SessionToken(token));
                request.extensions_mut().insert(user);
            }
            Ok(None) => {}
            Err(e) => return HttpError::from(e).into_response(),
        }
    }
    let path = request.uri().path();
    // After an administrator's reset, nothing but changing the password (and signing out).
    let must_change = request
        .extensions()
        .get::<SessionUser>()
        .is_some_and(|u| u.must_change_password);
    if must_change {
        let allowed = path == "/account"
            || path == "/api/me"
            || path == "/api/logout"
            || path == <app::write::EndSessions as app::write::Write>::ROUTE
            || path == <app::write::ChangePassword as app::write::Write>::ROUTE;
        if !allowed && request.method() == Method::GET && app::requires_login(path) {
            return Redirect::to("/account?must_change=1").into_response();
        }
        if !allowed && path.starts_with("/api/") && request.method() != Method::GET {
            return HttpError(ApiError::new(
                ErrorCode::Forbidden,
                "您正在使用管理员设置的临时密码：请先设置自己的新密码，再继续操作",
            ))
            .into_response();
        }
    }
    if request.method() == Method::GET
        && app::requires_login(path)
        && request.extensions().get::<SessionUser>().is_none()
    {
        let next_path = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let target = format!("/login?next={}", encode_query_value(next_path));
        return Redirect::to(&target).into_response();
    }
    next.run(request).await
}

/// The raw session token of this request, for logout.
#[derive(Debug, Clone)]
pub struct SessionToken(pub String);

/// Percent-encodes a value for a query string.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The most of an oversized body read (and thrown away) so that its sender can read the answer.
pub const MAX_DRAINED_BYTES: usize = 16 * 1024 * 1024;

/// Answers a body over the limit with a JSON `413 payload_too_large` a plain HTTP client can
/// read. A client that sent `Expect: 100-continue` is answered before it sends the body. Any
/// other has its body read and discarded first (up to [`MAX_DRAINED_BYTES`]; beyond that the
/// connection is closed): answering first and closing would leave it writing into a closed
/// socket, seeing a broken pipe and never the reason.
pub async fn drain_oversized(request: Request, next: Next) -> Response {
    let limit = super::state::MAX_BODY_BYTES;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(declared) = declared.filter(|n| *n > limit as u64) else {
        return next.run(request).await;
    };
    let expects_continue = request
        .headers()
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    let too_large = HttpError(ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "请求体过大（{} KB，上限 {} KB），请分批提交",
            declared / 1024,
            limit / 1024
        ),
    ));
    if !expects_continue && declared <= MAX_DRAINED_BYTES as u64 {
        use http_body_util::BodyExt as _;
        let mut body = request.into_body();
        let mut read = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |d| d.len());
            if read > MAX_DRAINED_BYTES {
                break;
            }
        }
    }
    too_large.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_same_origin_mutation_passes() {
        assert!(check_origin(&headers(&[
            ("host", "a.example:3000"),
            ("origin", "http://a.example:3000")
        ]))
        .is_ok());
        assert!(check_origin(&headers(&[("sec-fetch-site", "same-origin")])).is_ok());
    }

    #[test]
    fn a_cross_site_or_anonymous_mutation_is_refused() {
        assert!(check_origin(&headers(&[
            ("host", "a.example"),
            ("origin", "https://evil.example")
        ]))
        .is_err());
        assert!(check_origin(&headers(&[
            ("host", "a.example"),
            ("sec-fetch-site", "cross-site")
        ]))
        .is_err());
        assert!(check_origin(&headers(&[("host", "a.example"), ("origin", "null")])).is_err());
        assert!(check_origin(&headers(&[("host", "a.example")])).is_err());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query_value("/posts/3?x=1&y"), "/posts/3%3Fx%3D1%26y");
    }
}
