//! 账号管理: the administrator's list of accounts, with new accounts (a temporary password to be
//! changed at the first sign-in), roles scoped to units, a password reset, deactivation and
//! reactivation. Each act asks first where it takes something away, and is in the audit log.

use domain::account::Role;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, Feedback, FeedbackLine, Refresh};
use crate::{
    api::{
        district::{load_org, OrgView, RoleGrant},
        load_accounts, AccountView,
    },
    client,
    write::{CreateAccount, ResetPassword, SetAccountActive, SetRoles, UnlockAccount},
};

#[component]
pub fn AccountsPage() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async { Ok::<_, crate::error::ApiError>((load_accounts().await?, load_org().await?)) },
    );
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
                        Ok((accounts, org)) => view! {
                            <NewAccountForm org=org.clone() refresh/>
                            <table class="handbook-table accounts">
                                <caption>{format!("共 {} 个账号", accounts.len())}</caption>
                                <thead><tr>
                                    <th scope="col">"用户名"</th><th scope="col">"姓名"</th><th scope="col">"单位"</th>
                                    <th scope="col">"角色"</th><th scope="col">"状态"</th><th scope="col">"操作"</th>
                                </tr></thead>
                                <tbody>
                                    {accounts.into_iter().map(|a| view! { <AccountRow a org=org.clone() refresh/> }).collect_view()}
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
fn AccountRow(a: AccountView, org: OrgView, refresh: Refresh) -> impl IntoView {
    let editing_roles = RwSignal::new(false);
    let role_text = roles_text(&a.roles, &org, a.unit_id);
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
            <td data-label="角色">{role_text}</td>
            <td data-label="状态">{status}</td>
            <td data-label="操作" class="actions">
                <button type="button" on:click=toggle>{if a.active { "停用" } else { "恢复" }}</button>
                <button type="button" on:click=unlock title="密码输错过多被暂时限制登录时使用">"解除登录限制"</button>
                <button type="button" on:click=move |_| resetting.update(|r| *r = !*r)
                    aria-expanded=move || resetting.get().to_string()>"重置密码"</button>
                <button type="button" on:click=move |_| editing_roles.update(|r| *r = !*r)
                    aria-expanded=move || editing_roles.get().to_string()>"角色"</button>
                {move || editing_roles.get().then(|| view! {
                    <RolesEditor username=username.clone() name=name.clone() roles=a.roles.clone() org=org.clone()
                        unit_id=a.unit_id close=editing_roles feedback refresh/>
                })}
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

/// An account's roles in words: `科室负责人（区教育局）、岗位人员`.
fn roles_text(roles: &[RoleGrant], org: &OrgView, own_unit: i64) -> String {
    roles
        .iter()
        .map(|g| match g.scope_id == own_unit {
            true => g.role.label().to_owned(),
            false => format!("{}（{}）", g.role.label(), unit_name(org, g.scope_id)),
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn unit_name(org: &OrgView, id: i64) -> String {
    org.units
        .iter()
        .find(|u| u.id == id)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| format!("单位 {id}"))
}

/// A unit picker over the whole tree, indented by depth.
#[component]
fn UnitSelect(id: String, org: OrgView, value: RwSignal<i64>) -> impl IntoView {
    view! {
        <select id=id on:change=move |e| value.set(event_target_value(&e).parse().unwrap_or(0))>
            {org.units.into_iter().map(|u| {
                let label = format!("{}{}", "　".repeat(u.depth), u.name);
                view! { <option value=u.id.to_string() selected=value.get_untracked() == u.id>{label}</option> }
            }).collect_view()}
        </select>
    }
}

/// The roles an administrator gives: every role but the holder's, which comes with a post.
const GRANTABLE: [Role; 5] = [
    Role::SectionHead,
    Role::LeaderInCharge,
    Role::UnitLiaison,
    Role::CommissionReviewer,
    Role::Admin,
];

#[component]
fn RolesEditor(
    username: String,
    name: String,
    roles: Vec<RoleGrant>,
    org: OrgView,
    unit_id: i64,
    close: RwSignal<bool>,
    feedback: Feedback,
    refresh: Refresh,
) -> impl IntoView {
    let list = RwSignal::new(roles);
    let role = RwSignal::new(Role::SectionHead);
    let scope = RwSignal::new(unit_id);
    let org_names = org.clone();
    let add = move |_| {
        let grant = RoleGrant {
            role: role.get_untracked(),
            scope_id: scope.get_untracked(),
        };
        list.update(|l| {
            if !l.contains(&grant) {
                l.push(grant);
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SetRoles {
            username: username.clone(),
            roles: list.get_untracked(),
        };
        let who = name.clone();
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(done) => {
                    close.set(false);
                    refresh.done(format!(
                        "{who} 的角色已保存：新增 {} 项，取消 {} 项",
                        done.granted, done.revoked
                    ));
                }
                Err(e) => feedback.set(Some(Err(e.message))),
            }
        });
    };
    let ids = (
        format!("role-{}", unit_id),
        format!("role-scope-{}", unit_id),
    );
    view! {
        <form class="stack inline-form roles-editor" on:submit=save>
            <ul class="plain-list">
                {move || list.get().into_iter().map(|g| {
                    let text = format!("{}（{}）", g.role.label(), unit_name(&org_names, g.scope_id));
                    let remove = g.clone();
                    view! {
                        <li>{text.clone()}
                            <button type="button" class="link-button" aria-label=format!("取消{text}")
                                on:click=move |_| list.update(|l| l.retain(|x| *x != remove))>"取消"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <label for=ids.0.clone()>"添加角色"</label>
            <select id=ids.0.clone() on:change=move |e| {
                if let Ok(r) = Role::parse(&event_target_value(&e)) {
                    role.set(r);
                }
            }>
                {GRANTABLE.iter().map(|r| view! { <option value=r.code()>{r.label()}</option> }).collect_view()}
            </select>
            <label for=ids.1.clone()>"范围（该单位及其下级）"</label>
            <UnitSelect id=ids.1.clone() org value=scope/>
            <div class="button-row">
                <button type="button" on:click=add>"添加"</button>
                <button type="submit" class="primary">"保存角色"</button>
            </div>
        </form>
    }
}

#[component]
fn NewAccountForm(org: OrgView, refresh: Refresh) -> impl IntoView {
    let open = RwSignal::new(false);
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let unit = RwSignal::new(org.units.first().map_or(0, |u| u.id));
    let role = RwSignal::new(String::new());
    let temporary = RwSignal::new(String::new());
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let roles = Role::parse(&role.get_untracked())
            .ok()
            .map(|role| RoleGrant {
                role,
                scope_id: unit.get_untracked(),
            })
            .into_iter()
            .collect();
        let body = CreateAccount {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            unit_id: unit.get_untracked(),
            roles,
            temporary_password: temporary.get_untracked(),
        };
        busy.set(true);
        feedback.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(_) => {
                    let who = format!("{}（{}）", body.display_name.trim(), body.username.trim());
                    username.set(String::new());
                    display_name.set(String::new());
                    temporary.set(String::new());
                    refresh.done(format!(
                        "已新建账号 {who}；请当面或电话告知临时密码，本人首次登录须修改。岗位任职请在“岗位与人员”中登记"
                    ));
                }
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="new-account">
            <h2 id="new-account">
                <button type="button" class="link-button" aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>"新建账号"</button>
            </h2>
            <p class="muted">"批量建立账号请用"<a href="/admin/org/import">"导入花名册"</a>"。"</p>
            <Show when=move || open.get()>
                <form class="stack" on:submit=submit novalidate>
                    <label for="new-username">"用户名（3–32 位英文字母、数字、点、下划线或连字符）"</label>
                    <input id="new-username" autocomplete="off" maxlength="32" required
                        prop:value=move || username.get() on:input=move |e| username.set(event_target_value(&e))/>
                    <label for="new-display-name">"姓名"</label>
                    <input id="new-display-name" autocomplete="off" maxlength="40" required
                        prop:value=move || display_name.get() on:input=move |e| display_name.set(event_target_value(&e))/>
                    <label for="new-unit">"所在单位"</label>
                    <UnitSelect id="new-unit".to_owned() org=org.clone() value=unit/>
                    <label for="new-role">"角色（范围为所在单位；岗位人员角色随岗位任职自动授予）"</label>
                    <select id="new-role" on:change=move |e| role.set(event_target_value(&e))>
                        <option value="" selected=true>"暂不授予"</option>
                        {GRANTABLE.iter().map(|r| view! { <option value=r.code()>{r.label()}</option> }).collect_view()}
                    </select>
                    <label for="new-temporary">"临时密码（至少 10 位，含字母和数字；本人首次登录须修改）"</label>
                    <input id="new-temporary" type="text" autocomplete="off" minlength="10" maxlength="128" required
                        prop:value=move || temporary.get() on:input=move |e| temporary.set(event_target_value(&e))/>
                    <button type="submit" class="primary" disabled=move || busy.get()>"建立账号"</button>
                    <FeedbackLine feedback/>
                </form>
            </Show>
        </section>
    }
}
