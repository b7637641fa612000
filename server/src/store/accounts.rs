//! Accounts: users, sessions (only token hashes) and failed logins.

use anyhow::Context as _;
use app::api::SessionUser;

use super::Conn;

/// The database answers at all (the health check).
pub async fn ping(conn: &mut Conn) -> anyhow::Result<()> {
    sqlx::query!("SELECT 1 AS one")
        .fetch_one(&mut *conn)
        .await
        .context("The database does not answer")?;
    Ok(())
}

/// A new user; `None` when the username is taken. `must_change`: the password is a temporary
/// one, to be changed at the first sign-in.
#[tracing::instrument(level = "debug", skip(conn, password_hash))]
pub async fn insert_user(
    conn: &mut Conn,
    username: &str,
    display_name: &str,
    password_hash: &str,
    unit_id: i64,
    must_change: bool,
    now: i64,
) -> anyhow::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"INSERT INTO users (username, display_name, password_hash, unit_id, must_change_password, created_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (username) DO NOTHING RETURNING id AS "id!: i64""#,
        username,
        display_name,
        password_hash,
        unit_id,
        must_change,
        now
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to insert a user")
}

/// The id of the user `username`, created as given when missing (the demo seed).
pub async fn ensure_user(
    conn: &mut Conn,
    username: &str,
    display_name: &str,
    unit_id: i64,
    password_hash: &str,
    now: i64,
) -> anyhow::Result<i64> {
    if let Some(id) = insert_user(
        conn,
        username,
        display_name,
        password_hash,
        unit_id,
        false,
        now,
    )
    .await?
    {
        return Ok(id);
    }
    sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM users WHERE username = ?"#,
        username
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to find a user")
}

/// What a login checks: an active user's id, names and password hash.
pub struct LoginRow {
    pub user: SessionUser,
    pub password_hash: String,
}

/// The active user `username`, for a login.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn active_user(conn: &mut Conn, username: &str) -> anyhow::Result<Option<LoginRow>> {
    Ok(sqlx::query!(
        r#"SELECT id AS "id!: i64", username, display_name, password_hash,
                  must_change_password AS "must_change: bool"
           FROM users WHERE username = ? AND active = 1"#,
        username
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a user for login")?
    .map(|r| LoginRow {
        user: SessionUser {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            must_change_password: r.must_change,
        },
        password_hash: r.password_hash,
    }))
}

/// The name of the unit a user belongs to.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn unit_name(conn: &mut Conn, user_id: i64) -> anyhow::Result<String> {
    sqlx::query_scalar!(
        "SELECT o.name FROM users u JOIN org_units o ON o.id = u.unit_id WHERE u.id = ?",
        user_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to load a user's unit")
}

/// Opens a session (its token's hash), sweeping expired ones on this rare write path rather than
/// on every read.
#[tracing::instrument(level = "debug", skip(conn, token_hash))]
pub async fn insert_session(
    conn: &mut Conn,
    token_hash: &str,
    user_id: i64,
    (now, expires): (i64, i64),
    user_agent: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query!("DELETE FROM sessions WHERE expires_at <= ?", now)
        .execute(&mut *conn)
        .await
        .context("Failed to sweep expired sessions")?;
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, user_agent) VALUES (?, ?, ?, ?, ?)",
        token_hash,
        user_id,
        now,
        expires,
        user_agent
    )
    .execute(&mut *conn)
    .await
    .context("Failed to insert a session")?;
    Ok(())
}

/// The user of a live session; expired sessions and deactivated users are no session.
pub async fn session_user(
    conn: &mut Conn,
    token_hash: &str,
    now: i64,
    idle_since: i64,
) -> anyhow::Result<Option<(SessionUser, i64)>> {
    Ok(sqlx::query!(
        r#"SELECT u.id AS "id!: i64", u.username, u.display_name,
                  u.must_change_password AS "must_change: bool",
                  COALESCE(s.last_seen_at, s.created_at) AS "seen!: i64"
           FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = ? AND s.expires_at > ? AND u.active = 1
             AND COALESCE(s.last_seen_at, s.created_at) > ?"#,
        token_hash,
        now,
        idle_since
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to look up a session")?
    .map(|r| {
        (
            SessionUser {
                id: r.id,
                username: r.username,
                display_name: r.display_name,
                must_change_password: r.must_change,
            },
            r.seen,
        )
    }))
}

/// Marks a session used now.
pub async fn touch_session(conn: &mut Conn, token_hash: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
        now,
        token_hash
    )
    .execute(&mut *conn)
    .await
    .context("Failed to mark a session used")?;
    Ok(())
}

/// Ends every session of a user. Returns how many there were.
pub async fn delete_sessions_of(conn: &mut Conn, user_id: i64) -> anyhow::Result<u64> {
    let done = sqlx::query!("DELETE FROM sessions WHERE user_id = ?", user_id)
        .execute(&mut *conn)
        .await
        .context("Failed to end a user's sessions")?;
    Ok(done.rows_affected())
}

/// Ends a session.
pub async fn delete_session(conn: &mut Conn, token_hash: &str) -> anyhow::Result<()> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = ?", token_hash)
        .execute(&mut *conn)
        .await
        .context("Failed to delete a session")?;
    Ok(())
}

/// Ends the sessions whose token hashes are given; returns the users whose sessions ended (one
/// per session).
pub async fn end_sessions(conn: &mut Conn, token_hashes: &[String]) -> anyhow::Result<Vec<i64>> {
    let hashes = serde_json::to_string(token_hashes)?;
    let ended = sqlx::query_scalar!(
        r#"DELETE FROM sessions WHERE token_hash IN (SELECT value FROM json_each(?))
           RETURNING user_id AS "user_id!: i64""#,
        hashes
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to end sessions")?;
    Ok(ended)
}

/// Failed logins in a window: how many, and when the oldest and the latest were.
pub struct Failures {
    pub count: i64,
    pub oldest: Option<i64>,
    pub latest: Option<i64>,
}

/// Failed logins of an account from one address since `since`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn failures_of_pair(
    conn: &mut Conn,
    username: &str,
    address: &str,
    since: i64,
) -> anyhow::Result<Failures> {
    let row = sqlx::query!(
        r#"SELECT COUNT(*) AS "n!: i64", MIN(at) AS "oldest: i64", MAX(at) AS "latest: i64"
           FROM login_failures WHERE username = ? AND address = ? AND at > ?"#,
        username,
        address,
        since
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count failed logins of an account from an address")?;
    Ok(Failures {
        count: row.n,
        oldest: row.oldest,
        latest: row.latest,
    })
}

/// Whether the account has signed in from `address` since `since`.
pub async fn is_known_address(
    conn: &mut Conn,
    username: &str,
    address: &str,
    since: i64,
) -> anyhow::Result<bool> {
    let known = sqlx::query_scalar!(
        r#"SELECT 1 AS "known!: i64" FROM login_addresses WHERE username = ? AND address = ? AND last_success > ?"#,
        username,
        address,
        since
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to look up a known address")?;
    Ok(known.is_some())
}

/// Remembers a successful sign-in from `address`.
pub async fn remember_address(
    conn: &mut Conn,
    username: &str,
    address: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO login_addresses (username, address, last_success) VALUES (?, ?, ?)
         ON CONFLICT (username, address) DO UPDATE SET last_success = excluded.last_success",
        username,
        address,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to remember a sign-in address")?;
    Ok(())
}

/// Forgets an account's failed logins from one address.
pub async fn clear_failures_of_pair(
    conn: &mut Conn,
    username: &str,
    address: &str,
) -> anyhow::Result<()> {
    sqlx::query!(
        "DELETE FROM login_failures WHERE username = ? AND address = ?",
        username,
        address
    )
    .execute(&mut *conn)
    .await
    .context("Failed to clear failed logins from an address")?;
    Ok(())
}

/// Failed logins of an account since `since`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn failures_of_account(
    conn: &mut Conn,
    username: &str,
    since: i64,
) -> anyhow::Result<Failures> {
    let row = sqlx::query!(
        r#"SELECT COUNT(*) AS "n!: i64", MIN(at) AS "oldest: i64" FROM login_failures WHERE username = ? AND at > ?"#,
        username,
        since
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count an account's failed logins")?;
    Ok(Failures {
        count: row.n,
        oldest: row.oldest,
        latest: None,
    })
}

/// Failed logins from an address since `since`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn failures_of_address(
    conn: &mut Conn,
    address: &str,
    since: i64,
) -> anyhow::Result<Failures> {
    let row = sqlx::query!(
        r#"SELECT COUNT(*) AS "n!: i64", MIN(at) AS "oldest: i64" FROM login_failures WHERE address = ? AND at > ?"#,
        address,
        since
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count an address's failed logins")?;
    Ok(Failures {
        count: row.n,
        oldest: row.oldest,
        latest: None,
    })
}

/// Records a failed login and forgets those at or before `expired`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn record_failure(
    conn: &mut Conn,
    username: &str,
    address: &str,
    now: i64,
    expired: i64,
) -> anyhow::Result<()> {
    sqlx::query!("DELETE FROM login_failures WHERE at <= ?", expired)
        .execute(&mut *conn)
        .await
        .context("Failed to forget old failed logins")?;
    sqlx::query!(
        "INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)",
        username,
        address,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a failed login")?;
    Ok(())
}

/// Forgets an account's failed logins.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn clear_failures(conn: &mut Conn, username: &str) -> anyhow::Result<u64> {
    let done = sqlx::query!("DELETE FROM login_failures WHERE username = ?", username)
        .execute(&mut *conn)
        .await
        .context("Failed to clear failed logins")?;
    Ok(done.rows_affected())
}

/// An account as an administrator manages it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub unit_id: i64,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub admin: bool,
    pub password_hash: String,
}

/// The account with this login name, active or not.
pub async fn account(conn: &mut Conn, username: &str) -> anyhow::Result<Option<Account>> {
    Ok(sqlx::query!(
        r#"SELECT id AS "id!: i64", unit_id AS "unit_id!: i64", username, display_name, password_hash,
                  active AS "active: bool",
                  EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = users.id AND r.role = 'admin') AS "admin!: bool"
           FROM users WHERE username = ?"#,
        username
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load an account")?
    .map(|r| Account {
        id: r.id,
        unit_id: r.unit_id,
        username: r.username,
        display_name: r.display_name,
        active: r.active,
        admin: r.admin,
        password_hash: r.password_hash,
    }))
}

/// The account with this id, active or not.
pub async fn account_by_id(conn: &mut Conn, id: i64) -> anyhow::Result<Option<Account>> {
    let Some(username) = sqlx::query_scalar!("SELECT username FROM users WHERE id = ?", id)
        .fetch_optional(&mut *conn)
        .await
        .context("Failed to find an account")?
    else {
        return Ok(None);
    };
    account(conn, &username).await
}

/// How many active accounts hold the administrator role.
pub async fn active_admins(conn: &mut Conn) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT COUNT(DISTINCT u.id) AS "n!: i64" FROM users u
           JOIN role_assignments r ON r.user_id = u.id AND r.role = 'admin'
           WHERE u.active = 1"#
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count administrators")
}

/// Activates or deactivates an account.
pub async fn set_active(conn: &mut Conn, user_id: i64, active: bool) -> anyhow::Result<()> {
    sqlx::query!("UPDATE users SET active = ? WHERE id = ?", active, user_id)
        .execute(&mut *conn)
        .await
        .context("Failed to change an account's state")?;
    Ok(())
}

/// Sets a password hash, and whether it must be changed at the next sign-in.
pub async fn set_password(
    conn: &mut Conn,
    user_id: i64,
    hash: &str,
    must_change: bool,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?",
        hash,
        must_change,
        user_id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to set a password")?;
    Ok(())
}

/// Ends every session of a user but one. Returns how many ended.
pub async fn delete_other_sessions(
    conn: &mut Conn,
    user_id: i64,
    keep_hash: &str,
) -> anyhow::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
        user_id,
        keep_hash
    )
    .execute(&mut *conn)
    .await
    .context("Failed to end a user's other sessions")?;
    Ok(done.rows_affected())
}

/// An account in the administrator's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub unit_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit: String,
    pub active: bool,
    pub admin: bool,
    pub must_change: bool,
}

/// Every account, by unit and login name.
pub async fn all(conn: &mut Conn) -> anyhow::Result<Vec<Listed>> {
    Ok(sqlx::query!(
        r#"SELECT u.id AS "id!: i64", u.unit_id AS "unit_id!: i64", u.username, u.display_name,
                  o.name AS unit, u.active AS "active: bool",
                  u.must_change_password AS "must_change: bool",
                  EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = u.id AND r.role = 'admin') AS "admin!: bool"
           FROM users u JOIN org_units o ON o.id = u.unit_id
           ORDER BY o.name, u.username"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list accounts")?
    .into_iter()
    .map(|r| Listed {
        id: r.id,
        unit_id: r.unit_id,
        username: r.username,
        display_name: r.display_name,
        unit: r.unit,
        active: r.active,
        admin: r.admin,
        must_change: r.must_change,
    })
    .collect())
}

/// A user's live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub token_hash: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub user_agent: Option<String>,
}

/// A user's sessions that have not expired, most recently used first.
pub async fn sessions_of(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
) -> anyhow::Result<Vec<LiveSession>> {
    Ok(sqlx::query!(
        r#"SELECT token_hash, created_at AS "created_at!: i64",
                  COALESCE(last_seen_at, created_at) AS "last_seen!: i64", user_agent
           FROM sessions WHERE user_id = ? AND expires_at > ?
           ORDER BY COALESCE(last_seen_at, created_at) DESC"#,
        user_id,
        now
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list a user's sessions")?
    .into_iter()
    .map(|r| LiveSession {
        token_hash: r.token_hash,
        created_at: r.created_at,
        last_seen: r.last_seen,
        user_agent: r.user_agent,
    })
    .collect())
}

/// The account's offline signing key (hex): the one it has, or `fresh` stored as its first.
#[tracing::instrument(level = "debug", skip(conn, fresh))]
pub async fn offline_key_or(
    conn: &mut Conn,
    user_id: i64,
    fresh: &str,
    now: i64,
) -> anyhow::Result<String> {
    sqlx::query!(
        "INSERT INTO offline_keys (user_id, key, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
        user_id,
        fresh,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to issue an offline signing key")?;
    offline_key(conn, user_id)
        .await?
        .context("An offline signing key just issued is missing")
}

/// The account's offline signing key (hex), if it has one.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn offline_key(conn: &mut Conn, user_id: i64) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar!("SELECT key FROM offline_keys WHERE user_id = ?", user_id)
        .fetch_optional(&mut *conn)
        .await
        .context("Failed to read an offline signing key")
}

/// Revokes the account's offline signing key: signings made offline with it are refused.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn revoke_offline_key(conn: &mut Conn, user_id: i64) -> anyhow::Result<()> {
    sqlx::query!("DELETE FROM offline_keys WHERE user_id = ?", user_id)
        .execute(&mut *conn)
        .await
        .context("Failed to revoke an offline signing key")?;
    Ok(())
}
