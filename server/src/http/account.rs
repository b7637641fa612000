//! Login, logout and "who am I". Login accepts a form (the login page, which works without wasm:
//! answers are redirects carrying an error code) or JSON (clients and tests: answers are JSON with
//! a status).

use std::{collections::HashMap, net::SocketAddr};

use app::{
    api::SessionUser,
    error::{ApiError, ErrorCode},
    write::{EndSessions, EndedSessions, LoggedIn, Me},
};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Extension, Json,
};
use domain::account::Username;

use super::{
    error::HttpError,
    guard::{encode_query_value, SessionToken},
    state::AppState,
};
use crate::{
    auth::{self, ratelimit, session},
    store,
};

/// The longest password a login considers; longer input is refused before hashing, so a huge
/// body cannot make the server spend seconds in argon2.
const MAX_LOGIN_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Form,
    Json,
}

fn request_format(headers: &HeaderMap) -> Result<Format, HttpError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        Ok(Format::Form)
    } else if content_type.starts_with("application/json") {
        Ok(Format::Json)
    } else {
        Err(HttpError(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "请求格式不受支持：请以表单（application/x-www-form-urlencoded）或 JSON（application/json）提交",
        )))
    }
}

/// Reads a flat map of string fields from a form or JSON body.
fn read_fields(format: Format, body: &Bytes) -> Result<HashMap<String, String>, HttpError> {
    match format {
        Format::Form => serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(|pairs| pairs.into_iter().collect())
            .map_err(|_| HttpError(ApiError::bad_request("表单内容无法解析"))),
        Format::Json => {
            let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
                HttpError(ApiError::new(
                    ErrorCode::MalformedJson,
                    format!("JSON 格式错误：第 {} 行第 {} 列", e.line(), e.column()),
                ))
            })?;
            let object = value.as_object().ok_or_else(|| {
                HttpError(ApiError::new(
                    ErrorCode::MalformedJson,
                    "请求体须为 JSON 对象",
                ))
            })?;
            let mut fields = HashMap::new();
            for (key, value) in object {
                match value {
                    serde_json::Value::String(s) => {
                        fields.insert(key.clone(), s.clone());
                    }
                    serde_json::Value::Null => {}
                    _ => {
                        return Err(HttpError(ApiError {
                            code: ErrorCode::parse("wrong_type"),
                            message: format!("字段 {key} 须为字符串"),
                            field: Some(key.clone()),
                        }))
                    }
                }
            }
            Ok(fields)
        }
    }
}

fn required_field(
    fields: &HashMap<String, String>,
    name: &str,
    label: &str,
) -> Result<String, ApiError> {
    match fields.get(name) {
        Some(value) if !value.is_empty() => Ok(value.clone()),
        _ => Err(ApiError {
            code: ErrorCode::parse("required"),
            message: format!("{label}不能为空"),
            field: Some(name.to_owned()),
        }),
    }
}

/// The client's address: the socket peer, or behind trusted proxies the `X-Forwarded-For` entry
/// they wrote (see [`crate::net`]). Several headers count as one list, in order.
pub(super) fn client_address(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> String {
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    state
        .proxies
        .client(peer.ip(), forwarded.as_deref())
        .to_string()
}

/// `POST /api/login`.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let format = match request_format(&headers) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let fields = match read_fields(format, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let next = domain::nav::next_or_home(fields.get("next").map(String::as_str)).to_owned();
    let typed_name = fields.get("username").cloned().unwrap_or_default();
    let fail = |error: ApiError, retry_after: Option<i64>| -> Response {
        match format {
            Format::Json => {
                let mut response = HttpError(error).into_response();
                if let Some(secs) = retry_after {
                    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                        response.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                }
                response
            }
            Format::Form => Redirect::to(&format!(
                "/login?error={}&username={}&next={}",
                encode_query_value(error.code.as_str()),
                encode_query_value(typed_name.chars().take(32).collect::<String>().as_str()),
                encode_query_value(&next)
            ))
            .into_response(),
        }
    };

    let username = match required_field(&fields, "username", "用户名")
        .and_then(|u| Username::parse(&u).map_err(ApiError::from))
    {
        Ok(u) => u,
        Err(e) => return fail(e, None),
    };
    let password = match required_field(&fields, "password", "密码") {
        Ok(p) if p.len() > MAX_LOGIN_PASSWORD_BYTES => {
            return fail(
                ApiError {
                    code: ErrorCode::parse("too_long"),
                    message: "密码过长".to_owned(),
                    field: Some("password".to_owned()),
                },
                None,
            )
        }
        Ok(p) => p,
        Err(e) => return fail(e, None),
    };
    let address = client_address(&state, peer, &headers);

    let origin = auth::Origin {
        address: &address,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    };
    let attempt = auth::login(
        &state.db,
        &username,
        password,
        &origin,
        state.cookies.lifetime_secs,
    )
    .await;
    match attempt {
        Ok(auth::Attempt::Success(user, token, key)) => {
            tracing::info!(user = user.id, "login");
            let cookie = state.cookies.set_cookie(&token);
            let mut response = match format {
                Format::Json => (
                    StatusCode::OK,
                    Json(LoggedIn {
                        user,
                        offline_key: key,
                        sign_out: Some(session::sign_out_handle(&token)),
                    }),
                )
                    .into_response(),
                // After an administrator's reset, the new password comes first.
                Format::Form if user.must_change_password => {
                    Redirect::to("/account?must_change=1").into_response()
                }
                Format::Form => Redirect::to(&next).into_response(),
            };
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        Ok(auth::Attempt::WrongPassword) => fail(
            ApiError::new(ErrorCode::InvalidCredentials, "用户名或密码错误"),
            None,
        ),
        Ok(auth::Attempt::Limited(limited)) => {
            let (who, secs) = match limited {
                ratelimit::Limited::Account { retry_after_secs } => ("该账号", retry_after_secs),
                ratelimit::Limited::Address { retry_after_secs } => {
                    ("您所在的网络地址", retry_after_secs)
                }
            };
            tracing::warn!(%address, "login rate limited");
            fail(
                ApiError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "{who}登录失败次数过多，已暂时锁定，请 {} 分钟后再试",
                        (secs + 59) / 60
                    ),
                ),
                Some(secs),
            )
        }
        Err(e) => HttpError::from(e).into_response(),
    }
}

/// `POST /api/logout`: ends the session and clears the cookie; with `everywhere=1` (form) or
/// `{"everywhere": true}` (JSON), ends every session of the user on every device.
pub async fn logout(
    State(state): State<AppState>,
    token: Option<Extension<SessionToken>>,
    user: Option<Extension<SessionUser>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let wants_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let everywhere = if wants_json {
        serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .is_some_and(|v| v["everywhere"] == serde_json::Value::Bool(true))
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .unwrap_or_default()
            .iter()
            .any(|(k, v)| k == "everywhere" && v == "1")
    };
    let ended = match (everywhere, user, token) {
        (true, Some(Extension(user)), _) => {
            session::delete_all(&state.db, user.id).await.map(|n| {
                tracing::info!(user = user.id, sessions = n, "signed out everywhere");
            })
        }
        (_, _, Some(Extension(SessionToken(token)))) => session::delete(&state.db, &token).await,
        _ => Ok(()),
    };
    if let Err(e) = ended {
        return HttpError::from(crate::error::Error::from(e)).into_response();
    }
    let mut response = if wants_json {
        StatusCode::NO_CONTENT.into_response()
    } else if everywhere {
        Redirect::to("/login?notice=logged_out_everywhere").into_response()
    } else {
        Redirect::to("/login?notice=logged_out").into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&state.cookies.clear_cookie()) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// `GET /api/me`: the signed-in user, or 401.
pub async fn me(
    user: Option<Extension<SessionUser>>,
    token: Option<Extension<SessionToken>>,
) -> Result<Json<Me>, HttpError> {
    let Some(Extension(user)) = user else {
        return Err(HttpError(ApiError::unauthenticated()));
    };
    Ok(Json(Me {
        user,
        sign_out: token.map(|Extension(SessionToken(t))| session::sign_out_handle(&t)),
    }))
}

/// `POST /api/sessions/end`: ends the sessions of people who signed out on a device while it
/// was offline, by their sign-out handles. No session is needed, and the caller's own (if it
/// is among them) ends too, with its cookie cleared. Handles of sessions already ended count
/// for nothing; a malformed body or handle is refused, naming the field.
pub async fn end_sessions(
    State(state): State<AppState>,
    token: Option<Extension<SessionToken>>,
    body: Bytes,
) -> Response {
    let invalid = |message: String| {
        HttpError(ApiError {
            code: ErrorCode::InvalidRequest,
            message,
            field: Some("sessions".to_owned()),
        })
        .into_response()
    };
    let Ok(request) = serde_json::from_slice::<EndSessions>(&body) else {
        return invalid("请求须为 JSON：{\"sessions\": [登出凭据…]}".to_owned());
    };
    if request.sessions.len() > EndSessions::MAX {
        return invalid(format!(
            "一次最多结束 {} 个会话（现为 {} 个）",
            EndSessions::MAX,
            request.sessions.len()
        ));
    }
    if let Some(bad) = request
        .sessions
        .iter()
        .position(|h| !session::is_sign_out_handle(h))
    {
        return invalid(format!("第 {} 个登出凭据格式不正确", bad + 1));
    }
    let ended = match session::end_by_handles(&state.db, &request.sessions).await {
        Ok(ended) => ended,
        Err(e) => return HttpError::from(crate::error::Error::from(e)).into_response(),
    };
    for user in &ended {
        tracing::info!(user, "session ended after a sign-out made offline");
    }
    let own = token.is_some_and(|Extension(SessionToken(t))| {
        request.sessions.contains(&session::sign_out_handle(&t))
    });
    let reply = EndedSessions {
        ended: ended.len(),
        yours: own,
    };
    let mut response = Json(reply).into_response();
    if own {
        if let Ok(v) = HeaderValue::from_str(&state.cookies.clear_cookie()) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// `GET /api/health`: the server is up and the database answers.
pub async fn health(State(state): State<AppState>) -> Result<&'static str, HttpError> {
    let mut conn = state
        .db
        .pool()
        .acquire()
        .await
        .map_err(crate::error::Error::from)?;
    store::accounts::ping(&mut conn)
        .await
        .map_err(crate::error::Error::from)?;
    Ok("ok")
}

/// Any other path under `/api/`: a JSON 404 rather than an HTML page.
pub async fn unknown_api() -> HttpError {
    HttpError(ApiError::new(ErrorCode::NotFound, "接口不存在"))
}
