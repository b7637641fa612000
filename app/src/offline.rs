//! The browser's side of offline work: the local replica and outbox in local storage (through
//! gloo-storage), per user, and the sync engine that pushes the outbox to `POST /api/sync`.
//!
//! Browser only: nothing here runs during server rendering. Every change is written to the outbox
//! in local storage *before* the UI calls it saved; an operation leaves the outbox only when the
//! server has answered for it, and a rejected one moves to a list the user must act on.

use std::collections::HashMap;

use domain::{
    risk::RatingMatrix,
    stage::Stage,
    sync::{
        Envelope, OpResult, Operation, RiskPointInput, RiskPointRecord, SheetRecord, SyncRequest,
        SyncResponse,
    },
};
use gloo_storage::{LocalStorage, Storage as _};
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;
use wasm_bindgen::{JsCast as _, JsValue};

/// Local storage holds about 5 MB per origin; count 2 bytes per UTF-16 unit as browsers do.
pub const QUOTA_BYTES: usize = 5 * 1024 * 1024;
/// New input is refused above this share of the quota, so what is queued is never at risk.
pub const REFUSE_ABOVE: f64 = 0.9;
/// Operations per push.
const PUSH_LIMIT: usize = 1000;
const PBKDF2_ROUNDS: u32 = 100_000;

/// The signed-in user as this device knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalUser {
    pub username: String,
    pub display_name: String,
}

/// What the server last told this user, plus the pull cursor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Replica {
    pub cursor: Option<i64>,
    pub sheets: Vec<SheetRecord>,
    pub points: Vec<RiskPointRecord>,
}

/// The queue of operations not yet answered by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pub client_id: Uuid,
    pub next_seq: i64,
    pub ops: Vec<Envelope>,
}

/// An operation the server refused, kept until the user fixes or discards it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attention {
    pub op: Envelope,
    pub result: OpResult,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncMeta {
    /// Unix ms of the last successful sync.
    pub last_sync: Option<f64>,
    pub last_error: Option<String>,
    pub failures: u32,
    /// The last failure needs the user to sign in online (session expired, or another user's).
    #[serde(default)]
    pub sign_in_needed: bool,
}

/// The password check for unlocking offline: PBKDF2-HMAC-SHA256 of the password with a random
/// salt. The password itself is never stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LocalAuth {
    display_name: String,
    salt: String,
    rounds: u32,
    hash: String,
}

fn key(user: &str, what: &str) -> String {
    format!("lianfang.user.{user}.{what}")
}
const SESSION_KEY: &str = "lianfang.session";

fn load<T: DeserializeOwned>(k: &str) -> Option<T> {
    LocalStorage::get(k).ok()
}

/// Writes a value; an error (quota exceeded) leaves the stored value as it was.
fn save<T: Serialize>(k: &str, value: &T) -> Result<(), String> {
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

fn random_bytes(n: usize) -> Vec<u8> {
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

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn derive(password: &str, salt: &str, rounds: u32) -> String {
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

/// Signs the user out on this device; their queue stays for when they return.
pub fn forget_session() {
    LocalStorage::delete(SESSION_KEY);
}

/// The reactive state of the signed-in user's local data.
#[derive(Clone, Copy)]
pub struct Store {
    pub user: RwSignal<Option<LocalUser>>,
    pub replica: RwSignal<Replica>,
    pub outbox: RwSignal<Outbox>,
    pub attention: RwSignal<Vec<Attention>>,
    pub meta: RwSignal<SyncMeta>,
    pub online: RwSignal<bool>,
    pub syncing: RwSignal<bool>,
    pub used: RwSignal<usize>,
}

impl Store {
    /// Loads the signed-in user's data from local storage.
    pub fn load() -> Self {
        let user = current_user();
        let name = user
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default();
        let outbox = load::<Outbox>(&key(&name, "outbox")).unwrap_or_else(|| Outbox {
            client_id: new_id(),
            next_seq: 1,
            ops: Vec::new(),
        });
        let online = web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(true);
        Self {
            user: RwSignal::new(user),
            replica: RwSignal::new(load(&key(&name, "replica")).unwrap_or_default()),
            outbox: RwSignal::new(outbox),
            attention: RwSignal::new(load(&key(&name, "attention")).unwrap_or_default()),
            meta: RwSignal::new(load(&key(&name, "meta")).unwrap_or_default()),
            online: RwSignal::new(online),
            syncing: RwSignal::new(false),
            used: RwSignal::new(storage_used()),
        }
    }

    fn username(&self) -> Option<String> {
        self.user.get_untracked().map(|u| u.username)
    }

    /// Writes one of this user's values. Storage use is recounted by the caller once per batch
    /// of writes: counting reads every stored value.
    fn persist<T: Serialize>(&self, what: &str, value: &T) -> Result<(), String> {
        let user = self.username().ok_or("请先登录")?;
        save(&key(&user, what), value)
    }

    /// Queues an operation: written to local storage first, then shown. Refused (with nothing
    /// lost) when storage is nearly full.
    pub fn queue(&self, op: Operation) -> Result<(), String> {
        if self.user.get_untracked().is_none() {
            return Err("请先登录".to_owned());
        }
        let mut outbox = self.outbox.get_untracked();
        let envelope = Envelope {
            id: new_id(),
            seq: outbox.next_seq,
            op,
        };
        let size = serde_json::to_string(&envelope)
            .map(|s| s.len() * 2)
            .unwrap_or(0);
        if (storage_used() + size * 2) as f64 > QUOTA_BYTES as f64 * REFUSE_ABOVE {
            return Err(format!(
                "本机存储即将用满（已用 {} KB / 约 {} KB），为保证已排队的内容不丢失，暂不接受新的填报。请联网同步，或导出待同步队列。",
                storage_used() / 1024,
                QUOTA_BYTES / 1024
            ));
        }
        outbox.next_seq += 1;
        outbox.ops.push(envelope);
        let saved = self.persist("outbox", &outbox);
        self.used.set(storage_used());
        saved?;
        self.outbox.set(outbox);
        Ok(())
    }

    /// Replaces the whole outbox (removing queued operations the user withdrew).
    pub fn queue_replace(&self, outbox: Outbox) -> Result<(), String> {
        self.persist("outbox", &outbox)?;
        self.used.set(storage_used());
        self.outbox.set(outbox);
        Ok(())
    }

    /// Drops a refused operation the user chose to discard.
    pub fn discard(&self, id: Uuid) {
        let mut list = self.attention.get_untracked();
        list.retain(|a| a.op.id != id);
        if self.persist("attention", &list).is_ok() {
            self.attention.set(list);
        }
        self.used.set(storage_used());
    }

    /// The sheets this user holds or may read, with risk points as they stand locally: the
    /// server's records with the queued operations applied on top.
    pub fn sheet(&self, post_id: i64) -> Option<(SheetRecord, Vec<LocalPoint>)> {
        let replica = self.replica.get();
        let outbox = self.outbox.get();
        let mut sheet = replica
            .sheets
            .iter()
            .find(|s| s.post_id == post_id)?
            .clone();
        let mut points: Vec<LocalPoint> = replica
            .points
            .iter()
            .filter(|p| p.post_id == post_id)
            .map(|p| LocalPoint {
                record: p.clone(),
                pending: false,
                known: true,
            })
            .collect();
        points.sort_by_key(|p| p.record.position);
        for e in outbox.ops.iter().filter(|e| e.op.post_id() == post_id) {
            apply_local(&mut sheet, &mut points, &e.op);
        }
        Some((sheet, points))
    }

    /// Persists and publishes what a successful push and pull returned.
    /// Takes in what a push and pull returned, in memory (see [`Store::persist_synced`]).
    fn absorb(&self, pushed: &[Envelope], response: SyncResponse) {
        let by_id: HashMap<Uuid, &OpResult> =
            response.results.iter().map(|r| (r.id(), r)).collect();
        let mut replica = self.replica.get_untracked();
        if response.full {
            replica.sheets = response.sheets;
            replica.points = response.risk_points;
        } else {
            for s in response.sheets {
                replica.sheets.retain(|x| x.post_id != s.post_id);
                replica.sheets.push(s);
            }
            let mut index: HashMap<Uuid, usize> = replica
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id, i))
                .collect();
            for p in response.risk_points {
                match index.get(&p.id) {
                    Some(&i) => replica.points[i] = p,
                    None => {
                        index.insert(p.id, replica.points.len());
                        replica.points.push(p);
                    }
                }
            }
            if !response.deleted.is_empty() {
                replica.points.retain(|p| !response.deleted.contains(&p.id));
            }
        }
        // The server leaves this client's own changes out of the pull: take them from the results.
        let mut attention = self.attention.get_untracked();
        let mut index: HashMap<Uuid, usize> = replica
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        for e in pushed {
            match by_id.get(&e.id) {
                Some(OpResult::Applied { version, .. }) => {
                    absorb_applied(&mut replica, &mut index, &e.op, *version)
                }
                Some(result @ OpResult::Rejected { .. }) => attention.push(Attention {
                    op: e.clone(),
                    result: (*result).clone(),
                }),
                None => {}
            }
        }
        replica.cursor = Some(response.cursor);
        let mut outbox = self.outbox.get_untracked();
        outbox.ops.retain(|e| !by_id.contains_key(&e.id));
        let mut meta = self.meta.get_untracked();
        meta.last_sync = Some(now_ms());
        meta.last_error = None;
        meta.failures = 0;
        meta.sign_in_needed = false;
        self.replica.set(replica);
        self.attention.set(attention);
        self.outbox.set(outbox);
        self.meta.set(meta);
    }

    /// Writes what syncing changed. Until this succeeds, local storage still holds the operations
    /// that were answered: pushing them again is safe, because the server answers a repeated
    /// operation with its stored result and applies nothing twice. So a long drain writes once at
    /// the end instead of after every push. Replica and attention go first, the outbox last.
    fn persist_synced(&self) -> Result<(), String> {
        let saved = self
            .replica
            .with_untracked(|r| self.persist("replica", r))
            .and_then(|()| {
                self.attention
                    .with_untracked(|a| self.persist("attention", a))
            })
            .and_then(|()| self.outbox.with_untracked(|o| self.persist("outbox", o)));
        let _ = self.meta.with_untracked(|m| self.persist("meta", m));
        self.used.set(storage_used());
        saved
    }

    fn failed(&self, failure: SyncFailure) {
        let mut meta = self.meta.get_untracked();
        meta.failures += 1;
        meta.last_error = Some(failure.message);
        meta.sign_in_needed = failure.sign_in_needed;
        let _ = self.persist("meta", &meta);
        self.meta.set(meta);
    }

    /// Pushes the outbox (in slices) and pulls, until the outbox is empty or something fails.
    pub async fn sync(self) {
        if self.syncing.get_untracked() {
            return;
        }
        let Some(user) = self.username() else { return };
        self.syncing.set(true);
        let mut answered = false;
        loop {
            // The device's signed-in user may have changed in another tab or by signing out: never
            // push one user's queue while someone else (or no one) is signed in here.
            if current_user().map(|u| u.username).as_deref() != Some(user.as_str()) {
                break;
            }
            let outbox = self.outbox.get_untracked();
            let batch: Vec<Envelope> = outbox.ops.iter().take(PUSH_LIMIT).cloned().collect();
            let request = SyncRequest {
                user: user.clone(),
                client_id: outbox.client_id,
                cursor: self.replica.get_untracked().cursor,
                ops: batch.clone(),
            };
            match post_sync(&request).await {
                Ok(response) => {
                    self.absorb(&batch, response);
                    answered = true;
                    if self.outbox.get_untracked().ops.is_empty() || batch.is_empty() {
                        break;
                    }
                }
                Err(failure) => {
                    self.failed(failure);
                    break;
                }
            }
        }
        if answered {
            if let Err(message) = self.persist_synced() {
                self.failed(SyncFailure {
                    message,
                    sign_in_needed: false,
                });
            }
        }
        self.syncing.set(false);
    }

    /// The queue as a JSON file the user can keep or hand to an administrator.
    pub fn export(&self) {
        let payload = serde_json::json!({
            "user": self.username(),
            "exported_at": now_ms(),
            "outbox": self.outbox.get_untracked(),
            "attention": self.attention.get_untracked(),
        });
        let text = serde_json::to_string_pretty(&payload).unwrap_or_default();
        let parts = js_sys::Array::of1(&JsValue::from_str(&text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/json");
        let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
            return;
        };
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
            return;
        };
        let document = web_sys::window().and_then(|w| w.document());
        if let Some(a) = document
            .and_then(|d| d.create_element("a").ok())
            .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        {
            a.set_href(&url);
            a.set_download(&format!(
                "lianfang-queue-{}.json",
                self.username().unwrap_or_default()
            ));
            a.click();
        }
        let _ = web_sys::Url::revoke_object_url(&url);
    }
}

/// A risk point as shown locally, and whether it waits for sync. `record.version` is the
/// version the server will give the point once the queued operations are applied (each upsert
/// adds one; a new point starts at one), so an edit queued on top of a queued edit is based on
/// the version its predecessor produces, not refused as a conflict with it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalPoint {
    pub record: RiskPointRecord,
    pub pending: bool,
    /// The server has this point (it is in the replica), so removing it is a delete there; a
    /// point only in the queue is removed by withdrawing its queued operations.
    pub known: bool,
}

fn level_of(matrix: &RatingMatrix, input: &RiskPointInput) -> Option<domain::risk::RiskLevel> {
    input.validate().ok().map(|v| v.level(matrix))
}

/// Applies a queued operation to the local view of a sheet.
fn apply_local(sheet: &mut SheetRecord, points: &mut Vec<LocalPoint>, op: &Operation) {
    match op {
        Operation::UpsertRiskPoint {
            risk_point_id,
            post_id,
            risk_point,
            ..
        } => {
            let level = level_of(&sheet.matrix, risk_point).unwrap_or(domain::risk::RiskLevel::Low);
            if let Some(p) = points.iter_mut().find(|p| p.record.id == *risk_point_id) {
                p.record.input = risk_point.clone();
                p.record.level = level;
                p.record.version += 1;
                p.pending = true;
            } else {
                let position = points
                    .iter()
                    .map(|p| p.record.position + 1)
                    .max()
                    .unwrap_or(0);
                points.push(LocalPoint {
                    record: RiskPointRecord {
                        id: *risk_point_id,
                        post_id: *post_id,
                        version: 1,
                        position,
                        level,
                        input: risk_point.clone(),
                    },
                    pending: true,
                    known: false,
                });
            }
        }
        Operation::DeleteRiskPoint { risk_point_id, .. } => {
            points.retain(|p| p.record.id != *risk_point_id)
        }
        Operation::SubmitSheet { .. } => sheet.stage = Stage::PeerReview,
        // Reviewers decide online; the self-check never queues a decision.
        Operation::Decide { .. } => {}
    }
}

/// Folds one of this client's applied operations into the replica; `index` maps point ids to
/// their place in `replica.points` and is kept up to date.
fn absorb_applied(
    replica: &mut Replica,
    index: &mut HashMap<Uuid, usize>,
    op: &Operation,
    version: i64,
) {
    match op {
        Operation::UpsertRiskPoint {
            post_id,
            risk_point_id,
            risk_point,
            ..
        } => {
            let Some(sheet) = replica.sheets.iter().find(|s| s.post_id == *post_id) else {
                return;
            };
            let level = level_of(&sheet.matrix, risk_point).unwrap_or(domain::risk::RiskLevel::Low);
            let normalised = risk_point
                .validate()
                .map(|v| v.to_input())
                .unwrap_or_else(|_| risk_point.clone());
            if let Some(p) = index
                .get(risk_point_id)
                .and_then(|&i| replica.points.get_mut(i))
            {
                p.input = normalised;
                p.level = level;
                p.version = version;
            } else {
                // Positions only order the list: after everything this device knows.
                let position = replica.points.len() as i64;
                index.insert(*risk_point_id, replica.points.len());
                replica.points.push(RiskPointRecord {
                    id: *risk_point_id,
                    post_id: *post_id,
                    version,
                    position,
                    level,
                    input: normalised,
                });
            }
        }
        Operation::DeleteRiskPoint { risk_point_id, .. } => {
            replica.points.retain(|p| p.id != *risk_point_id);
            *index = replica
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id, i))
                .collect();
        }
        Operation::SubmitSheet { post_id } => {
            if let Some(sheet) = replica.sheets.iter_mut().find(|s| s.post_id == *post_id) {
                sheet.stage = Stage::PeerReview;
                sheet.version = version;
            }
        }
        Operation::Decide { .. } => {}
    }
}

/// A JSON POST to this site; `Err` carries a Chinese message.
pub async fn post_json(path: &str, body: &str) -> Result<(u16, String), String> {
    post_body(path, &JsValue::from_str(body), Some("application/json")).await
}

/// POSTs `body` (a string, or bytes as a `Uint8Array`) to `path` on this site with the session
/// cookie; returns the status and the answer's text, or why the network failed.
pub async fn post_body(
    path: &str,
    body: &JsValue,
    content_type: Option<&str>,
) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("浏览器环境不可用")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(content_type) = content_type {
        let headers = web_sys::Headers::new().map_err(|_| "无法创建请求")?;
        let _ = headers.set("Content-Type", content_type);
        init.set_headers(&headers);
    }
    let request =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| "无法创建请求")?;
    let response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| "网络不可用，稍后自动重试".to_owned())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "服务器响应无效")?;
    let text = match response.text() {
        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok((response.status(), text))
}

/// Why a sync failed, in words for the user.
struct SyncFailure {
    message: String,
    sign_in_needed: bool,
}

impl From<String> for SyncFailure {
    fn from(message: String) -> Self {
        Self {
            message,
            sign_in_needed: false,
        }
    }
}

async fn post_sync(request: &SyncRequest) -> Result<SyncResponse, SyncFailure> {
    let body = serde_json::to_string(request).map_err(|e| e.to_string())?;
    let (status, text) = post_json("/api/sync", &body).await?;
    if status == 200 {
        return serde_json::from_str(&text).map_err(|_| "服务器响应无法解析".to_owned().into());
    }
    let message = serde_json::from_str::<crate::error::ApiError>(&text)
        .map(|e| e.message)
        .unwrap_or_else(|_| format!("同步失败（HTTP {status}），稍后自动重试"));
    // 401: the session expired; 409: the session is someone else's. Either way the queue stays
    // and only signing in online again (as this user) lets it go.
    Err(SyncFailure {
        message,
        sign_in_needed: status == 401 || status == 409,
    })
}

/// Logs in: online through `/api/login` (remembering the user for offline unlocking), or, when
/// the network is unreachable, by unlocking with the password checked locally. `Ok(true)` for an
/// online login, `Ok(false)` for an offline unlock.
pub async fn login(username: &str, password: &str) -> Result<bool, String> {
    let username = username.trim().to_ascii_lowercase();
    if username.is_empty() || password.is_empty() {
        return Err("请填写用户名和密码".to_owned());
    }
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    match post_json("/api/login", &body).await {
        Ok((200, text)) => {
            #[derive(Deserialize)]
            struct LoginOk {
                user: crate::api::SessionUser,
            }
            let ok: LoginOk =
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
