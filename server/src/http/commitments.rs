//! Signing a commitment, reminding the unsigned, and the commission's template: the requests
//! read here, the work done by [`crate::commitments`].

use std::net::SocketAddr;

use app::{
    api::SessionUser,
    write::{Done, SaveTemplate, SignCommitment, Signed, TemplateSaved},
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::HeaderMap,
    Extension, Json,
};

use super::{account::client_address, error::HttpError, state::signed_in, state::AppState};
use crate::commitments::{self, SignRequest};

/// `POST /api/commitments/{id}/sign`: the owner signs, with their password.
pub async fn sign(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<SignCommitment>,
) -> Result<Json<Signed>, HttpError> {
    let user = signed_in(user)?;
    let address = client_address(&state, peer, &headers);
    let request = SignRequest {
        signature: domain::commitment::SignatureInput {
            kind: body.kind,
            strokes: body.strokes,
            typed_name: body.typed_name,
        },
        password: body.password,
        confirmed: body.confirmed,
    };
    let (seal, token) = commitments::sign(&state.db, &user, id, request, &address).await?;
    // A head over the signature at once, so its verification page can prove it is in the log.
    crate::transparency::issue_after(
        &state.db,
        &state.head_key,
        &state.head_witnesses,
        "signature",
    )
    .await;
    Ok(Json(Signed { seal, token }))
}

/// `POST /api/commitments/{id}/remind`: reminds the signer of an unsigned commitment. The body
/// ([`app::write::RemindSigner`]) carries nothing and is not read.
pub async fn remind(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    commitments::remind(&state.db, &user, id).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/commitment-template`: the commission edits the template.
pub async fn save_template(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<SaveTemplate>,
) -> Result<Json<TemplateSaved>, HttpError> {
    let user = signed_in(user)?;
    let id = commitments::save_template(&state.db, &user, body.post_level, &body.title, &body.body)
        .await?;
    Ok(Json(TemplateSaved { ok: true, id }))
}
