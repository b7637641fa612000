//! Who does an accountable act: a signed-in user from the web (whose rights are checked by the
//! engine doing the act), or the operator at the command line (who has the machine, and with it
//! the database). Every act is recorded in the audit log with where it came from.

use app::api::SessionUser;
use domain::access::Principal;
use serde_json::Value;

use crate::{
    audit,
    db::{now_ms, Db},
    error::Result,
    store,
};

/// Who acts.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    User(&'a SessionUser),
    Operator,
}

impl Actor<'_> {
    /// The acting user's id; none for the operator.
    pub fn id(&self) -> Option<i64> {
        match self {
            Self::User(u) => Some(u.id),
            Self::Operator => None,
        }
    }

    /// Where the act came from, as the audit log records it.
    pub fn via(&self) -> &'static str {
        match self {
            Self::User(_) => "web",
            Self::Operator => "cli",
        }
    }

    /// Deny by default: a user from the web must pass `allowed`; the operator always does.
    pub async fn check(&self, db: &Db, allowed: impl Fn(&Principal) -> bool) -> Result<()> {
        if let Self::User(user) = self {
            let person = db.directory().person(user.id).await?;
            if !allowed(&person.principal) {
                return Err(app::error::ApiError::forbidden().into());
            }
        }
        Ok(())
    }

    /// Appends the act to the audit log: `kind` on `subject`, with `payload` and where it came
    /// from.
    pub async fn record(
        &self,
        conn: &mut store::Conn,
        kind: &str,
        subject: &str,
        mut payload: Value,
    ) -> Result<()> {
        if let Value::Object(map) = &mut payload {
            map.insert("via".to_owned(), Value::from(self.via()));
        }
        audit::append(conn, kind, self.id(), subject, &payload, now_ms()).await?;
        Ok(())
    }
}
