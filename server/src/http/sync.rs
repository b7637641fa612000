//! `POST /api/sync`: the body checked and parsed, the push applied and the pull read by
//! [`crate::sync`].

use app::{
    api::SessionUser,
    error::{ApiError, ErrorCode},
};
use axum::{
    body::Bytes,
    extract::State,
    response::{IntoResponse as _, Response},
    Extension, Json,
};
use domain::{
    sync::{Envelope, Operation, SyncRequest, SyncResponse, MAX_BATCH_OPS},
    FieldError,
};

use super::{error::HttpError, state::AppState};
use crate::{db::now_ms, sync};

/// `POST /api/sync`: answered, or refused with a response (a 429 carries `Retry-After`).
pub async fn handle(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    body: Bytes,
) -> Result<Json<SyncResponse>, Response> {
    let refuse = |e: HttpError| e.into_response();
    let user = user.ok_or_else(|| {
        refuse(HttpError(ApiError::new(
            ErrorCode::Unauthenticated,
            "登录已过期，请重新登录后再同步；待同步的内容仍保留在本设备上",
        )))
    })?;
    answer(&state, user, &body).await.map_err(|e| match e {
        Refusal::Now(e) => refuse(e),
        Refusal::Later(e, secs) => e.with_retry_after(secs),
    })
}

/// Why a push was refused: now, or until a time.
enum Refusal {
    Now(HttpError),
    Later(HttpError, u64),
}

impl<E: Into<HttpError>> From<E> for Refusal {
    fn from(e: E) -> Self {
        Self::Now(e.into())
    }
}

async fn answer(
    state: &AppState,
    Extension(user): Extension<SessionUser>,
    body: &[u8],
) -> Result<Json<SyncResponse>, Refusal> {
    let request = parse_request(body)?;
    if request.user != user.username {
        return Err(HttpError(ApiError::new(
            ErrorCode::WrongUser,
            format!(
                "当前登录的是 {}，不能同步 {} 的待同步内容；请 {} 本人登录后再同步",
                user.username, request.user, request.user
            ),
        ))
        .into());
    }
    check_sequence(&request.ops)?;
    if let Err(secs) = state.sync_throttle.admit(user.id, request.ops.len()) {
        tracing::warn!(user = user.id, ops = request.ops.len(), "sync rate limited");
        return Err(Refusal::Later(
            HttpError(ApiError::new(
                ErrorCode::RateLimited,
                format!("同步过于频繁，请 {secs} 秒后再试；待同步的内容仍保留在本设备上"),
            )),
            secs,
        ));
    }
    let results = state
        .sync
        .push(user.id, request.client_id, request.ops)
        .await?;
    let from = sync::PullFrom::of(request.cursor, request.resume_after_post);
    let kept = sync::Kept { have: request.have };
    let pull = sync::pull(&state.db, user.id, from, state.pull_page, &kept).await?;
    let (commitments, digest) =
        sync::commitments(&state.db, user.id, request.commitments_digest.as_deref()).await?;
    let (warnings, warnings_digest) =
        sync::warnings(&state.db, user.id, request.warnings_digest.as_deref()).await?;
    Ok(Json(SyncResponse {
        results,
        server_time: now_ms(),
        commitments,
        commitments_digest: Some(digest),
        warnings,
        warnings_digest: Some(warnings_digest),
        ..pull
    }))
}

/// Parses the body. Only what identifies the push fails it whole: a body that is not JSON, too
/// many operations, a missing or wrong `user`, `client_id` or `cursor`, or an operation without a
/// readable `id` and `seq`. Anything else wrong with one operation (an unknown `type`, a missing
/// field, a value out of its rules) makes that operation [`Operation::Unreadable`], answered
/// `rejected` in its place, so the operations after it still apply.
fn parse_request(body: &[u8]) -> Result<SyncRequest, HttpError> {
    let invalid = |field: &str, message: String| {
        HttpError(ApiError {
            code: ErrorCode::InvalidRequest,
            message,
            field: Some(field.to_owned()),
        })
    };
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        HttpError(ApiError::new(
            ErrorCode::MalformedJson,
            format!("JSON 格式错误：第 {} 行第 {} 列", e.line(), e.column()),
        ))
    })?;
    let ops = match value.as_object_mut().and_then(|o| o.remove("ops")) {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(ops)) => ops,
        Some(_) => return Err(invalid("ops", "ops 须为数组".to_owned())),
    };
    if ops.len() > MAX_BATCH_OPS {
        return Err(HttpError(ApiError::new(
            ErrorCode::BatchTooLarge,
            format!(
                "一次最多同步 {MAX_BATCH_OPS} 条操作（本次 {} 条），请分批提交",
                ops.len()
            ),
        )));
    }
    let mut request: SyncRequest = serde_json::from_value(value)
        .map_err(|e| invalid("request", format!("同步请求格式错误：{e}")))?;
    request.ops = ops
        .into_iter()
        .enumerate()
        .map(|(i, op)| read_operation(i, op))
        .collect::<Result<_, _>>()
        .map_err(|(field, message)| invalid(&field, message))?;
    Ok(request)
}

/// One operation: its id and `seq` or the whole push fails (it could not be answered); the rest
/// or the operation is answered as unreadable.
fn read_operation(i: usize, op: serde_json::Value) -> Result<Envelope, (String, String)> {
    let id = op
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|v| uuid::Uuid::parse_str(v).ok())
        .ok_or_else(|| {
            (
                format!("ops[{i}].id"),
                format!("第 {} 条操作缺少有效的 id（UUID）", i + 1),
            )
        })?;
    let seq = op
        .get("seq")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| {
            (
                format!("ops[{i}].seq"),
                format!("第 {} 条操作缺少整数 seq", i + 1),
            )
        })?;
    let kind = op.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !Operation::TYPES.contains(&kind) {
        let problem = FieldError::new(
            "unknown_operation",
            "type",
            format!("操作类型“{kind}”无法识别，请更新应用后重新填报"),
        );
        return Ok(Envelope {
            id,
            seq,
            op: Operation::Unreadable(Box::new(problem)),
        });
    }
    Ok(
        serde_json::from_value::<Envelope>(op).unwrap_or_else(|e| Envelope {
            id,
            seq,
            op: Operation::Unreadable(Box::new(FieldError::new(
                "invalid",
                "operation",
                format!("操作内容不符合要求：{e}"),
            ))),
        }),
    )
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
