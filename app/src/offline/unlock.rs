//! Signing in on this device: online through the server, remembered with a slow salted hash so
//! the same user can unlock offline later; the password itself is never stored.

use super::*;

/// The password check for unlocking offline, and the offline signing key sealed under the
/// password. Both come from one slow derivation, PBKDF2-HMAC-SHA256 of the password with a random
/// salt: the check keeps a hash of it, the key is kept XOR a second hash of it. So whoever reads
/// local storage learns neither the password nor the key without guessing the password through
/// the slow derivation. The password itself is never stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct LocalAuth {
    display_name: String,
    salt: String,
    rounds: u32,
    hash: String,
    /// 2: `hash` is [`verifier`] of the derived bytes and `sealed_key` may hold the key; 1 (kept
    /// by devices from before offline signing): `hash` is the derived bytes themselves, and
    /// there is no key until the next online sign-in.
    #[serde(default = "first_version")]
    version: u8,
    /// The offline signing key XOR [`pad`] of the derived bytes, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_key: Option<String>,
}

fn first_version() -> u8 {
    1
}

fn tagged_hash(tag: &str, derived: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    hasher.update(tag.as_bytes());
    hasher.update(derived);
    hasher.finalize().into()
}

fn verifier(derived: &[u8]) -> String {
    hex::encode(tagged_hash("lianfang-local-verifier-v2", derived))
}

fn pad(derived: &[u8]) -> [u8; 32] {
    tagged_hash("lianfang-offline-key-pad-v2", derived)
}

/// A 32-byte key given as hex, XOR [`pad`] of the derived bytes: seals a key, and opens a sealed
/// one. `None` when the hex is not 32 bytes.
fn xor_pad(key_hex: &str, derived: &[u8; 32]) -> Option<Vec<u8>> {
    let key = hex::decode(key_hex).ok().filter(|k| k.len() == 32)?;
    let pad = pad(derived);
    Some(key.iter().zip(pad.iter()).map(|(x, y)| x ^ y).collect())
}

impl LocalAuth {
    /// The derived bytes, when `password` is this user's.
    fn open(&self, password: &str) -> Option<[u8; 32]> {
        let derived = derive_bytes(password, &self.salt, self.rounds);
        let expected = if self.version >= 2 {
            verifier(&derived)
        } else {
            hex::encode(derived)
        };
        (expected == self.hash).then_some(derived)
    }
}

fn derive_bytes(password: &str, salt: &str, rounds: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt.as_bytes(), rounds, &mut out);
    out
}

/// After an online login: remember the user as signed in on this device, and keep a slow,
/// salted hash so they can unlock offline later, with their offline signing key (hex, from the
/// server) sealed under the same password.
pub fn remember_login(user: &LocalUser, password: &str, offline_key: Option<&str>) {
    let salt = hex::encode(random_bytes(16));
    let derived = derive_bytes(password, &salt, PBKDF2_ROUNDS);
    let sealed_key = offline_key
        .and_then(|k| xor_pad(k, &derived))
        .map(hex::encode);
    let auth = LocalAuth {
        display_name: user.display_name.clone(),
        hash: verifier(&derived),
        salt,
        rounds: PBKDF2_ROUNDS,
        version: 2,
        sealed_key,
    };
    let _ = save(&key(&user.username, "auth"), &auth);
    let _ = save(SESSION_KEY, user);
}

/// Unlocking offline. `Err` carries the Chinese reason.
pub fn unlock_offline(username: &str, password: &str) -> Result<LocalUser, String> {
    let Some(auth) = load::<LocalAuth>(&key(username, "auth")) else {
        return Err("本设备上没有该用户的登录记录，请联网后登录".to_owned());
    };
    if auth.open(password).is_none() {
        return Err("用户名或密码错误".to_owned());
    }
    let user = LocalUser {
        username: username.to_owned(),
        display_name: auth.display_name,
    };
    save(SESSION_KEY, &user)?;
    Ok(user)
}

/// The user's offline signing key, opened with their password: only the person who knows it
/// can sign offline on this device. `Err` carries the Chinese reason.
pub fn offline_signing_key(username: &str, password: &str) -> Result<Vec<u8>, String> {
    let Some(auth) = load::<LocalAuth>(&key(username, "auth")) else {
        return Err("本设备上没有您的登录记录，请联网登录一次后再离线签署".to_owned());
    };
    let Some(derived) = auth.open(password) else {
        return Err("密码不正确，承诺书未签署".to_owned());
    };
    auth.sealed_key
        .as_deref()
        .and_then(|k| xor_pad(k, &derived))
        .ok_or_else(|| {
            "本设备尚未保存您的离线签署凭据：请联网后重新登录一次，之后即可在没有网络时签署"
                .to_owned()
        })
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
    let me: crate::write::Me = serde_json::from_str(&text).ok()?;
    keep_sign_out(&me.user.username, me.sign_out);
    Some(LocalUser {
        username: me.user.username,
        display_name: me.user.display_name,
    })
}

/// Keeps the sign-out handle of `username`'s session on this device.
fn keep_sign_out(username: &str, handle: Option<String>) {
    if let Some(handle) = handle {
        let _ = save(&key(username, "sign_out"), &handle);
    }
}

/// Signs the user out on this device; their queue stays for when they return. Their server
/// session's sign-out handle goes to the service worker, which ends the session before the
/// next request leaves the device (at once when online; offline, at the next connection), so
/// whoever uses the tablet next never finds that session still open (`server/src/sw.js`).
pub fn forget_session() {
    if let Some(user) = current_user() {
        let handle_key = key(&user.username, "sign_out");
        if let Some(handle) = load::<String>(&handle_key) {
            if hand_to_worker(&handle) {
                LocalStorage::delete(&handle_key);
            }
        }
    }
    LocalStorage::delete(SESSION_KEY);
}

/// Gives a sign-out handle to the service worker controlling this page; false without one.
fn hand_to_worker(handle: &str) -> bool {
    let Some(worker) = crate::routes::service_worker().and_then(|c| c.controller()) else {
        return false;
    };
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"type".into(), &"lianfang-sign-out".into());
    let _ = js_sys::Reflect::set(&message, &"handle".into(), &handle.into());
    worker.post_message(&message).is_ok()
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
                ok.offline_key.as_deref(),
            );
            keep_sign_out(&username, ok.sign_out);
            Ok(true)
        }
        Ok((status, text)) => Err(serde_json::from_str::<crate::error::ApiError>(&text)
            .map(|e| e.message)
            .unwrap_or_else(|_| format!("登录失败（HTTP {status}）"))),
        Err(_) => unlock_offline(&username, password).map(|_| false),
    }
}
