//! Signing a commitment, reminding the unsigned, and the commission's template. Each handler
//! authenticates and authorises in its own body.

use std::net::SocketAddr;

use app::{api::SessionUser, error::ApiError};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::HeaderMap,
    Extension, Json,
};
use domain::ids::OrgUnitId;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{account::client_address, signed_in, who, AppState, HttpError};
use crate::{
    auth::{password, ratelimit},
    commitments::{self, Signature},
    db::now_ms,
};

#[derive(Debug, Deserialize)]
pub struct SignIn {
    /// `drawn` or `typed`.
    pub kind: String,
    #[serde(default)]
    pub strokes: Vec<Vec<[i32; 2]>>,
    #[serde(default)]
    pub typed_name: String,
    pub password: String,
    /// The signer confirmed having read the whole text.
    pub confirmed: bool,
}

#[derive(Debug, Serialize)]
pub struct Signed {
    pub seal: String,
    pub token: String,
}

/// `POST /api/commitments/{id}/sign`: the owner signs, with their password. Wrong passwords count
/// towards the login limit, so a signature cannot be used to guess a password.
pub async fn sign(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<SignIn>,
) -> Result<Json<Signed>, HttpError> {
    let user = signed_in(user)?;
    let address = client_address(&state, peer, &headers);
    let row = sqlx::query!(
        r#"SELECT c.user_id AS "user_id!: i64", c.token, c.title, c.body, c.seal, c.superseded AS "superseded!: bool",
                  u.password_hash
           FROM commitments c JOIN users u ON u.id = c.user_id WHERE c.id = ?"#,
        id
    )
    .fetch_optional(state.db.pool())
    .await?;
    // Someone else's commitment looks like a missing one.
    let Some(row) = row.filter(|r| r.user_id == user.id) else {
        return Err(ApiError::not_found("该承诺书").into());
    };
    if row.seal.is_some() {
        return Err(ApiError::new("already_signed", "该承诺书已签署，不能再次签署或修改").into());
    }
    if row.superseded {
        return Err(ApiError::new(
            "superseded",
            "排查表已更新，该承诺书已作废，请签署新的承诺书",
        )
        .into());
    }
    // Only the owner gets this far: now the content of the request.
    if !body.confirmed {
        return Err(
            ApiError::new("not_confirmed", "请先勾选“本人已阅读承诺书全文并自愿签署”").into(),
        );
    }
    let signature = match body.kind.as_str() {
        "drawn" => Signature::Drawn(body.strokes),
        "typed" => Signature::Typed(body.typed_name),
        _ => {
            return Err(ApiError::new("unknown_value", "签名方式须为手写或输入姓名").into());
        }
    };
    signature.check(&user.display_name)?;
    if body.password.len() > 1024 {
        return Err(ApiError::new("wrong_password", "密码不正确，承诺书未签署").into());
    }
    // As at login: the attempt is counted first, in a short write transaction, so parallel
    // guesses cannot slip under the limit; the slow password check runs outside the write lock.
    let mut tx = state.db.begin_write().await?;
    if ratelimit::check(&mut tx, &user.username, &address)
        .await?
        .is_some()
    {
        return Err(ApiError::new("rate_limited", "密码错误次数过多，请 15 分钟后再试").into());
    }
    ratelimit::record_failure(&mut tx, &user.username, &address).await?;
    tx.commit().await?;
    let (typed, stored) = (body.password, row.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || password::verify(&typed, &stored))
        .await
        .map_err(anyhow::Error::from)?;
    if !ok {
        return Err(ApiError::new("wrong_password", "密码不正确，承诺书未签署").into());
    }
    let mut tx = state.db.begin_write().await?;
    ratelimit::clear_account(&mut tx, &user.username).await?;
    // Superseded meanwhile? The seal itself refuses a commitment signed meanwhile.
    let superseded = sqlx::query_scalar!(
        r#"SELECT superseded AS "s!: bool" FROM commitments WHERE id = ?"#,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    if superseded {
        return Err(ApiError::new(
            "superseded",
            "排查表已更新，该承诺书已作废，请签署新的承诺书",
        )
        .into());
    }
    let seal = commitments::seal(
        &mut tx,
        id,
        &row.token,
        &row.title,
        &row.body,
        (user.id, &user.username, &user.display_name),
        &signature,
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(Signed {
        seal,
        token: row.token,
    }))
}

/// `POST /api/commitments/{id}/remind`: reminds the signer of an unsigned commitment.
pub async fn remind(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let user = signed_in(user)?;
    let (principal, tree, _) = who(&state, &user).await?;
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query!(
        r#"SELECT p.unit_id AS "unit_id!: i64", c.seal FROM commitments c JOIN posts p ON p.id = c.post_id WHERE c.id = ?"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await?;
    // A commitment that does not exist is refused like one of another unit.
    let Some(row) = row.filter(|r| principal.oversees_commitments(&tree, OrgUnitId(r.unit_id)))
    else {
        return Err(ApiError::forbidden().into());
    };
    if row.seal.is_some() {
        return Err(ApiError::new("already_signed", "该承诺书已签署，无需提醒").into());
    }
    let now = now_ms();
    sqlx::query!(
        "UPDATE commitments SET reminded_at = ? WHERE id = ?",
        now,
        id
    )
    .execute(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "ok": true })))
}

#[derive(Debug, Deserialize)]
pub struct TemplateIn {
    pub title: String,
    pub body: String,
}

/// `POST /api/commitment-template`: the commission edits the template. Each edit is a new version;
/// commitments already generated keep their text.
pub async fn save_template(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<TemplateIn>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let user = signed_in(user)?;
    let (principal, _, _) = who(&state, &user).await?;
    if !principal.may_edit_commitment_template() {
        return Err(ApiError::new("forbidden", "只有区纪委审核人员才能修改承诺书模板").into());
    }
    let title = domain::text::check_length(&body.title, "title", "标题", 2, 60)?;
    let text = domain::text::check_length(&body.body, "body", "正文", 20, 5000)?;
    let unknown = commitments::unknown_placeholders(&text);
    if !unknown.is_empty() {
        return Err(domain::FieldError::new(
            "unknown_placeholder",
            "body",
            format!(
                "正文中的占位符 {} 无法识别；可用的有 {}",
                unknown.join("、"),
                commitments::PLACEHOLDERS.join("、")
            ),
        )
        .into());
    }
    for needed in ["{{姓名}}", "{{风险点及防控措施}}"] {
        if !text.contains(needed) {
            return Err(domain::FieldError::new(
                "placeholder_missing",
                "body",
                format!("正文须包含 {needed}"),
            )
            .into());
        }
    }
    let mut tx = state.db.begin_write().await?;
    let now = now_ms();
    let id = sqlx::query_scalar!(
        r#"INSERT INTO commitment_templates (title, body, updated_by, updated_at) VALUES (?, ?, ?, ?) RETURNING id AS "id!: i64""#,
        title,
        text,
        user.id,
        now
    )
    .fetch_one(&mut **tx)
    .await?;
    crate::audit::append(
        &mut tx,
        "template_changed",
        Some(user.id),
        &format!("template:{id}"),
        &json!({ "title": title, "body": text }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "ok": true, "id": id })))
}
