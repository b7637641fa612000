//! 组织机构 endpoints: units and posts (an administrator's), the import and export of the
//! organisation table and the roster. The work is done by [`crate::org`] and [`crate::roster`].

use app::{
    api::{
        district::{OrgTable, RosterReportView},
        SessionUser,
    },
    error::ApiError,
    write::{CreatePost, CreateUnit, Created, Done, RosterImportQuery, UpdatePost, UpdateUnit},
};
use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    response::Response,
    Extension, Json,
};

use super::{
    error::HttpError,
    exchange::{download, mime_of},
    state::{signed_in, AppState},
};
use crate::{actor::Actor, exchange::ImportMode, org, roster};

/// `POST /api/org/units`.
pub async fn create_unit(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<CreateUnit>,
) -> Result<Json<Created>, HttpError> {
    let user = signed_in(user)?;
    let new = org::NewUnit {
        parent_id: body.parent_id,
        name: &body.name,
        kind: Some(&body.kind),
        district_leader: &body.district_leader,
    };
    let id = org::create_unit(&state.db, Actor::User(&user), &new).await?;
    Ok(Json(Created { id }))
}

/// `POST /api/org/units/{id}`.
pub async fn update_unit(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<UpdateUnit>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    org::update_unit(
        &state.db,
        Actor::User(&user),
        id,
        &body.name,
        &body.district_leader,
    )
    .await?;
    Ok(Json(Done::YES))
}

/// `POST /api/org/posts`.
pub async fn create_post(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<CreatePost>,
) -> Result<Json<Created>, HttpError> {
    let user = signed_in(user)?;
    let id = org::create_post(
        &state.db,
        Actor::User(&user),
        body.unit_id,
        &body.title,
        &body.level,
    )
    .await?;
    Ok(Json(Created { id }))
}

/// `POST /api/org/posts/{id}`.
pub async fn update_post(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<UpdatePost>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    org::update_post(&state.db, Actor::User(&user), id, &body.title, &body.level).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/org/import?table=units|staff&dry_run=true` or `&offset=N&limit=M`; the body is
/// the file.
pub async fn import(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Query(query): Query<RosterImportQuery>,
    body: Bytes,
) -> Result<Json<RosterReportView>, HttpError> {
    let user = signed_in(user)?;
    let mode = ImportMode::asked(query.dry_run, query.offset, query.limit);
    match roster::import(&state.db, Actor::User(&user), query.table, &body, mode).await {
        Ok(report) => Ok(Json(report)),
        Err(roster::RosterError::Refused(e)) => Err(e.into()),
    }
}

/// `GET /api/org/export/units.xlsx`, `staff.csv` and so on.
pub async fn export(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(file): Path<String>,
) -> Result<Response, HttpError> {
    let user = signed_in(user)?;
    let (table, format) = file
        .split_once('.')
        .and_then(|(t, f)| OrgTable::from_code(t).map(|t| (t, f)))
        .ok_or_else(|| ApiError::not_found("该导出"))?;
    let exported = roster::export(&state.db, Actor::User(&user), table, format).await?;
    Ok(download(
        &exported.file_name,
        &format!("lianfang-{}.{format}", table.code()),
        mime_of(format),
        exported.bytes,
    ))
}
