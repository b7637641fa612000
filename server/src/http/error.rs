//! How errors leave the server: a JSON body with a stable code and a Chinese message. Server
//! faults are logged in full and shown as `internal`, never with their details.

use app::error::ApiError;
use axum::{
    http::{HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

/// An [`ApiError`] on its way out as an HTTP response.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<domain::FieldError> for HttpError {
    fn from(e: domain::FieldError) -> Self {
        Self(e.into())
    }
}

/// Every field error of a value, answered with the first: the client shows it at its field.
impl From<Vec<domain::FieldError>> for HttpError {
    fn from(errors: Vec<domain::FieldError>) -> Self {
        errors
            .into_iter()
            .next()
            .map(Self::from)
            .unwrap_or_else(|| Self(ApiError::bad_request("内容无效")))
    }
}

impl From<sqlx::Error> for HttpError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error");
        Self(ApiError::internal())
    }
}

impl From<anyhow::Error> for HttpError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!(error = ?e, "internal error");
        Self(ApiError::internal())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.0)).into_response();
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        response
    }
}

/// A refusal of the core as it is; a fault logged and answered as `internal`.
impl From<crate::error::Error> for HttpError {
    fn from(e: crate::error::Error) -> Self {
        Self(e.into_api())
    }
}

impl HttpError {
    /// The error as a response asking the client to come back in `secs` seconds (`Retry-After`).
    pub fn with_retry_after(self, secs: u64) -> Response {
        let mut response = self.into_response();
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        response
    }
}
