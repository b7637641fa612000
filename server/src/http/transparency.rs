//! The transparency log's public endpoints (issue 17): the signed tree heads and the proofs
//! anyone may ask for. Deliberately without a session: a visitor, an outside verifier and a
//! witness check the log without an account, and nothing here reveals an entry's content.

use std::collections::HashMap;

use app::error::ApiError;
use axum::{
    extract::{Query, State},
    Json,
};
use serde::Serialize;

use super::{error::HttpError, state::AppState};
use crate::transparency::{self, ConsistencyProof, InclusionProof, SignedHead};

/// At most this many heads in one answer of the history.
const HEADS_PAGE: i64 = 100;

/// The newest head, the key that signs heads now, and the history before it.
#[derive(Debug, Serialize)]
pub struct Heads {
    pub public_key: String,
    pub latest: Option<SignedHead>,
    /// Newest first, each with its id (`before` asks for the ones before an id).
    pub heads: Vec<HeadEntry>,
}

#[derive(Debug, Serialize)]
pub struct HeadEntry {
    pub id: i64,
    #[serde(flatten)]
    pub head: SignedHead,
}

/// A whole number from the query, or a refusal naming the field.
fn number(
    query: &HashMap<String, String>,
    field: &str,
    what: &str,
) -> Result<Option<u64>, HttpError> {
    match query.get(field).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
            HttpError(
                ApiError::rule(
                    "invalid_number",
                    format!("{what}（{field}）应为非负整数，收到“{v}”"),
                )
                .at(field),
            )
        }),
    }
}

async fn conn(state: &AppState) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, HttpError> {
    Ok(state
        .db
        .pool()
        .acquire()
        .await
        .map_err(crate::error::Error::from)?)
}

/// `GET /api/transparency/heads?before=ID`: public, no session.
pub async fn heads(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Heads>, HttpError> {
    let before =
        number(&query, "before", "树头编号")?.map(|b| i64::try_from(b).unwrap_or(i64::MAX));
    let mut conn = conn(&state).await?;
    let latest = transparency::latest(&mut conn)
        .await
        .map_err(crate::error::Error::from)?;
    let heads = transparency::history(&mut conn, before, HEADS_PAGE)
        .await
        .map_err(crate::error::Error::from)?
        .into_iter()
        .map(|(id, head)| HeadEntry { id, head })
        .collect();
    Ok(Json(Heads {
        public_key: state.head_key.public_hex(),
        latest,
        heads,
    }))
}

/// `GET /api/transparency/inclusion?seq=N&size=M`: public, no session. `size` defaults to the
/// newest head's.
pub async fn inclusion(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<InclusionProof>, HttpError> {
    let seq = number(&query, "seq", "审计记录序号")?.ok_or_else(|| {
        HttpError(ApiError::rule("missing_field", "请给出审计记录序号（seq）").at("seq"))
    })?;
    let size = number(&query, "size", "树头大小")?;
    let mut conn = conn(&state).await?;
    Ok(Json(transparency::inclusion(&mut conn, seq, size).await?))
}

/// `GET /api/transparency/consistency?from=M&to=N`: public, no session. `to` defaults to the
/// newest head's size.
pub async fn consistency(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<ConsistencyProof>, HttpError> {
    let from = number(&query, "from", "较早树头的大小")?.ok_or_else(|| {
        HttpError(ApiError::rule("missing_field", "请给出较早树头的大小（from）").at("from"))
    })?;
    let to = number(&query, "to", "较新树头的大小")?;
    let mut conn = conn(&state).await?;
    Ok(Json(transparency::consistency(&mut conn, from, to).await?))
}
