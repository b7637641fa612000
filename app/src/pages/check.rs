//! 岗位自查: the self-check editor that works offline. The server renders only a fixed skeleton
//! (the same for every user, so a service worker can keep it and open it with no network); the
//! browser then fills it from local storage and syncs in the background.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CheckPage() -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    view! {
        <Title text="岗位自查"/>
        <Show
            when=move || mounted.get()
            fallback=|| view! {
                <main id="main" class="page"><p class="loading" role="status">"正在打开本机数据…"</p></main>
            }
        >
            {client::view()}
        </Show>
    }
}

#[cfg(not(feature = "hydrate"))]
mod client {
    /// Never shown on the server: the page's content exists only in the browser.
    pub fn view() {}
}

#[cfg(feature = "hydrate")]
mod client {
    use domain::{
        chain::check_editable,
        risk::{MeasureKind, MeasureStatus, RatingMatrix, RiskCategory},
        sync::{MeasureInput, OpResult, Operation, RiskPointInput},
        FieldError,
    };
    use leptos::{ev, prelude::*, task::spawn_local};
    use uuid::Uuid;

    use crate::{
        offline::{self, LocalPoint, Store},
        pages::widgets::level_class,
    };

    pub fn view() -> impl IntoView {
        let store = Store::load();
        provide_context(store);
        register_service_worker();
        start_sync_triggers(store);
        move || {
            match store.user.get() {
            None => view! {
                <main id="main" class="page narrow">
                    <h1>"岗位自查"</h1>
                    <p>"请先登录。登录过的用户在没有网络时也可以用自己的密码解锁。"</p>
                    <p><a class="button" href="/login?next=/check">"去登录"</a></p>
                </main>
            }
            .into_any(),
            Some(user) => view! {
                <header class="topbar">
                    <a class="topbar-brand" href="/check">"廉防"</a>
                    <div class="topbar-user">
                        <span class="user-name">{user.display_name.clone()}</span>
                        <span class="user-unit">"岗位自查"</span>
                    </div>
                    <button type="button" class="link-button" on:click=move |_| sign_out(store)>"退出登录"</button>
                </header>
                <main id="main" class="page">
                    <SyncBar/>
                    <AttentionList/>
                    <Sheets/>
                </main>
            }
            .into_any(),
        }
        }
    }

    /// The service worker keeps the shell, wasm, JS and CSS so the app opens with no network.
    fn register_service_worker() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let container = window.navigator().service_worker();
        let registration = container.register("/sw.js");
        let ready = container.ready();
        spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(registration).await;
            if let Ok(ready) = ready {
                let _ = wasm_bindgen_futures::JsFuture::from(ready).await;
            }
            mark_offline_ready();
        });
    }

    /// Marks `<body data-offline-ready>` once a service worker controls the page, which is when
    /// a reload without network will still open it. A first visit is claimed a moment after the
    /// worker activates, so that waits for `controllerchange`.
    fn mark_offline_ready() {
        use wasm_bindgen::{closure::Closure, JsCast as _};
        let Some(window) = web_sys::window() else {
            return;
        };
        let container = window.navigator().service_worker();
        let mark = || {
            if let Some(body) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.body())
            {
                let _ = body.set_attribute("data-offline-ready", "true");
            }
        };
        if container.controller().is_some() {
            mark();
        } else {
            let on_change = Closure::<dyn FnMut()>::new(mark);
            container.set_oncontrollerchange(Some(on_change.as_ref().unchecked_ref()));
            on_change.forget();
        }
    }

    /// Sync when the page opens online, when the network comes back, on a timer (backing off
    /// after failures), and on demand.
    fn start_sync_triggers(store: Store) {
        let _ = window_event_listener(ev::online, move |_| {
            store.online.set(true);
            spawn_local(store.sync());
        });
        let _ = window_event_listener(ev::offline, move |_| store.online.set(false));
        if store.online.get_untracked() {
            spawn_local(store.sync());
        }
        schedule(store);
    }

    fn schedule(store: Store) {
        let failures = store.meta.get_untracked().failures.min(6);
        let delay = if failures == 0 {
            30_000
        } else {
            5_000 * 2u64.pow(failures)
        };
        set_timeout(
            move || {
                if store.online.get_untracked() && store.user.get_untracked().is_some() {
                    spawn_local(store.sync());
                }
                schedule(store);
            },
            std::time::Duration::from_millis(delay.min(300_000)),
        );
    }

    fn sign_out(store: Store) {
        let queued = store.outbox.get_untracked().ops.len();
        let message = if queued > 0 {
            format!("您有 {queued} 条内容尚未同步，退出后仍保留在本设备上，下次登录后继续同步。确定退出吗？")
        } else {
            "确定退出登录吗？".to_owned()
        };
        if !confirm(&message) {
            return;
        }
        offline::forget_session();
        // From here on nothing of this user's is sent: the sync engine checks the signed-in user.
        store.user.set(None);
        spawn_local(async move {
            if store.online.get_untracked() {
                let _ = offline::post_json("/api/logout", "{}").await;
            }
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign("/login?notice=logged_out");
            }
        });
    }

    fn confirm(message: &str) -> bool {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(message).ok())
            .unwrap_or(false)
    }

    fn time_of(ms: f64) -> String {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
        format!(
            "{}-{:02}-{:02} {:02}:{:02}:{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date(),
            d.get_hours(),
            d.get_minutes(),
            d.get_seconds()
        )
    }

    /// Always visible: what waits, when it last synced, what failed, how full storage is.
    #[component]
    fn SyncBar() -> impl IntoView {
        let store = expect_context::<Store>();
        let queued = move || store.outbox.with(|o| o.ops.len());
        let used = move || store.used.get();
        let status = move || {
            if store.syncing.get() {
                "正在同步…".to_owned()
            } else if !store.online.get() {
                "离线：内容保存在本设备，联网后自动同步".to_owned()
            } else if queued() == 0 {
                "已全部同步".to_owned()
            } else {
                "等待同步".to_owned()
            }
        };
        view! {
            <section class="card sync-bar" aria-label="同步状态">
                <p class="sync-status" role="status" aria-live="polite">
                    <span class=move || if store.online.get() { "dot dot-online" } else { "dot dot-offline" } aria-hidden="true"></span>
                    <span data-testid="sync-status">{status}</span>
                </p>
                <dl class="sync-facts">
                    <dt>"待同步"</dt><dd data-testid="queued">{move || format!("{} 条", queued())}</dd>
                    <dt>"上次同步"</dt>
                    <dd>{move || store.meta.with(|m| m.last_sync.map(time_of).unwrap_or_else(|| "尚未同步".to_owned()))}</dd>
                    <dt>"本机存储"</dt>
                    <dd>{move || format!("已用 {} KB / 约 {} KB（{}%）", used() / 1024, offline::QUOTA_BYTES / 1024, used() * 100 / offline::QUOTA_BYTES)}</dd>
                </dl>
                {move || store.meta.with(|m| m.last_error.clone().map(|e| (e, m.sign_in_needed))).map(|(e, sign_in)| view! {
                    <div class="alert alert-error" role="alert">
                        <p>{format!("同步失败：{e}")}</p>
                        {sign_in.then(|| view! { <p><a href="/login?next=/check">"联网重新登录"</a>"（待同步的内容会保留）"</p> })}
                    </div>
                })}
                <div class="actions">
                    <button type="button" on:click=move |_| spawn_local(store.sync())
                        disabled=move || store.syncing.get() || !store.online.get()>"立即同步"</button>
                    <button type="button" on:click=move |_| store.export()
                        disabled=move || queued() == 0 && store.attention.with(Vec::is_empty)>"导出待同步队列"</button>
                </div>
            </section>
        }
    }

    /// Operations the server refused: shown until the user fixes or discards each.
    #[component]
    fn AttentionList() -> impl IntoView {
        let store = expect_context::<Store>();
        move || {
            let items = store.attention.get();
            (!items.is_empty()).then(|| view! {
                <section class="card attention" aria-labelledby="attention-title">
                    <h2 id="attention-title">{format!("需要处理（{} 条）", items.len())}</h2>
                    <ul>
                        {items.into_iter().map(|a| view! { <AttentionItem item=a/> }).collect_view()}
                    </ul>
                </section>
            })
        }
    }

    #[component]
    fn AttentionItem(item: offline::Attention) -> impl IntoView {
        let store = expect_context::<Store>();
        let id = item.op.id;
        let OpResult::Rejected {
            message,
            current,
            errors,
            ..
        } = item.result.clone()
        else {
            return ().into_any();
        };
        let mine = match &item.op.op {
            Operation::UpsertRiskPoint { risk_point, .. } => Some(risk_point.clone()),
            _ => None,
        };
        // A refused edit without a server version to compare (invalid, deleted meanwhile) is
        // fixed in the form, prefilled with what the user wrote, and queued again.
        let fixing = RwSignal::new(Editing::None);
        let fix_form = match (&item.op.op, current.is_none()) {
            (
                Operation::UpsertRiskPoint {
                    post_id,
                    risk_point_id,
                    risk_point,
                    ..
                },
                true,
            ) => {
                let (post_id, rp_id) = (*post_id, *risk_point_id);
                let known = store
                    .replica
                    .with_untracked(|r| r.points.iter().find(|p| p.id == rp_id).cloned());
                let matrix = store.replica.with_untracked(|r| {
                    r.sheets
                        .iter()
                        .find(|s| s.post_id == post_id)
                        .map(|s| s.matrix.clone())
                        .unwrap_or_default()
                });
                let record = domain::sync::RiskPointRecord {
                    id: rp_id,
                    post_id,
                    // Still on the server: edit it from its version; gone: add it anew.
                    version: known.as_ref().map_or(0, |k| k.version),
                    position: known.as_ref().map_or(0, |k| k.position),
                    level: known
                        .as_ref()
                        .map_or(domain::risk::RiskLevel::Low, |k| k.level),
                    input: risk_point.clone(),
                };
                Some((
                    post_id,
                    matrix,
                    LocalPoint {
                        pending: false,
                        known: record.version > 0,
                        record,
                    },
                ))
            }
            _ => None,
        };
        let retry = {
            let op = item.op.op.clone();
            let current = current.clone();
            move |_| {
                // Keep mine: the same change again, based on the server's version.
                let op = match (&op, &current) {
                    (
                        Operation::UpsertRiskPoint {
                            post_id,
                            risk_point_id,
                            risk_point,
                            ..
                        },
                        Some(c),
                    ) => Operation::UpsertRiskPoint {
                        post_id: *post_id,
                        risk_point_id: *risk_point_id,
                        base_version: Some(c.version),
                        risk_point: risk_point.clone(),
                    },
                    (
                        Operation::DeleteRiskPoint {
                            post_id,
                            risk_point_id,
                            ..
                        },
                        Some(c),
                    ) => Operation::DeleteRiskPoint {
                        post_id: *post_id,
                        risk_point_id: *risk_point_id,
                        base_version: c.version,
                    },
                    (other, _) => other.clone(),
                };
                match store.queue(op) {
                    Ok(()) => store.discard(id),
                    Err(e) => alert(&e),
                }
            }
        };
        let has_current = current.is_some();
        view! {
            <li class="attention-item">
                <p class="alert alert-error">{message}</p>
                {(!errors.is_empty()).then(|| view! {
                    <ul class="field-errors">{errors.into_iter().map(|e| view! { <li>{e.message}</li> }).collect_view()}</ul>
                })}
                {match (current, mine) {
                    (Some(server), Some(mine)) => view! {
                        <div class="compare">
                            <div>
                                <h3>{format!("服务器版本（第 {} 版）", server.version)}</h3>
                                <PointSummary input=server.input.clone()/>
                            </div>
                            <div>
                                <h3>"您的版本"</h3>
                                <PointSummary input=mine.clone()/>
                            </div>
                        </div>
                    }.into_any(),
                    _ => ().into_any(),
                }}
                {fix_form.clone().map(|(post_id, matrix, point)| view! {
                    <Show when=move || fixing.get() != Editing::None>
                        <RiskForm post_id point=Some(point.clone()) matrix=matrix.clone() editing=fixing
                            on_saved=Callback::new(move |()| store.discard(id))/>
                    </Show>
                })}
                <div class="actions">
                    {has_current.then(|| view! { <button type="button" on:click=retry>"保留我的版本"</button> })}
                    {fix_form.is_some().then(|| view! {
                        <button type="button" on:click=move |_| fixing.set(Editing::New)>"修改后重新提交"</button>
                    })}
                    <button type="button" on:click=move |_| {
                        if confirm("确定放弃这条修改吗？放弃后无法恢复。") { store.discard(id) }
                    }>{if has_current { "采用服务器版本" } else { "放弃此修改" }}</button>
                </div>
            </li>
        }
        .into_any()
    }

    /// A risk point's content in brief, for comparing two versions.
    #[component]
    fn PointSummary(input: RiskPointInput) -> impl IntoView {
        let ratings = format!(
            "可能性 {} × 危害程度 {} · 发生频率 {}",
            input.likelihood, input.impact, input.frequency
        );
        view! {
            <p>{input.description}</p>
            <p class="muted">{ratings}</p>
            <ul class="measures">
                {input.measures.into_iter().map(|m| view! {
                    <li>
                        <span class="measure-kind">{MeasureKind::parse(&m.kind).map(|k| k.label()).unwrap_or("—")}</span>
                        <span class="measure-text">{m.text}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    }

    fn alert(message: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.alert_with_message(message);
        }
    }

    /// The user's sheets: editable ones in full, others in brief. Editors are recreated only when
    /// the set of sheets changes, not on every sync.
    #[component]
    fn Sheets() -> impl IntoView {
        let store = expect_context::<Store>();
        let shape = Memo::new(move |_| {
            store.replica.with(|r| {
                let mut held: Vec<i64> = r
                    .sheets
                    .iter()
                    .filter(|s| s.holder)
                    .map(|s| s.post_id)
                    .collect();
                held.sort_unstable();
                let others = r.sheets.iter().filter(|s| !s.holder).count();
                (r.cursor.is_some(), held, others)
            })
        });
        move || {
            let (synced, held, others) = shape.get();
            if held.is_empty() && others == 0 {
                return view! {
                    <p class="empty">{if synced { "您没有可填报的排查表。" } else { "本设备还没有数据：请联网同步一次。" }}</p>
                }
                .into_any();
            }
            view! {
                {held.into_iter().map(|post_id| view! { <SheetEditor post_id/> }).collect_view()}
                {(others > 0).then(|| view! { <p class="muted">{format!("另有 {others} 张职责范围内的排查表，可在首页查看。")}</p> })}
            }
            .into_any()
        }
    }

    /// What the form is doing: nothing, adding, or editing a point.
    #[derive(Clone, PartialEq)]
    enum Editing {
        None,
        New,
        Point(Uuid),
    }

    /// One editable sheet. The list follows the local data as syncs land; the open form does
    /// not: it depends only on what is being edited, so a background sync never wipes what the
    /// user is typing.
    #[component]
    fn SheetEditor(post_id: i64) -> impl IntoView {
        let store = expect_context::<Store>();
        let editing = RwSignal::new(Editing::None);
        let error = RwSignal::new(None::<String>);
        let data = Memo::new(move |_| store.sheet(post_id));
        let editable = move || {
            data.with(|d| {
                d.as_ref()
                    .is_some_and(|(s, _)| check_editable(s.stage).is_ok())
            })
        };
        let count = move || data.with(|d| d.as_ref().map_or(0, |(_, p)| p.len()));
        let submit = move |_| {
            if confirm("提交后将进入互评环节，不能再修改。确定提交审核吗？")
            {
                if let Err(e) = store.queue(Operation::SubmitSheet { post_id }) {
                    error.set(Some(e));
                } else if store.online.get_untracked() {
                    spawn_local(store.sync());
                }
            }
        };
        let heading = format!("sheet-{post_id}");
        let labelled_by = heading.clone();
        let matrix = move || {
            data.with_untracked(|d| {
                d.as_ref()
                    .map(|(s, _)| s.matrix.clone())
                    .unwrap_or_default()
            })
        };
        view! {
            <section class="card sheet" aria-labelledby=labelled_by>
                {move || data.get().map(|(sheet, _)| view! {
                    <header class="sheet-head">
                        <h2 id=heading.clone()>{sheet.post_title.clone()}</h2>
                        <p class="sheet-meta">
                            <span>{sheet.unit.clone()}</span>
                            <span>{sheet.post_level.label()}</span>
                            <span class="badge">{format!("{} · {}", sheet.round, sheet.stage.label())}</span>
                        </p>
                    </header>
                })}
                {move || error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
                <h3>{move || format!("风险点（{} 个）", count())}</h3>
                <ol class="risk-list">
                    {move || {
                        let editable = editable();
                        data.get()
                            .map(|(_, points)| points)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|p| view! { <PointItem point=p post_id editable editing/> }.into_any())
                            .collect_view()
                    }}
                </ol>
                {move || match editing.get() {
                    Editing::None => editable().then(|| view! {
                        <div class="actions">
                            <button type="button" class="primary" on:click=move |_| editing.set(Editing::New)>"新增风险点"</button>
                            <button type="button" on:click=submit disabled=move || count() == 0>"提交审核"</button>
                        </div>
                    }).into_any(),
                    Editing::New => view! { <RiskForm post_id point=None matrix=matrix() editing/> }.into_any(),
                    Editing::Point(id) => {
                        let point = data.with_untracked(|d| {
                            d.as_ref().and_then(|(_, ps)| ps.iter().find(|p| p.record.id == id).cloned())
                        });
                        view! { <RiskForm post_id point matrix=matrix() editing/> }.into_any()
                    }
                }}
                {move || (!editable()).then(|| view! { <p class="muted">"排查表已提交审核，不能再修改。"</p> })}
            </section>
        }
        .into_any()
    }

    #[component]
    fn PointItem(
        point: LocalPoint,
        post_id: i64,
        editable: bool,
        editing: RwSignal<Editing>,
    ) -> impl IntoView {
        let store = expect_context::<Store>();
        let LocalPoint {
            record,
            pending,
            known,
        } = point;
        let id = record.id;
        let version = record.version;
        let input = record.input.clone();
        let delete = move |_| {
            if !confirm("确定删除这个风险点吗？删除会在同步后生效。") {
                return;
            }
            // A point that never reached the server is removed from the queue; others are
            // deleted on the server, based on the version this device saw.
            let op = Operation::DeleteRiskPoint {
                post_id,
                risk_point_id: id,
                base_version: version,
            };
            if !known {
                let mut outbox = store.outbox.get_untracked();
                outbox.ops.retain(|e| match &e.op {
                    Operation::UpsertRiskPoint { risk_point_id, .. } => *risk_point_id != id,
                    _ => true,
                });
                if store.queue_replace(outbox).is_err() {
                    alert("本机存储写入失败，删除未生效");
                }
            } else if let Err(e) = store.queue(op) {
                alert(&e);
            } else if store.online.get_untracked() {
                spawn_local(store.sync());
            }
        };
        view! {
            <li class="risk-point" data-risk-id=id.to_string()>
                <div class="risk-head">
                    <span class=level_class(record.level)>{record.level.label()}</span>
                    <p class="risk-description">{input.description.clone()}</p>
                    {pending.then(|| view! { <span class="badge badge-pending">"待同步"</span> })}
                </div>
                <p class="muted">{format!(
                    "{} · {} · 可能性 {} × 危害程度 {} · 发生频率 {}",
                    RiskCategory::parse(&input.category).map(|c| c.label()).unwrap_or("—"),
                    input.power_type, input.likelihood, input.impact, input.frequency
                )}</p>
                <ul class="measures">
                    {input.measures.iter().map(|m| view! {
                        <li>
                            <span class="measure-kind">{MeasureKind::parse(&m.kind).map(|k| k.label()).unwrap_or("—")}</span>
                            <span class="measure-text">{m.text.clone()}</span>
                            <span class="measure-status" data-testid="measure-status">{progress(m)}</span>
                        </li>
                    }).collect_view()}
                </ul>
                {editable.then(|| view! {
                    <div class="actions">
                        <button type="button" on:click=move |_| editing.set(Editing::Point(id))>"修改"</button>
                        <button type="button" class="danger" on:click=delete>"删除"</button>
                    </div>
                })}
            </li>
        }
    }

    /// A measure's progress as a list shows it: `已完成（2026-11-30）`, `进行中`, `未开始`.
    fn progress(m: &MeasureInput) -> String {
        let label = MeasureStatus::parse(&m.status)
            .unwrap_or(MeasureStatus::Planned)
            .label();
        if m.done_on.is_empty() {
            label.to_owned()
        } else {
            format!("{label}（{}）", m.done_on)
        }
    }

    /// One measure row of the form. Every field of the measure has a signal, so an edit sends
    /// back what it was given for the fields the user did not touch.
    #[derive(Clone, Copy)]
    struct MeasureRow {
        kind: RwSignal<String>,
        text: RwSignal<String>,
        owner: RwSignal<String>,
        due: RwSignal<String>,
        status: RwSignal<String>,
        done_on: RwSignal<String>,
    }

    impl MeasureRow {
        fn new(m: &MeasureInput) -> Self {
            let or = |value: &str, default: &str| {
                if value.is_empty() {
                    default.to_owned()
                } else {
                    value.to_owned()
                }
            };
            Self {
                kind: RwSignal::new(or(&m.kind, MeasureKind::Institutional.code())),
                text: RwSignal::new(m.text.clone()),
                owner: RwSignal::new(m.owner.clone()),
                due: RwSignal::new(m.due.clone()),
                status: RwSignal::new(or(&m.status, MeasureStatus::Planned.code())),
                done_on: RwSignal::new(m.done_on.clone()),
            }
        }

        fn input(&self) -> MeasureInput {
            let status = self.status.get();
            MeasureInput {
                kind: self.kind.get(),
                text: self.text.get(),
                owner: self.owner.get(),
                due: self.due.get(),
                // The day is kept only while the measure is finished; the field is hidden else.
                done_on: if status == MeasureStatus::Done.code() {
                    self.done_on.get()
                } else {
                    String::new()
                },
                status,
            }
        }

        /// A new status; a measure marked finished is dated today unless a day is set.
        fn set_status(&self, status: String) {
            if status == MeasureStatus::Done.code() && self.done_on.get_untracked().is_empty() {
                self.done_on.set(today());
            }
            self.status.set(status);
        }
    }

    /// Today on this device, `YYYY-MM-DD`.
    fn today() -> String {
        let now = js_sys::Date::new_0();
        format!(
            "{:04}-{:02}-{:02}",
            now.get_full_year(),
            now.get_month() + 1,
            now.get_date()
        )
    }

    /// Adds or edits a risk point. Validated with the server's own rules (from `domain`), with
    /// each message at its field; the level is shown live as the ratings change.
    #[component]
    fn RiskForm(
        post_id: i64,
        point: Option<LocalPoint>,
        matrix: RatingMatrix,
        editing: RwSignal<Editing>,
        /// Called once the change is queued (used to clear a refused operation it replaces).
        #[prop(optional)]
        on_saved: Option<Callback<()>>,
    ) -> impl IntoView {
        let store = expect_context::<Store>();
        let start = point
            .as_ref()
            .map(|p| p.record.input.clone())
            .unwrap_or_else(|| RiskPointInput {
                category: "duty".to_owned(),
                likelihood: 3,
                impact: 3,
                frequency: 3,
                measures: vec![MeasureInput::default()],
                ..RiskPointInput::default()
            });
        let base_version = point.as_ref().map(|p| p.record.version).filter(|v| *v > 0);
        let risk_point_id = point
            .as_ref()
            .map(|p| p.record.id)
            .unwrap_or_else(offline::new_id);
        let duty = RwSignal::new(start.duty.clone());
        let description = RwSignal::new(start.description.clone());
        let manifestation = RwSignal::new(start.manifestation.clone());
        let category = RwSignal::new(start.category.clone());
        let power_type = RwSignal::new(start.power_type.clone());
        let likelihood = RwSignal::new(start.likelihood);
        let impact = RwSignal::new(start.impact);
        let frequency = RwSignal::new(start.frequency);
        let measures = RwSignal::new(
            start
                .measures
                .iter()
                .map(MeasureRow::new)
                .collect::<Vec<_>>(),
        );
        let errors = RwSignal::new(Vec::<FieldError>::new());
        let saved_error = RwSignal::new(None::<String>);

        let input = move || RiskPointInput {
            duty: duty.get(),
            description: description.get(),
            manifestation: manifestation.get(),
            category: category.get(),
            power_type: power_type.get(),
            likelihood: likelihood.get(),
            impact: impact.get(),
            frequency: frequency.get(),
            measures: measures.get().iter().map(MeasureRow::input).collect(),
        };
        let level_matrix = matrix.clone();
        let level = move || {
            let ratings =
                domain::risk::Ratings::parse(likelihood.get(), impact.get(), frequency.get())
                    .ok()?;
            Some((
                level_matrix.level(&ratings),
                likelihood.get() * impact.get(),
            ))
        };
        let error_for = move |field: &'static str| {
            move || {
                errors.with(|es| {
                    es.iter()
                        .find(|e| e.field == field)
                        .map(|e| e.message.clone())
                })
            }
        };
        let save = move |ev: ev::SubmitEvent| {
            ev.prevent_default();
            let value = input();
            match value.validate() {
                Err(found) => {
                    errors.set(found);
                    saved_error.set(Some("请先修改标红的内容".to_owned()));
                }
                Ok(valid) => {
                    errors.set(Vec::new());
                    let op = Operation::UpsertRiskPoint {
                        post_id,
                        risk_point_id,
                        base_version,
                        risk_point: valid.to_input(),
                    };
                    match store.queue(op) {
                        Ok(()) => {
                            editing.set(Editing::None);
                            if let Some(done) = on_saved {
                                done.run(());
                            }
                            if store.online.get_untracked() {
                                spawn_local(store.sync());
                            }
                        }
                        Err(e) => saved_error.set(Some(e)),
                    }
                }
            }
        };

        let score_options = |label: &'static str| {
            (1..=5i64)
                .map(move |n| {
                    let text = match n {
                        1 => "1 很低",
                        2 => "2 较低",
                        3 => "3 中等",
                        4 => "4 较高",
                        _ => "5 很高",
                    };
                    let _ = label;
                    view! { <option value=n.to_string()>{text}</option> }
                })
                .collect_view()
        };

        view! {
            <form class="risk-form" on:submit=save novalidate>
                <h3>{if point.is_some() { "修改风险点" } else { "新增风险点" }}</h3>
                {move || saved_error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
                <Field id="rp-description" label="风险点描述" error=Signal::derive(error_for("description"))>
                    <textarea id="rp-description" rows="3" maxlength="500" required
                        aria-invalid=move || error_for("description")().is_some().to_string()
                        aria-describedby="rp-description-error"
                        prop:value=move || description.get()
                        on:input=move |e| description.set(event_target_value(&e))></textarea>
                </Field>
                <Field id="rp-manifestation" label="表现形式（选填）" error=Signal::derive(error_for("manifestation"))>
                    <textarea id="rp-manifestation" rows="2" maxlength="500"
                        prop:value=move || manifestation.get()
                        on:input=move |e| manifestation.set(event_target_value(&e))></textarea>
                </Field>
                <Field id="rp-duty" label="对应岗位职责（选填）" error=Signal::derive(error_for("duty"))>
                    <input id="rp-duty" type="text" maxlength="500"
                        prop:value=move || duty.get() on:input=move |e| duty.set(event_target_value(&e))/>
                </Field>
                <div class="form-grid">
                    <Field id="rp-category" label="风险类别" error=Signal::derive(error_for("category"))>
                        <select id="rp-category" prop:value=move || category.get() on:change=move |e| category.set(event_target_value(&e))>
                            {RiskCategory::ALL.iter().map(|c| view! { <option value=c.code()>{c.label()}</option> }).collect_view()}
                        </select>
                    </Field>
                    <Field id="rp-power" label="权力类型" error=Signal::derive(error_for("power_type"))>
                        <input id="rp-power" type="text" maxlength="40" placeholder="如：行政处罚权（现场即决）"
                            aria-invalid=move || error_for("power_type")().is_some().to_string()
                            prop:value=move || power_type.get() on:input=move |e| power_type.set(event_target_value(&e))/>
                    </Field>
                    <Field id="rp-likelihood" label="可能性" error=Signal::derive(error_for("likelihood"))>
                        <select id="rp-likelihood" prop:value=move || likelihood.get().to_string()
                            on:change=move |e| likelihood.set(event_target_value(&e).parse().unwrap_or(0))>{score_options("可能性")}</select>
                    </Field>
                    <Field id="rp-impact" label="危害程度" error=Signal::derive(error_for("impact"))>
                        <select id="rp-impact" prop:value=move || impact.get().to_string()
                            on:change=move |e| impact.set(event_target_value(&e).parse().unwrap_or(0))>{score_options("危害程度")}</select>
                    </Field>
                    <Field id="rp-frequency" label="发生频率" error=Signal::derive(error_for("frequency"))>
                        <select id="rp-frequency" prop:value=move || frequency.get().to_string()
                            on:change=move |e| frequency.set(event_target_value(&e).parse().unwrap_or(0))>{score_options("发生频率")}</select>
                    </Field>
                </div>
                <p class="live-level" aria-live="polite" data-testid="live-level">
                    {move || match level() {
                        Some((l, score)) => view! {
                            "风险等级："<span class=level_class(l)>{l.label()}</span>{format!("（评分 {score}）")}
                        }.into_any(),
                        None => view! { "风险等级：请先选择评分" }.into_any(),
                    }}
                </p>
                <fieldset class="measures-edit">
                    <legend>"防控措施"</legend>
                    {move || error_for("measures")().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    {move || measures.get().into_iter().enumerate().map(|(i, row)| {
                        let n = i + 1;
                        let field = move |name: &'static str| {
                            let path = format!("measures[{i}].{name}");
                            move || errors.with(|es| es.iter().find(|e| e.field == path).map(|e| e.message.clone()))
                        };
                        view! {
                            <div class="measure-row">
                                <Field id=format!("m-kind-{n}") label=format!("措施类型 {n}") error=Signal::derive(field("kind"))>
                                    <select id=format!("m-kind-{n}") prop:value=move || row.kind.get()
                                        on:change=move |e| row.kind.set(event_target_value(&e))>
                                        {MeasureKind::ALL.iter().map(|k| view! { <option value=k.code()>{k.label()}</option> }).collect_view()}
                                    </select>
                                </Field>
                                <Field id=format!("m-text-{n}") label=format!("措施内容 {n}") error=Signal::derive(field("text"))>
                                    <textarea id=format!("m-text-{n}") rows="2" maxlength="500"
                                        prop:value=move || row.text.get() on:input=move |e| row.text.set(event_target_value(&e))></textarea>
                                </Field>
                                <div class="form-grid">
                                    <Field id=format!("m-owner-{n}") label=format!("责任人 {n}（选填）") error=Signal::derive(field("owner"))>
                                        <input id=format!("m-owner-{n}") type="text" maxlength="40"
                                            prop:value=move || row.owner.get() on:input=move |e| row.owner.set(event_target_value(&e))/>
                                    </Field>
                                    <Field id=format!("m-due-{n}") label=format!("完成时限 {n}（选填）") error=Signal::derive(field("due"))>
                                        <input id=format!("m-due-{n}") type="date"
                                            prop:value=move || row.due.get() on:input=move |e| row.due.set(event_target_value(&e))/>
                                    </Field>
                                    <Field id=format!("m-status-{n}") label=format!("落实情况 {n}") error=Signal::derive(field("status"))>
                                        <select id=format!("m-status-{n}") prop:value=move || row.status.get()
                                            on:change=move |e| row.set_status(event_target_value(&e))>
                                            {MeasureStatus::ALL.iter().map(|s| view! { <option value=s.code()>{s.label()}</option> }).collect_view()}
                                        </select>
                                    </Field>
                                    {move || (row.status.get() == MeasureStatus::Done.code()).then(|| view! {
                                        <Field id=format!("m-done-{n}") label=format!("完成日期 {n}") error=Signal::derive(field("done_on"))>
                                            <input id=format!("m-done-{n}") type="date" required
                                                prop:value=move || row.done_on.get() on:input=move |e| row.done_on.set(event_target_value(&e))/>
                                        </Field>
                                    })}
                                </div>
                                <button type="button" class="link-like" on:click=move |_| measures.update(|ms| { ms.remove(i); })
                                    disabled=move || measures.with(|ms| ms.len() <= 1)>{format!("删除措施 {n}")}</button>
                            </div>
                        }
                    }).collect_view()}
                    <button type="button" on:click=move |_| measures.update(|ms| ms.push(MeasureRow::new(&MeasureInput::default())))
                        disabled=move || measures.with(|ms| ms.len() >= domain::sync::MAX_MEASURES)>"添加一条措施"</button>
                </fieldset>
                <div class="actions">
                    <button type="submit" class="primary">"保存"</button>
                    <button type="button" on:click=move |_| editing.set(Editing::None)>"取消"</button>
                </div>
            </form>
        }
        .into_any()
    }

    /// A labelled field with its error message underneath, tied together for screen readers.
    #[component]
    fn Field(
        #[prop(into)] id: String,
        #[prop(into)] label: String,
        error: Signal<Option<String>>,
        children: Children,
    ) -> impl IntoView {
        let error_id = format!("{id}-error");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                {children()}
                <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
            </div>
        }
    }
}
