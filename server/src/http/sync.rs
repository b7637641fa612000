//! `POST /api/sync`: the body checked and parsed, the push applied and the pull read by
//! [`crate::sync`].

use app::{
    api::SessionUser,
    error::{ApiError, ErrorCode},
};
use axum::{body::Bytes, extract::State, Extension, Json};
use domain::sync::{Envelope, Operation, SyncRequest, SyncResponse, MAX_BATCH_OPS};

use super::{error::HttpError, state::AppState};
use crate::{db::now_ms, sync};

/// `POST /api/sync`.
pub async fn handle(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    body: Bytes,
) -> Result<Json<SyncResponse>, HttpError> {
    let Some(Extension(user)) = user else {
        return Err(HttpError(ApiError::new(
            ErrorCode::Unauthenticated,
            "登录已过期，请重新登录后再同步；待同步的内容仍保留在本设备上",
        )));
    };
    let request = parse_request(&body)?;
    if request.user != user.username {
        return Err(HttpError(ApiError::new(
            ErrorCode::WrongUser,
            format!(
                "当前登录的是 {}，不能同步 {} 的待同步内容；请 {} 本人登录后再同步",
                user.username, request.user, request.user
            ),
        )));
    }
    check_sequence(&request.ops)?;
    let results = state
        .sync
        .push(user.id, request.client_id, request.ops)
        .await?;
    let pull = sync::pull(&state.db, user.id, request.client_id, request.cursor).await?;
    Ok(Json(SyncResponse {
        results,
        server_time: now_ms(),
        ..pull
    }))
}

/// Parses the body in three steps so that each kind of mistake gets its own code: not JSON at
/// all, too many operations, an operation type this server does not know, anything else malformed.
fn parse_request(body: &[u8]) -> Result<SyncRequest, HttpError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        HttpError(ApiError::new(
            ErrorCode::MalformedJson,
            format!("JSON 格式错误：第 {} 行第 {} 列", e.line(), e.column()),
        ))
    })?;
    let ops = value.get("ops").and_then(|o| o.as_array());
    if let Some(ops) = ops {
        if ops.len() > MAX_BATCH_OPS {
            return Err(HttpError(ApiError::new(
                ErrorCode::BatchTooLarge,
                format!(
                    "一次最多同步 {MAX_BATCH_OPS} 条操作（本次 {} 条），请分批提交",
                    ops.len()
                ),
            )));
        }
        for (i, op) in ops.iter().enumerate() {
            let kind = op.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if !Operation::TYPES.contains(&kind) {
                return Err(HttpError(ApiError {
                    code: ErrorCode::UnknownOperation,
                    message: format!("第 {} 条操作的类型“{kind}”无法识别", i + 1),
                    field: Some(format!("ops[{i}].type")),
                }));
            }
        }
    }
    serde_json::from_value(value).map_err(|e| {
        HttpError(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("同步请求格式错误：{e}"),
        ))
    })
}

fn check_sequence(ops: &[Envelope]) -> Result<(), HttpError> {
    if ops.windows(2).any(|w| w[1].seq <= w[0].seq) {
        return Err(HttpError(ApiError::new(
            ErrorCode::BadSequence,
            "操作须按队列顺序提交（seq 严格递增）",
        )));
    }
    Ok(())
}
