//! The self-check as the browser draws it: the page, the service worker and the sync triggers,
//! with the sync bar, the refused edits, the sheets and the risk-point form in submodules.

use domain::{
    chain::check_editable,
    risk::{progress::Standing, MeasureKind, MeasureStatus, RatingMatrix, RiskCategory},
    sync::{MeasureInput, OpResult, Operation, RiskPointInput},
    FieldError,
};
use leptos::{ev, prelude::*, task::spawn_local};
use uuid::Uuid;

use crate::{
    offline::{self, LocalPoint, Store},
    pages::widgets::level_class,
};

mod attention;
mod commitments;
mod form;
mod sheets;
mod status;
mod warnings;

use attention::*;
use commitments::*;
use form::*;
use sheets::*;
use status::*;
use warnings::*;

/// Whether this device can open the self-check with no network: the service worker has stored
/// the page and every built file, and controls the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OfflineReadiness {
    Preparing,
    Ready,
    /// The browser keeps no service worker here (an old browser, or a site not served over
    /// HTTPS): the page works online only.
    Unavailable,
}

pub fn view() -> impl IntoView {
    let store = Store::load();
    provide_context(store);
    let readiness = RwSignal::new(OfflineReadiness::Preparing);
    provide_context(readiness);
    register_service_worker(readiness);
    spawn_local(async move {
        // Asking the server whose session this is comes first, so that nothing is pulled or
        // pushed for the wrong person; it shows as syncing meanwhile.
        store.syncing.set(true);
        follow_session(store).await;
        store.syncing.set(false);
        start_sync_triggers(store);
    });
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
                <Warnings/>
                <Commitments/>
                <Sheets/>
            </main>
        }
        .into_any(),
    }
    }
}

/// Opens the data of whoever the server's session belongs to when this device shows someone
/// else or no one: a sign-in through the plain form (before the app had loaded, likely on a weak
/// signal) reaches a working page, and on a shared tablet the person who just signed in never
/// sees, or syncs, the previous user's queue. Offline, or signed out on the server, the device
/// keeps its own signed-in user (unlocked with their password).
async fn follow_session(store: Store) {
    if !store.online.get_untracked() {
        return;
    }
    let Some(user) = offline::session_user().await else {
        return;
    };
    let shown = store.user.get_untracked().map(|u| u.username);
    if shown.as_deref() != Some(user.username.as_str()) {
        if let Err(message) = store.switch_to(user) {
            store.meta.update(|m| m.last_error = Some(message));
        }
    }
}

/// The service worker keeps the shell, wasm, JS and CSS so the app opens with no network.
pub(super) fn register_service_worker(readiness: RwSignal<OfflineReadiness>) {
    let Some(container) = crate::routes::service_worker() else {
        readiness.set(OfflineReadiness::Unavailable);
        return;
    };
    let registration = container.register("/sw.js");
    let ready = container.ready();
    spawn_local(async move {
        if wasm_bindgen_futures::JsFuture::from(registration)
            .await
            .is_err()
        {
            readiness.set(OfflineReadiness::Unavailable);
            return;
        }
        if let Ok(ready) = ready {
            let _ = wasm_bindgen_futures::JsFuture::from(ready).await;
        }
        mark_offline_ready(readiness);
    });
}

/// Marks `<body data-offline-ready>` and tells the user once a service worker controls the page,
/// which is when a reload without network will still open it (the worker activates only after
/// it has stored every file). A first visit is claimed a moment after the worker activates, so
/// that waits for `controllerchange`.
pub(super) fn mark_offline_ready(readiness: RwSignal<OfflineReadiness>) {
    use wasm_bindgen::{closure::Closure, JsCast as _};
    let Some(container) = crate::routes::service_worker() else {
        return;
    };
    let mark = move || {
        readiness.set(OfflineReadiness::Ready);
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
        // A listener beside others: the new-version notice listens for the same event.
        let _ = container.add_event_listener_with_callback(
            "controllerchange",
            on_change.as_ref().unchecked_ref(),
        );
        on_change.forget();
    }
}

/// Sync when the page opens online, when the network comes back, on a timer (backing off
/// after failures), and on demand.
pub(super) fn start_sync_triggers(store: Store) {
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

pub(super) fn schedule(store: Store) {
    let meta = store.meta.get_untracked();
    let failures = meta.failures.min(6);
    let backoff = if failures == 0 {
        30_000
    } else {
        5_000 * 2u64.pow(failures)
    };
    // A server that answered 429 said when to come back: not before.
    let asked = meta
        .not_before
        .map(|t| (t - js_sys::Date::now()).max(0.0) as u64 + 500)
        .unwrap_or(0);
    let delay = backoff.max(asked);
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

pub(super) fn sign_out(store: Store) {
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
        // Offline, the service worker ends the session at the next connection.
        if store.online.get_untracked() {
            let _ = crate::fetch::post_json("/api/logout", "{}").await;
        }
        if let Some(w) = web_sys::window() {
            let _ = w.location().assign("/login?notice=logged_out");
        }
    });
}

pub(super) fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

pub(super) fn time_of(ms: f64) -> String {
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

pub(super) fn alert(message: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.alert_with_message(message);
    }
}
