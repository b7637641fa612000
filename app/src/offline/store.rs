//! The signed-in user's local data as reactive state: loading it, queueing and withdrawing
//! operations, the local view of a sheet, syncing and exporting the queue.

use super::*;

/// One user's values in local storage, or fresh ones for a user this device has not seen.
struct LocalData {
    replica: Replica,
    outbox: Outbox,
    attention: Vec<Attention>,
    meta: SyncMeta,
}

impl LocalData {
    fn read(user: Option<&LocalUser>) -> Self {
        let name = user.map(|u| u.username.as_str()).unwrap_or_default();
        Self {
            replica: load::<Replica>(&key(name, "replica"))
                .unwrap_or_default()
                .current(),
            outbox: load::<Outbox>(&key(name, "outbox")).unwrap_or_else(|| Outbox {
                client_id: new_id(),
                next_seq: 1,
                ops: Vec::new(),
            }),
            attention: load(&key(name, "attention")).unwrap_or_default(),
            meta: load(&key(name, "meta")).unwrap_or_default(),
        }
    }
}

impl Store {
    /// Loads the signed-in user's data from local storage.
    pub fn load() -> Self {
        let user = current_user();
        let data = LocalData::read(user.as_ref());
        let online = web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(true);
        Self {
            user: RwSignal::new(user),
            replica: RwSignal::new(data.replica),
            outbox: RwSignal::new(data.outbox),
            attention: RwSignal::new(data.attention),
            meta: RwSignal::new(data.meta),
            online: RwSignal::new(online),
            syncing: RwSignal::new(false),
            used: RwSignal::new(storage_used()),
        }
    }

    /// Opens another user's data on this page: the one the server's session belongs to, when they
    /// signed in before this page's code had loaded, or while someone else was still signed in
    /// on this device. Their own queue and replica are read; nobody else's is touched.
    pub fn switch_to(&self, user: LocalUser) -> Result<(), String> {
        save(SESSION_KEY, &user)?;
        let data = LocalData::read(Some(&user));
        self.replica.set(data.replica);
        self.outbox.set(data.outbox);
        self.attention.set(data.attention);
        self.meta.set(data.meta);
        self.user.set(Some(user));
        self.used.set(storage_used());
        Ok(())
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
        self.queue_as(new_id(), op)
    }

    /// [`Store::queue`] under an id chosen beforehand (a signing's proof covers its id).
    pub fn queue_as(&self, id: Uuid, op: Operation) -> Result<(), String> {
        if self.user.get_untracked().is_none() {
            return Err("请先登录".to_owned());
        }
        let mut outbox = self.outbox.get_untracked();
        let envelope = Envelope {
            id,
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
        for e in outbox.ops.iter().filter(|e| {
            e.op.post_id() == Some(post_id) || matches!(e.op, Operation::ReportMeasure { .. })
        }) {
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
        // Sheets leaving the user's scope leave with their points (the queue keeps anything
        // queued on them: the server answers it).
        if !response.dropped.is_empty() {
            replica
                .sheets
                .retain(|s| !response.dropped.contains(&s.post_id));
            replica
                .points
                .retain(|p| !response.dropped.contains(&p.post_id));
        }
        // The pull carries this client's own changes as the server stored them (levels,
        // positions, trimmed text): only refusals are kept from the results.
        let mut attention = self.attention.get_untracked();
        for e in pushed {
            if let Some(result @ OpResult::Rejected { .. }) = by_id.get(&e.id) {
                attention.push(Attention {
                    op: e.clone(),
                    result: (*result).clone(),
                });
            }
        }
        replica.cursor = Some(response.cursor);
        replica.resume_after_post = response.resume_after_post;
        if let Some(commitments) = response.commitments {
            replica.commitments = commitments;
        }
        if response.commitments_digest.is_some() {
            replica.commitments_digest = response.commitments_digest;
        }
        if let Some(warnings) = response.warnings {
            replica.warnings = warnings;
        }
        if response.warnings_digest.is_some() {
            replica.warnings_digest = response.warnings_digest;
        }
        let mut outbox = self.outbox.get_untracked();
        outbox.ops.retain(|e| !by_id.contains_key(&e.id));
        let mut meta = self.meta.get_untracked();
        meta.last_sync = Some(now_ms());
        meta.last_error = None;
        meta.failures = 0;
        meta.sign_in_needed = false;
        meta.not_before = None;
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
        meta.not_before = failure
            .retry_after_secs
            .map(|secs| now_ms() + secs as f64 * 1000.0);
        let _ = self.persist("meta", &meta);
        self.meta.set(meta);
    }

    /// Pushes the outbox (in slices) and pulls, until the outbox is empty or something fails.
    pub async fn sync(self) {
        if self.syncing.get_untracked() {
            return;
        }
        let Some(user) = self.username() else { return };
        // The server asked to wait (429): try again only after the time it gave.
        if self
            .meta
            .get_untracked()
            .not_before
            .is_some_and(|t| now_ms() < t)
        {
            return;
        }
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
            let replica = self.replica.get_untracked();
            let request = SyncRequest {
                user: user.clone(),
                client_id: outbox.client_id,
                cursor: replica.cursor,
                resume_after_post: replica.resume_after_post,
                ops: batch.clone(),
                commitments_digest: replica.commitments_digest.clone(),
                warnings_digest: replica.warnings_digest.clone(),
                have: Some(replica.posts()),
            };
            match post_sync(&request).await {
                Ok(response) => {
                    let more = response.more;
                    self.absorb(&batch, response);
                    answered = true;
                    let drained = self.outbox.get_untracked().ops.is_empty() || batch.is_empty();
                    // The server has more to send (a paged pull): ask again at once.
                    if drained && !more {
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
                self.failed(SyncFailure::from(message));
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
        let name = format!(
            "lianfang-queue-{}.json",
            self.username().unwrap_or_default()
        );
        crate::client::save_file(&name, "application/json", &text);
    }
}
