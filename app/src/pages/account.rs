//! 账号与安全: the signed-in user changes their password (required after an administrator's
//! reset) and ends their sessions on other devices.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::widgets::{BackBar, ErrorBox, Feedback, FeedbackLine};
use crate::{
    api::load_sessions,
    client,
    write::{ChangePassword, EndOtherSessions},
};

#[component]
pub fn AccountPage() -> impl IntoView {
    let query = use_query_map();
    let must_change = move || query.read().get("must_change").is_some();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let feedback: Feedback = RwSignal::new(None);
    let sessions: Feedback = RwSignal::new(None);
    let devices = Resource::new(|| (), |_| load_sessions());
    let busy = RwSignal::new(false);
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != again.get_untracked() {
            feedback.set(Some(Err("两次输入的新密码不一致".to_owned())));
            return;
        }
        busy.set(true);
        feedback.set(None);
        let payload = ChangePassword {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        spawn_local(async move {
            match client::send(None, &payload).await {
                Ok(_) => {
                    current.set(String::new());
                    new.set(String::new());
                    again.set(String::new());
                    feedback.set(Some(Ok(
                        "密码已修改；其他设备上的登录已退出，本设备保持登录".to_owned(),
                    )));
                }
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    let end_others = move |_| {
        if !client::confirm("确定退出本账号在其他所有设备上的登录吗？本设备保持登录。")
        {
            return;
        }
        spawn_local(async move {
            match client::send(None, &EndOtherSessions {}).await {
                Ok(r) => sessions.set(Some(Ok(format!("已退出其他设备上的 {} 处登录", r.ended)))),
                Err(e) => sessions.set(Some(Err(e.message))),
            }
        });
    };
    view! {
        <Title text="账号与安全"/>
        <BackBar/>
        <main id="main" class="page narrow">
            <h1>"账号与安全"</h1>
            {move || must_change().then(|| view! {
                <p class="alert alert-error" role="alert">
                    "您正在使用管理员设置的临时密码（新建账号或重置密码时发放）。请先设置自己的新密码，之后才能继续使用本系统。"
                </p>
            })}
            <form class="card stack" on:submit=change aria-labelledby="password-title">
                <h2 id="password-title">"修改密码"</h2>
                <label for="current-password">"当前密码"</label>
                <input id="current-password" type="password" autocomplete="current-password" required maxlength="128"
                    prop:value=move || current.get() on:input=move |e| current.set(event_target_value(&e))/>
                <label for="new-password">"新密码"</label>
                <input id="new-password" type="password" autocomplete="new-password" required minlength="10" maxlength="128"
                    aria-describedby="new-password-rule"
                    prop:value=move || new.get() on:input=move |e| new.set(event_target_value(&e))/>
                <p id="new-password-rule" class="muted">"至少 10 个字符，须同时包含字母和数字。"</p>
                <label for="new-password-again">"再次输入新密码"</label>
                <input id="new-password-again" type="password" autocomplete="new-password" required maxlength="128"
                    prop:value=move || again.get() on:input=move |e| again.set(event_target_value(&e))/>
                <button type="submit" class="primary" disabled=move || busy.get()>"保存新密码"</button>
                <FeedbackLine feedback/>
            </form>
            <section class="card stack" aria-labelledby="sessions-title">
                <h2 id="sessions-title">"登录设备"</h2>
                <p class="muted">"手机或电脑丢失、借给他人后，可在此退出它们上的登录。本设备保持登录。"</p>
                <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                    {move || Suspend::new(async move {
                        match devices.await {
                            Ok(list) => view! {
                                <ul class="plain-list" data-testid="sessions">
                                    {list.into_iter().map(|s| view! {
                                        <li>
                                            <strong>{s.device}</strong>
                                            {s.current.then(|| view! { <span class="badge">"本设备"</span> })}
                                            <span class="muted">{format!(" 登录于 {}，最近使用 {}", s.signed_in_at, s.last_used_at)}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(error) => view! { <ErrorBox error/> }.into_any(),
                        }
                    })}
                </Transition>
                <button type="button" on:click=end_others>"退出其他设备"</button>
                <FeedbackLine feedback=sessions/>
            </section>
        </main>
    }
}
