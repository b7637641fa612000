//! The error every server function and API endpoint returns: a stable code and a Chinese message,
//! never internals. The HTTP status follows from the code.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// An error a client may see. `code` is stable; `message` is Chinese and names the field and the
/// rule where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}（{code}）")]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new("unauthenticated", "尚未登录或登录已过期，请重新登录")
    }

    pub fn forbidden() -> Self {
        Self::new("forbidden", "您没有查看或操作此内容的权限")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new("not_found", format!("{what}不存在"))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("bad_request", message)
    }

    /// For failures that are the server's fault. The details go to the log, not to the client.
    pub fn internal() -> Self {
        Self::new(
            "internal",
            "服务器内部错误，请稍后重试；如持续出现请联系管理员",
        )
    }

    /// The HTTP status for this error's code.
    pub fn status(&self) -> u16 {
        match self.code.as_str() {
            "unauthenticated" | "invalid_credentials" => 401,
            "forbidden" | "csrf_rejected" => 403,
            "not_found" => 404,
            "wrong_user" => 409,
            "method_not_allowed" => 405,
            "payload_too_large" | "batch_too_large" => 413,
            "unsupported_media_type" => 415,
            "rate_limited" => 429,
            "internal" => 500,
            "unavailable" => 503,
            _ => 400,
        }
    }
}

impl From<domain::FieldError> for ApiError {
    fn from(e: domain::FieldError) -> Self {
        Self {
            code: e.code,
            message: e.message,
            field: Some(e.field),
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::MissingArg(detail)
            | ServerFnErrorErr::Deserialization(detail) => {
                Self::bad_request(format!("请求参数无效：{detail}"))
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                Self::new("network", "无法连接服务器，请检查网络后重试")
            }
            ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                Self::new("method_not_allowed", "不支持该请求方式")
            }
            _ => Self::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_codes_and_client_mistakes_are_never_500() {
        assert_eq!(ApiError::unauthenticated().status(), 401);
        assert_eq!(ApiError::forbidden().status(), 403);
        assert_eq!(ApiError::new("too_long", "x").status(), 400);
        let args = ApiError::from_server_fn_error(ServerFnErrorErr::Args("missing field".into()));
        assert_eq!(args.status(), 400);
        assert_eq!(ApiError::internal().status(), 500);
    }
}
