//! This device's local storage: per-user keys, reading and writing values, and what is used.

use super::*;

pub(super) fn key(user: &str, what: &str) -> String {
    format!("lianfang.user.{user}.{what}")
}
pub(super) const SESSION_KEY: &str = "lianfang.session";

pub(super) fn load<T: DeserializeOwned>(k: &str) -> Option<T> {
    LocalStorage::get(k).ok()
}

/// Writes a value; an error (quota exceeded) leaves the stored value as it was.
pub(super) fn save<T: Serialize>(k: &str, value: &T) -> Result<(), String> {
    LocalStorage::set(k, value).map_err(|_| {
        "本机存储空间已满，无法保存。已排队的内容不受影响；请先联网同步或导出队列。".to_owned()
    })
}

/// Bytes of local storage in use, counted as browsers do (UTF-16).
pub fn storage_used() -> usize {
    let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
        return 0;
    };
    let len = storage.length().unwrap_or(0);
    (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .map(|k| {
            let v = storage.get_item(&k).ok().flatten().unwrap_or_default();
            (k.encode_utf16().count() + v.encode_utf16().count()) * 2
        })
        .sum()
}

pub fn current_user() -> Option<LocalUser> {
    load(SESSION_KEY)
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub(super) fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    bytes
}

pub fn new_id() -> Uuid {
    let mut b = [0u8; 16];
    b.copy_from_slice(&random_bytes(16));
    uuid::Builder::from_random_bytes(b).into_uuid()
}
