//! The error of the server's core (the engines and the store): a refusal the client should see,
//! or a fault of the server. Only `http` (and the server functions' adapter in `backend`) turns
//! it into an HTTP status; the core never knows about statuses.

use app::error::ApiError;

/// A refusal or a fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be done as asked (invalid input, no permission, the wrong stage): a
    /// stable code and a Chinese message for the user.
    #[error("{0}")]
    Refused(ApiError),
    /// Something failed that is not the user's doing (the database, a stored value the code
    /// does not know). Logged in full; the user sees only that the server failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A refusal with a code and a message.
    pub fn refused(code: &str, message: impl Into<String>) -> Self {
        Self::Refused(ApiError::rule(code, message))
    }

    /// The error as a client sees it: a refusal as it is, a fault logged here and reported as
    /// `internal`.
    pub fn into_api(self) -> ApiError {
        match self {
            Self::Refused(e) => e,
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ApiError::internal()
            }
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Refused(e)
    }
}

impl From<domain::FieldError> for Error {
    fn from(e: domain::FieldError) -> Self {
        Self::Refused(e.into())
    }
}

/// Every field error of a value, answered with the first: the client shows it at its field.
impl From<Vec<domain::FieldError>> for Error {
    fn from(errors: Vec<domain::FieldError>) -> Self {
        errors
            .into_iter()
            .next()
            .map(Self::from)
            .unwrap_or_else(|| Self::Refused(ApiError::bad_request("内容无效")))
    }
}

impl From<domain::chain::TransitionError> for Error {
    fn from(e: domain::chain::TransitionError) -> Self {
        Self::Refused(ApiError::rule(&e.code, e.message))
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("Database error"))
    }
}

/// A stored value the code does not accept: the database was edited by hand or by a newer
/// version. A fault of the server, never the user's.
pub fn corrupt(what: &str, error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("stored {what} rejected: {error}")
}
