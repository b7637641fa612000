//! The unit's risk table in and out: exports as CSV and XLSX for those who read the unit's sheets,
//! and imports (a dry run first, then applied in slices) for the unit's liaison or an
//! administrator. The work itself is in [`crate::exchange`].

use app::{
    api::SessionUser,
    error::{ApiError, ErrorCode},
    write::ImportQuery,
};
use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
    Extension, Json,
};
use domain::ids::OrgUnitId;

use super::{
    error::HttpError,
    state::{signed_in, who, AppState},
};
use crate::exchange::{self, ImportError, ImportMode, ImportReport, ImportScope};

/// `GET /api/units/{id}/export.csv` and `.xlsx`.
pub async fn export(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path((unit_id, format)): Path<(i64, String)>,
) -> Result<Response, HttpError> {
    let user = signed_in(user)?;
    let (person, org) = who(&state, &user).await?;
    let unit = OrgUnitId(unit_id);
    if !person.principal.may_read_unit(&org.tree, unit) {
        return Err(ApiError::forbidden().into());
    }
    let name = org.name(unit_id);
    let rows = exchange::export_unit(state.db.pool(), unit_id).await?;
    let (bytes, mime, ext) = match format.as_str() {
        "export.csv" => (exchange::to_csv(&rows), mime_of("csv"), "csv"),
        "export.xlsx" => (exchange::to_xlsx(&rows)?, mime_of("xlsx"), "xlsx"),
        _ => return Err(ApiError::not_found("该导出格式").into()),
    };
    let file = format!("{name}岗位廉政风险台账.{ext}");
    Ok(download(
        &file,
        &format!("lianfang-{unit_id}.{ext}"),
        mime,
        bytes,
    ))
}

/// The MIME type of an export by its extension.
pub(super) fn mime_of(ext: &str) -> &'static str {
    match ext {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "text/csv; charset=utf-8",
    }
}

/// A file to save: its Chinese name for browsers that read `filename*`, and an ASCII fallback.
pub(super) fn download(file: &str, fallback: &str, mime: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        super::guard::encode_query_value(file)
    );
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// `POST /api/units/{id}/import?dry_run=true` (report only) or `?offset=N&limit=M` (apply a
/// slice). The body is the file itself: XLSX, CSV or tab-separated text.
pub async fn import(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(unit_id): Path<i64>,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<Json<ImportReport>, HttpError> {
    let user = signed_in(user)?;
    let (person, org) = who(&state, &user).await?;
    let unit = OrgUnitId(unit_id);
    if !person.principal.may_import(&org.tree, unit) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "只有本单位的纪检联络员或系统管理员才能导入风险台账",
        )
        .into());
    }
    let mode = ImportMode::asked(query.dry_run, query.offset, query.limit);
    let scope = ImportScope::Units {
        units: vec![unit],
        marks_posts: person.principal.may_mark_posts(&org.tree, unit),
    };
    let actor = crate::actor::Actor::User(&user);
    match exchange::import_as(&state.db, actor, &body, &scope, mode).await {
        Ok(report) => Ok(Json(report)),
        Err(ImportError::File(e)) => Err(e.into()),
        Err(ImportError::Internal(e)) => Err(e.into()),
    }
}
