//! The one error shape for invalid input: a stable code, the field, and a Chinese message.

use serde::{Deserialize, Serialize};

/// A value that broke a rule. `code` is stable (clients may branch on it); `message` is for people
/// and names the field and the rule in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message} ({code})")]
pub struct FieldError {
    pub code: String,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
