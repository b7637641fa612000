//! Running accounts: an administrator's password reset (changed at the next sign-in),
//! deactivation and reactivation, and each user's own password change. Every act is in the audit
//! log; a deactivated or reset account's sessions end at once.

use app::api::SessionUser;
use domain::account::{check_deactivation, NewPassword};
use serde_json::json;

use crate::{
    audit,
    auth::{self, password, session},
    db::{now_ms, Db},
    error::{Error, Result},
    store::{self, accounts::Account},
};

/// Who acts: a signed-in administrator (checked here), or the operator at the command line.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    User(&'a SessionUser),
    Operator,
}

impl Actor<'_> {
    fn id(&self) -> Option<i64> {
        match self {
            Self::User(u) => Some(u.id),
            Self::Operator => None,
        }
    }

    fn via(&self) -> &'static str {
        match self {
            Self::User(_) => "web",
            Self::Operator => "cli",
        }
    }

    /// Appends the act on `account` to the audit log.
    async fn record(&self, conn: &mut store::Conn, kind: &str, account: &Account) -> Result<()> {
        let subject = format!("user:{}", account.username);
        let payload = json!({ "via": self.via() });
        audit::append(conn, kind, self.id(), &subject, &payload, now_ms()).await?;
        Ok(())
    }

    /// Deny by default: only an administrator manages accounts from the web.
    async fn check(&self, db: &Db) -> Result<()> {
        if let Self::User(user) = self {
            let person = db.directory().person(user.id).await?;
            if !person.principal.may_manage_accounts() {
                return Err(app::error::ApiError::forbidden().into());
            }
        }
        Ok(())
    }
}

async fn target(db: &Db, username: &str) -> Result<Account> {
    let mut conn = db.pool().acquire().await?;
    store::accounts::account(&mut conn, username)
        .await?
        .ok_or_else(|| app::error::ApiError::not_found("该账号").into())
}

async fn hash(password: NewPassword) -> Result<String> {
    let hashed = tokio::task::spawn_blocking(move || password::hash(password.expose()))
        .await
        .map_err(|e| anyhow::anyhow!("Failed to join the password hashing: {e}"))??;
    Ok(hashed)
}

/// Deactivates (`active: false`) or reactivates an account. A deactivated account's sessions end
/// at once; its history (sheets, signatures, the audit log) stays.
pub async fn set_active(db: &Db, actor: Actor<'_>, username: &str, active: bool) -> Result<()> {
    actor.check(db).await?;
    let account = target(db, username).await?;
    let mut tx = db.begin_write().await?;
    if !active {
        let admins = store::accounts::active_admins(&mut tx).await?;
        check_deactivation(
            actor.id(),
            account.id,
            account.admin && account.active,
            usize::try_from(admins).unwrap_or(0),
        )?;
    }
    store::accounts::set_active(&mut tx, account.id, active).await?;
    if !active {
        store::accounts::delete_sessions_of(&mut tx, account.id).await?;
    }
    let kind = if active {
        "account_reactivated"
    } else {
        "account_deactivated"
    };
    actor.record(&mut tx, kind, &account).await?;
    tx.commit().await?;
    Ok(())
}

/// An administrator sets a temporary password: the account's sessions end, and its owner must
/// change it at the next sign-in before doing anything else.
pub async fn reset_password(
    db: &Db,
    actor: Actor<'_>,
    username: &str,
    temporary: &str,
) -> Result<()> {
    actor.check(db).await?;
    let temporary = NewPassword::parse(temporary)?;
    let account = target(db, username).await?;
    let hashed = hash(temporary).await?;
    let mut tx = db.begin_write().await?;
    store::accounts::set_password(&mut tx, account.id, &hashed, true).await?;
    store::accounts::delete_sessions_of(&mut tx, account.id).await?;
    auth::ratelimit::unlock(&mut tx, &account.username).await?;
    actor.record(&mut tx, "password_reset", &account).await?;
    tx.commit().await?;
    Ok(())
}

/// An administrator lifts an account's failed-password delays (from every address).
pub async fn unlock(db: &Db, actor: Actor<'_>, username: &str) -> Result<u64> {
    actor.check(db).await?;
    let account = target(db, username).await?;
    let mut tx = db.begin_write().await?;
    let forgotten = auth::ratelimit::unlock(&mut tx, &account.username).await?;
    actor.record(&mut tx, "login_unlocked", &account).await?;
    tx.commit().await?;
    Ok(forgotten)
}

/// A user changes their own password, giving the current one (checked under the login limits).
/// Their other sessions end; this one, `token`, stays.
pub async fn change_password(
    db: &Db,
    user: &SessionUser,
    token: &str,
    address: &str,
    current: String,
    new: &str,
) -> Result<()> {
    let new = NewPassword::parse(new)?;
    if new.expose() == current {
        return Err(Error::refused("same_password", "新密码不能与当前密码相同"));
    }
    let account = target(db, &user.username).await?;
    match auth::check_password(
        db,
        &account.username,
        address,
        current,
        Some(account.password_hash.clone()),
    )
    .await?
    {
        auth::Checked::Correct => {}
        auth::Checked::Wrong => {
            return Err(Error::refused(
                "wrong_password",
                "当前密码不正确，密码未修改",
            ))
        }
        auth::Checked::Limited(limited) => {
            return Err(Error::refused(
                "rate_limited",
                format!(
                    "密码错误次数过多，请 {} 分钟后再试",
                    (limited.retry_after_secs() + 59) / 60
                ),
            ))
        }
    }
    let hashed = hash(new).await?;
    let mut tx = db.begin_write().await?;
    store::accounts::set_password(&mut tx, account.id, &hashed, false).await?;
    let ended =
        store::accounts::delete_other_sessions(&mut tx, account.id, &session::token_hash(token))
            .await?;
    audit::append(
        &mut tx,
        "password_changed",
        Some(account.id),
        &format!("user:{}", account.username),
        &json!({ "other_sessions_ended": ended }),
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the user but `token`. Returns how many ended.
pub async fn end_other_sessions(db: &Db, user: &SessionUser, token: &str) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let ended =
        store::accounts::delete_other_sessions(&mut tx, user.id, &session::token_hash(token))
            .await?;
    tx.commit().await?;
    Ok(ended)
}
