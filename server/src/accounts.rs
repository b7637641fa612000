//! Running accounts: an administrator's password reset (changed at the next sign-in),
//! deactivation and reactivation, and each user's own password change. Every act is in the audit
//! log; a deactivated or reset account's sessions end at once.

use app::api::{district::RoleGrant, SessionUser};
use domain::{
    account::{check_admin_removal, check_deactivation, NewPassword, Role, Username},
    text::PersonName,
};
use serde_json::json;

pub use crate::actor::Actor;
use crate::{
    audit,
    auth::{self, password, session},
    db::{now_ms, Db},
    error::{Error, Result},
    store::{self, accounts::Account},
};

/// Deny by default: only an administrator manages accounts from the web.
async fn check(actor: Actor<'_>, db: &Db) -> Result<()> {
    actor.check(db, |p| p.may_manage_accounts()).await
}

/// Appends the act on `account` to the audit log.
async fn record(
    actor: Actor<'_>,
    conn: &mut store::Conn,
    kind: &str,
    account: &Account,
) -> Result<()> {
    let subject = format!("user:{}", account.username);
    actor.record(conn, kind, &subject, json!({})).await
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
    check(actor, db).await?;
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
        store::accounts::revoke_offline_key(&mut tx, account.id).await?;
    }
    let kind = if active {
        "account_reactivated"
    } else {
        "account_deactivated"
    };
    record(actor, &mut tx, kind, &account).await?;
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
    check(actor, db).await?;
    let temporary = NewPassword::parse(temporary)?;
    let account = target(db, username).await?;
    let hashed = hash(temporary).await?;
    let mut tx = db.begin_write().await?;
    store::accounts::set_password(&mut tx, account.id, &hashed, true).await?;
    store::accounts::delete_sessions_of(&mut tx, account.id).await?;
    // Whoever had the password may have signed offline with it: those signings are refused.
    store::accounts::revoke_offline_key(&mut tx, account.id).await?;
    auth::ratelimit::unlock(&mut tx, &account.username).await?;
    record(actor, &mut tx, "password_reset", &account).await?;
    tx.commit().await?;
    Ok(())
}

/// An administrator lifts an account's failed-password delays (from every address).
pub async fn unlock(db: &Db, actor: Actor<'_>, username: &str) -> Result<u64> {
    check(actor, db).await?;
    let account = target(db, username).await?;
    let mut tx = db.begin_write().await?;
    let forgotten = auth::ratelimit::unlock(&mut tx, &account.username).await?;
    record(actor, &mut tx, "login_unlocked", &account).await?;
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
    // Offline signings proved with the key sealed under the old password stop counting; the next
    // sign-in seals a new key under the new one.
    store::accounts::revoke_offline_key(&mut tx, account.id).await?;
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

/// A new account as an administrator or the operator asks for it.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub unit_id: i64,
    pub roles: &'a [RoleGrant],
    pub password: &'a str,
    /// The password is a temporary one, to be changed at the first sign-in (an administrator's
    /// account for someone else); the operator creating their own account sets a real one.
    pub temporary: bool,
}

/// Who already has the username, for the refusal.
async fn taken(conn: &mut store::Conn, username: &str) -> Result<Error> {
    let who = store::accounts::account(conn, username)
        .await?
        .map(|a| a.display_name)
        .unwrap_or_default();
    Ok(app::error::ApiError::rule(
        "duplicate_username",
        format!("用户名：“{username}”已被 {who} 使用，请换一个用户名"),
    )
    .at("username")
    .into())
}

/// The ids of every unit.
async fn unit_ids(conn: &mut store::Conn) -> Result<std::collections::HashSet<i64>> {
    Ok(store::org::units(conn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// Checks that every role reaches a unit that exists.
fn check_grants(grants: &[RoleGrant], units: &std::collections::HashSet<i64>) -> Result<()> {
    if let Some(bad) = grants.iter().find(|g| !units.contains(&g.scope_id)) {
        return Err(app::error::ApiError::rule(
            "unknown_unit",
            format!(
                "角色：{}的范围（单位编号 {}）不存在",
                bad.role.label(),
                bad.scope_id
            ),
        )
        .at("roles")
        .into());
    }
    Ok(())
}

/// Creates an account with its roles; returns its id. Audited.
pub async fn create(db: &Db, actor: Actor<'_>, new: &NewAccount<'_>) -> Result<i64> {
    check(actor, db).await?;
    let username = Username::parse(new.username)?;
    let display_name = PersonName::parse(new.display_name)?;
    let password = NewPassword::parse(new.password)?;
    let hashed = hash(password).await?;
    let mut tx = db.begin_write().await?;
    let units = unit_ids(&mut tx).await?;
    if !units.contains(&new.unit_id) {
        return Err(app::error::ApiError::rule(
            "unknown_unit",
            format!("所在单位：单位（编号 {}）不存在", new.unit_id),
        )
        .at("unit_id")
        .into());
    }
    check_grants(new.roles, &units)?;
    let Some(id) = store::accounts::insert_user(
        &mut tx,
        username.as_str(),
        display_name.as_str(),
        &hashed,
        new.unit_id,
        new.temporary,
        now_ms(),
    )
    .await?
    else {
        return Err(taken(&mut tx, username.as_str()).await?);
    };
    for grant in new.roles {
        store::org::grant(&mut tx, id, grant.role, grant.scope_id).await?;
    }
    actor
        .record(
            &mut tx,
            "account_created",
            &format!("user:{}", username.as_str()),
            json!({ "name": display_name.as_str(), "unit": new.unit_id,
                    "roles": grants_json(new.roles), "temporary_password": new.temporary }),
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

fn grants_json(grants: &[RoleGrant]) -> serde_json::Value {
    grants
        .iter()
        .map(|g| json!({ "role": g.role.code(), "scope": g.scope_id }))
        .collect()
}

/// Replaces an account's roles with `roles`. Nobody takes away their own administrator role or
/// the last administrator's. Audited with what was granted and revoked; returns
/// (granted, revoked).
pub async fn set_roles(
    db: &Db,
    actor: Actor<'_>,
    username: &str,
    roles: &[RoleGrant],
) -> Result<(usize, usize)> {
    check(actor, db).await?;
    let account = target(db, username).await?;
    let mut tx = db.begin_write().await?;
    let units = unit_ids(&mut tx).await?;
    check_grants(roles, &units)?;
    let current: Vec<RoleGrant> = store::org::roles(&mut tx, account.id)
        .await?
        .into_iter()
        .map(|a| RoleGrant {
            role: a.role,
            scope_id: a.scope.0,
        })
        .collect();
    let revoked: Vec<&RoleGrant> = current.iter().filter(|g| !roles.contains(g)).collect();
    let granted: Vec<&RoleGrant> = roles.iter().filter(|g| !current.contains(g)).collect();
    let loses_admin = account.active
        && current.iter().any(|g| g.role == Role::Admin)
        && !roles.iter().any(|g| g.role == Role::Admin);
    if loses_admin {
        let admins = store::accounts::active_admins(&mut tx).await?;
        check_admin_removal(actor.id(), account.id, usize::try_from(admins).unwrap_or(0))?;
    }
    for g in &revoked {
        store::org::revoke(&mut tx, account.id, g.role, g.scope_id).await?;
    }
    for g in &granted {
        store::org::grant(&mut tx, account.id, g.role, g.scope_id).await?;
    }
    if !revoked.is_empty() || !granted.is_empty() {
        let (granted_json, revoked_json): (Vec<RoleGrant>, Vec<RoleGrant>) = (
            granted.iter().map(|g| (*g).clone()).collect(),
            revoked.iter().map(|g| (*g).clone()).collect(),
        );
        actor
            .record(
                &mut tx,
                "roles_changed",
                &format!("user:{}", account.username),
                json!({ "granted": grants_json(&granted_json), "revoked": grants_json(&revoked_json) }),
            )
            .await?;
    }
    tx.commit().await?;
    Ok((granted.len(), revoked.len()))
}
