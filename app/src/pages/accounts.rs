//! 账号管理: the administrator's list of accounts, with a password reset (to be changed at the
//! next sign-in), deactivation and reactivation. Each act asks first and is in the audit log.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, Feedback, FeedbackLine, Refresh};
use crate::{
    api::{load_accounts, AccountView},
    client,
    write::{ResetPassword, SetAccountActive, UnlockAccount},
};

#[component]
pub fn AccountsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_accounts());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="账号管理"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"账号管理"</h1>
            <p class="muted">"停用的账号立即退出所有登录，其填报、审核、签署记录全部保留。重置密码后，用户下次登录须先设置新密码。"</p>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(accounts) => view! {
                            <table class="handbook-table accounts">
                                <caption>{format!("共 {} 个账号", accounts.len())}</caption>
                                <thead><tr>
                                    <th scope="col">"用户名"</th><th scope="col">"姓名"</th><th scope="col">"单位"</th>
                                    <th scope="col">"状态"</th><th scope="col">"操作"</th>
                                </tr></thead>
                                <tbody>
                                    {accounts.into_iter().map(|a| view! { <AccountRow a refresh/> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn AccountRow(a: AccountView, refresh: Refresh) -> impl IntoView {
    let feedback: Feedback = RwSignal::new(None);
    let resetting = RwSignal::new(false);
    let temporary = RwSignal::new(String::new());
    let status = match (a.active, a.must_change_password) {
        (false, _) => "已停用",
        (true, true) => "待修改密码",
        (true, false) => "正常",
    };
    let (username, name) = (a.username.clone(), a.display_name.clone());
    let toggle = {
        let (username, name) = (username.clone(), name.clone());
        let active = a.active;
        move |_| {
            let question = if active {
                format!("确定停用 {name}（{username}）的账号吗？其所有登录将立即退出，记录保留。")
            } else {
                format!("确定恢复 {name}（{username}）的账号吗？")
            };
            if !client::confirm(&question) {
                return;
            }
            let payload = SetAccountActive {
                username: username.clone(),
                active: !active,
            };
            let done = if active { "已停用" } else { "已恢复" };
            let who = name.clone();
            spawn_local(async move {
                match client::send(None, &payload).await {
                    Ok(_) => refresh.done(format!("{who} 的账号{done}")),
                    Err(e) => feedback.set(Some(Err(e.message))),
                }
            });
        }
    };
    let reset = {
        let (username, name) = (username.clone(), name.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !client::confirm(&format!(
                "确定重置 {name} 的密码吗？其所有登录将退出，下次须用临时密码登录并设置新密码。"
            )) {
                return;
            }
            let payload = ResetPassword {
                username: username.clone(),
                temporary_password: temporary.get_untracked(),
            };
            let who = name.clone();
            spawn_local(async move {
                match client::send(None, &payload).await {
                    Ok(_) => {
                        resetting.set(false);
                        temporary.set(String::new());
                        refresh.done(format!("{who} 的密码已重置，请当面或电话告知临时密码"));
                    }
                    Err(e) => feedback.set(Some(Err(e.message))),
                }
            });
        }
    };
    let unlock = {
        let (username, name) = (username.clone(), name.clone());
        move |_| {
            let payload = UnlockAccount {
                username: username.clone(),
            };
            let who = name.clone();
            spawn_local(async move {
                match client::send(None, &payload).await {
                    Ok(_) => refresh.done(format!("已解除 {who} 的登录限制")),
                    Err(e) => feedback.set(Some(Err(e.message))),
                }
            });
        }
    };
    let input_id = format!("temporary-{}", a.username);
    view! {
        <tr data-username=a.username.clone()>
            <td data-label="用户名">{a.username.clone()}</td>
            <td data-label="姓名">{a.display_name.clone()}{a.admin.then_some("（管理员）")}</td>
            <td data-label="单位">{a.unit.clone()}</td>
            <td data-label="状态">{status}</td>
            <td data-label="操作" class="actions">
                <button type="button" on:click=toggle>{if a.active { "停用" } else { "恢复" }}</button>
                <button type="button" on:click=unlock title="密码输错过多被暂时限制登录时使用">"解除登录限制"</button>
                <button type="button" on:click=move |_| resetting.update(|r| *r = !*r)
                    aria-expanded=move || resetting.get().to_string()>"重置密码"</button>
                <Show when=move || resetting.get()>
                    <form class="inline-form" on:submit=reset.clone()>
                        <label for=input_id.clone()>"临时密码"</label>
                        <input id=input_id.clone() type="text" autocomplete="off" required minlength="10" maxlength="128"
                            prop:value=move || temporary.get() on:input=move |e| temporary.set(event_target_value(&e))/>
                        <button type="submit" class="primary">"确认重置"</button>
                    </form>
                </Show>
                <FeedbackLine feedback/>
            </td>
        </tr>
    }
}
