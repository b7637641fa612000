//! Signing in on this device: online through the server, remembered with a slow salted hash so
//! the same user can unlock offline later; the password itself is never stored.

use super::*;

/// The password check for unlocking offline: PBKDF2-HMAC-SHA256 of the password with a random
/// salt. The password itself is never stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct LocalAuth {
    display_name: String,
    salt: String,
    rounds: u32,
    hash: String,
}

pub(super) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn derive(password: &str, salt: &str, rounds: u32) -> String {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt.as_bytes(), rounds, &mut out);
    to_hex(&out)
}

/// After an online login: remember the user as signed in on this device, and keep a slow,
/// salted hash so they can unlock offline later.
pub fn remember_login(user: &LocalUser, password: &str) {
    let salt = to_hex(&random_bytes(16));
    let auth = LocalAuth {
        display_name: user.display_name.clone(),
        hash: derive(password, &salt, PBKDF2_ROUNDS),
        salt,
        rounds: PBKDF2_ROUNDS,
    };
    let _ = save(&key(&user.username, "auth"), &auth);
    let _ = save(SESSION_KEY, user);
}

/// Unlocking offline. `Err` carries the Chinese reason.
pub fn unlock_offline(username: &str, password: &str) -> Result<LocalUser, String> {
    let Some(auth) = load::<LocalAuth>(&key(username, "auth")) else {
        return Err("本设备上没有该用户的登录记录，请联网后登录".to_owned());
    };
    if derive(password, &auth.salt, auth.rounds) != auth.hash {
        return Err("用户名或密码错误".to_owned());
    }
    let user = LocalUser {
        username: username.to_owned(),
        display_name: auth.display_name,
    };
    save(SESSION_KEY, &user)?;
    Ok(user)
}

/// Whether this device keeps the check for unlocking `username` offline: it does after they
/// signed in here through the app, not after a sign-in made before the app had loaded.
pub fn can_unlock_offline(username: &str) -> bool {
    load::<LocalAuth>(&key(username, "auth")).is_some()
}

/// The user the server's session cookie belongs to, when the server answers and someone is
/// signed in; `None` offline or signed out.
pub async fn session_user() -> Option<LocalUser> {
    let (status, text) = crate::fetch::get("/api/me").await.ok()?;
    if status != 200 {
        return None;
    }
    let user: crate::api::SessionUser = serde_json::from_str(&text).ok()?;
    Some(LocalUser {
        username: user.username,
        display_name: user.display_name,
    })
}

/// Signs the user out on this device; their queue stays for when they return.
pub fn forget_session() {
    LocalStorage::delete(SESSION_KEY);
}

/// Logs in: online through `/api/login` (remembering the user for offline unlocking), or, when
/// the network is unreachable, by unlocking with the password checked locally. `Ok(true)` for an
/// online login, `Ok(false)` for an offline unlock.
pub async fn login(username: &str, password: &str) -> Result<bool, String> {
    let username = username.trim().to_ascii_lowercase();
    if username.is_empty() || password.is_empty() {
        return Err("请填写用户名和密码".to_owned());
    }
    let request = Login {
        username: username.clone(),
        password: password.to_owned(),
    };
    let body = serde_json::to_string(&request).map_err(|_| "请求内容无法编码".to_owned())?;
    match post_json(Login::ROUTE, &body).await {
        Ok((200, text)) => {
            let ok: LoggedIn =
                serde_json::from_str(&text).map_err(|_| "服务器响应无法解析".to_owned())?;
            remember_login(
                &LocalUser {
                    username: ok.user.username,
                    display_name: ok.user.display_name,
                },
                password,
            );
            Ok(true)
        }
        Ok((status, text)) => Err(serde_json::from_str::<crate::error::ApiError>(&text)
            .map(|e| e.message)
            .unwrap_or_else(|_| format!("登录失败（HTTP {status}）"))),
        Err(_) => unlock_offline(&username, password).map(|_| false),
    }
}
