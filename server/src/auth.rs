//! Accounts: argon2id password hashes, cookie sessions that expire, rate-limited logins.

pub mod password;
pub mod ratelimit;
pub mod session;

use app::api::SessionUser;
use domain::account::Username;

use crate::{
    db::{now_ms, Db},
    error::Result,
    store,
};

/// What became of a login attempt.
pub enum Attempt {
    /// Signed in: the user, the session token for the cookie, and the account's offline signing
    /// key (hex) for the app to seal under the password on this device; none while the password
    /// is a temporary one that must be changed first.
    Success(SessionUser, String, Option<String>),
    WrongPassword,
    Limited(ratelimit::Limited),
}

/// What a password check under the failure limits found.
pub enum Checked {
    Correct,
    Wrong,
    Limited(ratelimit::Limited),
}

/// Password checks running at once. Limits are read inside the permit, so parallel guesses can
/// overshoot them by at most this many; argon2 would not run faster on two cores anyway.
static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Checks `password` against `stored` (an unknown account: `None`, which costs the same argon2
/// work as a wrong password) under the limits of [`ratelimit`]. A failure is counted only after
/// the check fails, so parallel correct passwords all pass; a success forgets this address's
/// failures and remembers the address.
pub async fn check_password(
    db: &Db,
    username: &str,
    address: &str,
    password: String,
    stored: Option<String>,
) -> Result<Checked> {
    let _permit = CHECKS
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("The password check semaphore closed: {e}"))?;
    let mut conn = db.pool().acquire().await?;
    if let Some(limited) = ratelimit::check(&mut conn, username, address, now_ms()).await? {
        return Ok(Checked::Limited(limited));
    }
    drop(conn);
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| password::dummy_hash().to_owned());
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &stored))
        .await
        .map_err(|e| anyhow::anyhow!("Failed to join the password check: {e}"))?;
    let mut tx = db.begin_write().await?;
    let checked = if matches && known {
        ratelimit::record_success(&mut tx, username, address, now_ms()).await?;
        Checked::Correct
    } else {
        ratelimit::record_failure(&mut tx, username, address, now_ms()).await?;
        Checked::Wrong
    };
    tx.commit().await?;
    Ok(checked)
}

/// Checks the password under the limits and on success opens a session.
/// Where a sign-in comes from.
pub struct Origin<'a> {
    pub address: &'a str,
    pub user_agent: Option<&'a str>,
}

pub async fn login(
    db: &Db,
    username: &Username,
    password: String,
    origin: &Origin<'_>,
    session_secs: i64,
) -> Result<Attempt> {
    let address = origin.address;
    let name = username.as_str();
    let mut conn = db.pool().acquire().await?;
    let row = store::accounts::active_user(&mut conn, name).await?;
    drop(conn);
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    match check_password(db, name, address, password, stored).await? {
        Checked::Limited(limited) => Ok(Attempt::Limited(limited)),
        Checked::Wrong => Ok(Attempt::WrongPassword),
        Checked::Correct => {
            let row = row.expect("a correct password belongs to an account");
            let mut tx = db.begin_write().await?;
            // The password was checked outside this transaction: an administrator may have
            // reset it, or deactivated the account, meanwhile. Then the old password opens
            // nothing.
            let current = store::accounts::active_user(&mut tx, name).await?;
            if current.as_ref().map(|r| &r.password_hash) != Some(&row.password_hash) {
                return Ok(Attempt::WrongPassword);
            }
            let token =
                session::create(&mut tx, row.user.id, session_secs, origin.user_agent).await?;
            let key = if row.user.must_change_password {
                None
            } else {
                let fresh = hex::encode(crate::secret::random_bytes::<32>());
                Some(store::accounts::offline_key_or(&mut tx, row.user.id, &fresh, now_ms()).await?)
            };
            tx.commit().await?;
            Ok(Attempt::Success(row.user, token, key))
        }
    }
}
