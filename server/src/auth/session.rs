//! Cookie sessions. The cookie holds a random 256-bit token; the database holds only its SHA-256,
//! with an absolute expiry.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use sqlx::SqlitePool;

use app::api::SessionUser;

use crate::{
    db::{now_ms, Db},
    store::{self, Conn},
};

/// The cookie's name. With `Secure` it takes the `__Host-` prefix, which browsers accept only
/// from HTTPS, with `Path=/` and no `Domain`: a sibling subdomain cannot plant or overwrite it.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-lianfang_session"
    } else {
        "lianfang_session"
    }
}

/// Session cookie settings.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
    /// The absolute lifetime of a session.
    pub lifetime_secs: i64,
    /// A session unused this long has ended, whatever its lifetime.
    pub idle_secs: i64,
}

/// How stale a session's last-use time may get before a request writes it again: a session in
/// use costs one write a minute, not one per request.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

impl CookiePolicy {
    /// `Set-Cookie` for a new session: HttpOnly (no script reads it), SameSite=Lax (not sent on
    /// cross-site subrequests or POSTs), Secure behind TLS, and a Max-Age equal to the server-side
    /// expiry.
    pub fn set_cookie(&self, token: &str) -> String {
        format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            cookie_name(self.secure),
            self.lifetime_secs,
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear_cookie(&self) -> String {
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            cookie_name(self.secure),
            if self.secure { "; Secure" } else { "" }
        )
    }
}

/// Finds this server's session token in a `Cookie` header.
pub fn token_from_cookie_header(header: &str, secure: bool) -> Option<&str> {
    let name = cookie_name(secure);
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a session for `user_id` inside the caller's write transaction and returns the token to
/// put in the cookie.
pub async fn create(
    conn: &mut Conn,
    user_id: i64,
    lifetime_secs: i64,
    user_agent: Option<&str>,
) -> anyhow::Result<String> {
    let bytes = crate::secret::random_bytes::<32>();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = now_ms();
    // Only for telling devices apart: cut, never trusted.
    let user_agent = user_agent.map(|ua| ua.chars().take(200).collect::<String>());
    store::accounts::insert_session(
        conn,
        &token_hash(&token),
        user_id,
        (now, now + lifetime_secs * 1000),
        user_agent.as_deref(),
    )
    .await?;
    Ok(token)
}

/// The user a live session token belongs to, if any, marking the session used. Expired and idle
/// sessions and deactivated users count as no session.
pub async fn user_for_token(
    pool: &SqlitePool,
    token: &str,
    idle_secs: i64,
) -> anyhow::Result<Option<SessionUser>> {
    let mut conn = pool.acquire().await?;
    let (hash, now) = (token_hash(token), now_ms());
    let Some((user, seen)) =
        store::accounts::session_user(&mut conn, &hash, now, now - idle_secs * 1000).await?
    else {
        return Ok(None);
    };
    if now - seen >= TOUCH_EVERY_MS {
        store::accounts::touch_session(&mut conn, &hash, now).await?;
    }
    Ok(Some(user))
}

/// Ends every session of a user ("sign out everywhere"). Returns how many ended.
pub async fn delete_all(db: &Db, user_id: i64) -> anyhow::Result<u64> {
    let mut tx = db.begin_write().await?;
    let ended = store::accounts::delete_sessions_of(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(ended)
}

/// A session's sign-out handle: what a device keeps to end the session later, after its user
/// signed out while offline (`POST /api/sessions/end`). It is the hash the server stores, so it
/// cannot be used to sign in, only to end the session.
pub fn sign_out_handle(token: &str) -> String {
    token_hash(token)
}

/// Whether `value` has the shape of a sign-out handle.
pub fn is_sign_out_handle(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Ends the sessions of these sign-out handles, whoever's they are (holding a handle is the
/// right to end its session). Returns the users whose sessions ended, one per session.
pub async fn end_by_handles(db: &Db, handles: &[String]) -> anyhow::Result<Vec<i64>> {
    let mut tx = db.begin_write().await?;
    let ended = store::accounts::end_sessions(&mut tx, handles).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Ends a session.
pub async fn delete(db: &Db, token: &str) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    store::accounts::delete_session(&mut tx, &token_hash(token)).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_is_found_among_other_cookies() {
        let header = "theme=dark; lianfang_session=abc123; other=1";
        assert_eq!(token_from_cookie_header(header, false), Some("abc123"));
        assert_eq!(token_from_cookie_header(header, true), None);
        assert_eq!(token_from_cookie_header("lianfang_session=", false), None);
    }

    #[test]
    fn secure_cookies_use_the_host_prefix_and_the_secure_flag() {
        let policy = CookiePolicy {
            secure: true,
            lifetime_secs: 60,
            idle_secs: 60,
        };
        let cookie = policy.set_cookie("t");
        assert!(cookie.starts_with("__Host-lianfang_session=t;"));
        assert!(cookie.contains("; Secure"));
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
    }
}
