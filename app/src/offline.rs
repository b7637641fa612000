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
        CommitmentRecord, Envelope, OpResult, Operation, RiskPointInput, RiskPointRecord,
        SheetRecord, SyncRequest, SyncResponse, WarningRecord,
    },
};
use gloo_storage::{LocalStorage, Storage as _};
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    fetch::post_json,
    write::{LoggedIn, Login, Write as _},
};

mod local;
mod storage;
mod store;
mod sync;
mod unlock;

use local::*;
use storage::*;
pub use storage::{current_user, new_id, now_ms, storage_used};
use sync::*;
pub use unlock::{
    can_unlock_offline, forget_session, login, offline_signing_key, remember_login, session_user,
    unlock_offline,
};

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
    /// Set while a snapshot is being pulled in pages: where the next page starts.
    #[serde(default)]
    pub resume_after_post: Option<i64>,
    pub sheets: Vec<SheetRecord>,
    pub points: Vec<RiskPointRecord>,
    /// The user's own commitments in force, to read and sign offline.
    #[serde(default)]
    pub commitments: Vec<CommitmentRecord>,
    /// What the server last said they were: sent back, so they come again only when changed.
    #[serde(default)]
    pub commitments_digest: Option<String>,
    /// The open early warnings the user answers, to answer offline.
    #[serde(default)]
    pub warnings: Vec<WarningRecord>,
    #[serde(default)]
    pub warnings_digest: Option<String>,
    /// [`REPLICA_FORMAT`] when written: a replica of an older format (one that held every sheet
    /// its user may read) is pulled again from nothing; the queue is not touched.
    #[serde(default)]
    pub format: u32,
}

/// The replica's current format: its sheets are the user's scope (`domain::sync::replica_posts`).
pub const REPLICA_FORMAT: u32 = 2;

impl Replica {
    /// A replica as stored: one of an older format is started again from nothing.
    fn current(self) -> Self {
        if self.format == REPLICA_FORMAT {
            self
        } else {
            Self {
                format: REPLICA_FORMAT,
                ..Self::default()
            }
        }
    }

    /// The posts whose sheets it holds, for the server to say which enter and leave.
    fn posts(&self) -> Vec<i64> {
        let mut posts: Vec<i64> = self.sheets.iter().map(|s| s.post_id).collect();
        posts.sort_unstable();
        posts.dedup();
        posts
    }
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
    /// Unix ms before which the server asked not to sync again (429 `Retry-After`).
    #[serde(default)]
    pub not_before: Option<f64>,
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
