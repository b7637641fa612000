//! The error every server function and API endpoint returns: a stable code and a Chinese message,
//! never internals. The HTTP status follows from the code.

use std::fmt;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What went wrong, as a client can act on it. On the wire it is a plain string (`"forbidden"`,
/// `"too_long"`); each has exactly one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No session, or it expired.
    Unauthenticated,
    /// Wrong user name or password.
    InvalidCredentials,
    /// Signed in, but not allowed.
    Forbidden,
    /// A mutation without this site's origin or its CSRF header.
    CsrfRejected,
    NotFound,
    MethodNotAllowed,
    /// A sync for another account than the one signed in.
    WrongUser,
    PayloadTooLarge,
    /// More operations in one push than a push may carry.
    BatchTooLarge,
    UnsupportedMediaType,
    RateLimited,
    /// The server's fault; the details are in its log.
    Internal,
    /// The server is starting or stopping.
    Unavailable,
    /// A request the server cannot read at all.
    BadRequest,
    MalformedJson,
    /// A sync request that is JSON but not the protocol's shape.
    InvalidRequest,
    /// A push whose operations are not in queue order.
    BadSequence,
    /// A sync operation of a type this server does not know.
    UnknownOperation,
    /// The browser could not reach the server (never sent by the server).
    Network,
    /// The server answered with something that is not an error body (never sent by the server).
    Http,
    /// A rule of the domain refused a field or a step: its own code (`too_long`, `locked`,
    /// `stale`, `already_signed` …), with the message naming the field and the rule.
    Rule(String),
}

impl ErrorCode {
    /// Every code but [`ErrorCode::Rule`], for parsing.
    const NAMED: [Self; 20] = [
        Self::Unauthenticated,
        Self::InvalidCredentials,
        Self::Forbidden,
        Self::CsrfRejected,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::WrongUser,
        Self::PayloadTooLarge,
        Self::BatchTooLarge,
        Self::UnsupportedMediaType,
        Self::RateLimited,
        Self::Internal,
        Self::Unavailable,
        Self::BadRequest,
        Self::MalformedJson,
        Self::InvalidRequest,
        Self::BadSequence,
        Self::UnknownOperation,
        Self::Network,
        Self::Http,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::CsrfRejected => "csrf_rejected",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::WrongUser => "wrong_user",
            Self::PayloadTooLarge => "payload_too_large",
            Self::BatchTooLarge => "batch_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::BadRequest => "bad_request",
            Self::MalformedJson => "malformed_json",
            Self::InvalidRequest => "invalid_request",
            Self::BadSequence => "bad_sequence",
            Self::UnknownOperation => "unknown_operation",
            Self::Network => "network",
            Self::Http => "http",
            Self::Rule(code) => code,
        }
    }

    /// The code a string names: one of the named ones, or a domain rule's.
    pub fn parse(code: &str) -> Self {
        Self::NAMED
            .into_iter()
            .find(|c| c.as_str() == code)
            .unwrap_or_else(|| Self::Rule(code.to_owned()))
    }

    /// The HTTP status of an answer carrying this code.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden | Self::CsrfRejected => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::WrongUser => 409,
            Self::PayloadTooLarge | Self::BatchTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Network | Self::Http => 502,
            Self::Unavailable => 503,
            Self::BadRequest
            | Self::MalformedJson
            | Self::InvalidRequest
            | Self::BadSequence
            | Self::UnknownOperation
            | Self::Rule(_) => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> Self {
        Self::parse(code)
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self::parse(&s))
    }
}

/// An error a client may see. `code` is stable; `message` is Chinese and names the field and the
/// rule where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}（{code}）")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A refusal by a domain rule with its own code.
    pub fn rule(code: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::parse(code), message)
    }

    /// The same error, pointing at `field`.
    pub fn at(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "尚未登录或登录已过期，请重新登录",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "您没有查看或操作此内容的权限")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what}不存在"))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// For failures that are the server's fault. The details go to the log, not to the client.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "服务器内部错误，请稍后重试；如持续出现请联系管理员",
        )
    }

    /// The HTTP status for this error's code.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl From<domain::FieldError> for ApiError {
    fn from(e: domain::FieldError) -> Self {
        Self::rule(&e.code, e.message).at(&e.field)
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
                Self::new(ErrorCode::Network, "无法连接服务器，请检查网络后重试")
            }
            ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                Self::new(ErrorCode::MethodNotAllowed, "不支持该请求方式")
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
        assert_eq!(ApiError::rule("too_long", "x").status(), 400);
        let args = ApiError::from_server_fn_error(ServerFnErrorErr::Args("missing field".into()));
        assert_eq!(args.status(), 400);
        assert_eq!(ApiError::internal().status(), 500);
        for code in ErrorCode::NAMED {
            if code != ErrorCode::Internal {
                assert_ne!(code.status(), 500, "{code}");
            }
        }
    }

    #[test]
    fn every_named_code_reads_back_as_itself_and_a_rule_stays_a_rule() {
        for code in ErrorCode::NAMED {
            assert_eq!(ErrorCode::parse(code.as_str()), code);
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
        assert_eq!(
            ErrorCode::parse("locked"),
            ErrorCode::Rule("locked".to_owned())
        );
        let e: ApiError = serde_json::from_str(r#"{"code":"forbidden","message":"不行"}"#).unwrap();
        assert_eq!(e.code, ErrorCode::Forbidden);
    }
}
