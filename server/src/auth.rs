//! Accounts: argon2id password hashes, cookie sessions that expire, rate-limited logins.

pub mod password;
pub mod ratelimit;
pub mod session;

use app::api::SessionUser;
use domain::account::Username;

use crate::{db::Db, error::Result, store};

/// What became of a login attempt.
pub enum Attempt {
    /// Signed in: the user and the session token for the cookie.
    Success(SessionUser, String),
    WrongPassword,
    Limited(ratelimit::Limited),
}

/// Counts the attempt as a failure *before* checking the password (in one immediate write
/// transaction, so parallel guesses cannot all slip under the limit), checks the password outside
/// any transaction, and on success forgets the failures and opens a session. An unknown user
/// costs the same argon2 work as a wrong password.
pub async fn login(
    db: &Db,
    username: &Username,
    password: String,
    address: &str,
    session_secs: i64,
) -> Result<Attempt> {
    let name = username.as_str();
    let mut tx = db.begin_write().await?;
    if let Some(limited) = ratelimit::check(&mut tx, name, address).await? {
        tx.commit().await?;
        return Ok(Attempt::Limited(limited));
    }
    ratelimit::record_failure(&mut tx, name, address).await?;
    tx.commit().await?;

    let mut conn = db.pool().acquire().await?;
    let row = store::accounts::active_user(&mut conn, name).await?;
    drop(conn);
    let stored = row
        .as_ref()
        .map(|r| r.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &stored))
        .await
        .map_err(|e| anyhow::anyhow!("Failed to join the password check: {e}"))?;
    let Some(row) = row.filter(|_| matches) else {
        return Ok(Attempt::WrongPassword);
    };

    let mut tx = db.begin_write().await?;
    ratelimit::clear_account(&mut tx, name).await?;
    let token = session::create(&mut tx, row.user.id, session_secs).await?;
    tx.commit().await?;
    Ok(Attempt::Success(row.user, token))
}
