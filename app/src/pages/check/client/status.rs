//! The sync bar: online or not, what waits, the last sync and its error.

use super::*;

/// Always visible: what waits, when it last synced, what failed, how full storage is.
#[component]
pub(super) fn SyncBar() -> impl IntoView {
    let store = expect_context::<Store>();
    let readiness = expect_context::<RwSignal<OfflineReadiness>>();
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
                <dt>"离线使用"</dt>
                <dd data-testid="offline-ready">{move || match readiness.get() {
                    OfflineReadiness::Ready => "本机已可离线使用",
                    OfflineReadiness::Preparing => "正在准备离线使用…（请保持联网片刻）",
                    OfflineReadiness::Unavailable => "本浏览器无法离线使用，请联网填报",
                }}</dd>
                <dt>"本机存储"</dt>
                <dd>{move || format!("已用 {} KB / 约 {} KB（{}%）", used() / 1024, offline::QUOTA_BYTES / 1024, used() * 100 / offline::QUOTA_BYTES)}</dd>
            </dl>
            <OfflineUnlockSetup/>
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

/// Shown when this device cannot unlock the signed-in user offline: they signed in before the
/// app had loaded (the plain form), so no password check was kept here. Entering the password
/// once, online, keeps it.
#[component]
fn OfflineUnlockSetup() -> impl IntoView {
    let store = expect_context::<Store>();
    let kept = RwSignal::new(false);
    let missing = move || {
        store
            .user
            .get()
            .is_some_and(|u| !kept.get() && !offline::can_unlock_offline(&u.username))
    };
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(user) = store.user.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match offline::login(&user.username, &password.get_untracked()).await {
                Ok(true) => {
                    password.set(String::new());
                    kept.set(true);
                }
                Ok(false) => error.set(Some("需要联网才能设置离线解锁".to_owned())),
                Err(message) => error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    move || {
        missing().then(|| view! {
            <form class="offline-unlock" on:submit=save data-testid="offline-unlock">
                <p>"本机尚未保存您的离线解锁信息：没有网络时将无法打开您的数据。请在联网时输入一次密码（密码本身不会保存在本机）。"</p>
                <label>"密码"
                    <input type="password" autocomplete="current-password" required=true
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <button type="submit" disabled=move || busy.get() || !store.online.get()>"保存离线解锁"</button>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
        })
    }
}
