//! 岗位与人员: a unit's posts with who holds them now and who did, and for an administrator or
//! the unit's liaison the handover form (轮岗交流): the former holder leaves on the handover day,
//! the new one starts that day, inherits the post's approved risk points and gets a commitment to
//! sign.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{use_id_param, BackBar, ErrorBox, FeedbackLine, Refresh};
use domain::post::PostLevel;

use crate::{
    api::{load_unit_posts, HoldingView, PostHoldersView, UnitPostsView},
    client,
    write::{CreatePost, EndHolding, Handover, UpdatePost},
};

#[component]
pub fn HoldersPage() -> impl IntoView {
    let id = use_id_param();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_unit_posts(id).await,
            None => Err(crate::error::ApiError::not_found("该单位")),
        }
    });
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <BackBar/>
        <main id="main" class="page">
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Posts view refresh/> }.into_any(),
                        Err(error) => view! { <Title text="岗位与人员"/><ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Posts(view: UnitPostsView, refresh: Refresh) -> impl IntoView {
    let title = format!("{} · 岗位与人员", view.unit);
    let today = view.today;
    let manages = view.may_manage_posts;
    view! {
        <Title text=title.clone()/>
        <h1>{title}</h1>
        <p class="muted">"风险点属于岗位（对岗不对人）：新任人员接手岗位已审核通过的风险点和防控措施，并收到一份承诺书待签署；原任人员已签署的承诺书保留在记录和公开验证页上。"</p>
        {manages.then(|| view! { <NewPostForm unit_id=view.unit_id unit=view.unit.clone() refresh/> })}
        {if view.posts.is_empty() {
            view! { <p class="empty">"本单位还没有岗位。"</p> }.into_any()
        } else {
            view.posts.into_iter().map(|post| {
                let today = today.clone();
                view! { <PostCard post today manages refresh/> }
            }).collect_view().into_any()
        }}
    }
}

fn span(h: &HoldingView) -> String {
    let start = h
        .started_on
        .clone()
        .unwrap_or_else(|| "到岗日期不详".to_owned());
    match &h.ended_on {
        Some(end) => format!("{start} 至 {end}"),
        None if h.started_on.is_some() => format!("{start} 起"),
        None => start,
    }
}

#[component]
fn PostCard(
    post: PostHoldersView,
    today: String,
    manages: bool,
    refresh: Refresh,
) -> impl IntoView {
    let (current, former): (Vec<HoldingView>, Vec<HoldingView>) = post
        .holdings
        .into_iter()
        .partition(|h| h.ended_on.is_none());
    let heading = format!("post-{}", post.post_id);
    let form = post.may_hand_over.then(|| {
        view! { <HandoverForm post_id=post.post_id title=post.title.clone() current=current.clone() today refresh/> }
    });
    view! {
        <section class="card" aria-labelledby=heading.clone() data-post=post.title.clone()>
            <h2 id=heading.clone()>{post.title.clone()}</h2>
            <p class="sheet-meta"><span>{post.unit.clone()}</span><span>{post.level.label()}</span>
                <a href=format!("/posts/{}", post.post_id)>"排查表"</a></p>
            <h3>"在岗人员"</h3>
            {if current.is_empty() {
                view! { <p class="empty">"目前无人在岗。"</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list holders-current">
                        {current.iter().map(|h| view! {
                            <li>{format!("{}（{}）", h.display_name, h.username)}<span class="muted">{format!(" {}", span(h))}</span></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!former.is_empty()).then(|| view! {
                <h3>"历任人员"</h3>
                <ul class="plain-list holders-former">
                    {former.iter().map(|h| view! {
                        <li>{format!("{}（{}）", h.display_name, h.username)}<span class="muted">{format!(" {}", span(h))}</span></li>
                    }).collect_view()}
                </ul>
            })}
            {form}
            {manages.then(|| view! { <EditPostForm post_id=post.post_id title=post.title.clone() level=post.level refresh/> })}
        </section>
    }
}

/// The post levels, for the forms.
fn level_options(selected: PostLevel) -> impl IntoView {
    PostLevel::ALL
        .iter()
        .map(|l| view! { <option value=l.code() selected=*l == selected>{l.label()}</option> })
        .collect_view()
}

/// 新建岗位 in the page's unit (an administrator's).
#[component]
fn NewPostForm(unit_id: i64, unit: String, refresh: Refresh) -> impl IntoView {
    let title = RwSignal::new(String::new());
    let level = RwSignal::new(PostLevel::General.code().to_owned());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreatePost {
            unit_id,
            title: title.get_untracked(),
            level: level.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(_) => {
                    title.set(String::new());
                    refresh.done(format!("已新建岗位“{}”", body.title.trim()));
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card stack" on:submit=submit novalidate aria-labelledby="new-post">
            <h2 id="new-post">{format!("在{unit}新建岗位")}</h2>
            <label for="new-post-title">"岗位名称"</label>
            <input id="new-post-title" maxlength="80" required autocomplete="off" placeholder="如：财务科科长"
                prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e))/>
            <label for="new-post-level">"岗位类别"</label>
            <select id="new-post-level" on:change=move |e| level.set(event_target_value(&e))>
                {level_options(PostLevel::General)}
            </select>
            {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <button type="submit" class="primary" disabled=move || busy.get()>"新建岗位"</button>
        </form>
    }
}

/// 修改岗位: its title and level (an administrator's).
#[component]
fn EditPostForm(post_id: i64, title: String, level: PostLevel, refresh: Refresh) -> impl IntoView {
    let open = RwSignal::new(false);
    let new_title = RwSignal::new(title);
    let new_level = RwSignal::new(level.code().to_owned());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = UpdatePost {
            title: new_title.get_untracked(),
            level: new_level.get_untracked(),
        };
        error.set(None);
        spawn_local(async move {
            match client::send(Some(post_id), &body).await {
                Ok(_) => {
                    open.set(false);
                    refresh.done(format!("已保存岗位“{}”", body.title.trim()));
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let ids = (
        format!("post-title-{post_id}"),
        format!("post-level-{post_id}"),
    );
    view! {
        <button type="button" class="link-button" aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>"修改岗位"</button>
        <Show when=move || open.get()>
            <form class="stack inline-form" on:submit=submit novalidate>
                <label for=ids.0.clone()>"岗位名称"</label>
                <input id=ids.0.clone() maxlength="80" required
                    prop:value=move || new_title.get() on:input=move |e| new_title.set(event_target_value(&e))/>
                <label for=ids.1.clone()>"岗位类别（排查表进入审核后不能更改）"</label>
                <select id=ids.1.clone() on:change=move |e| new_level.set(event_target_value(&e))>
                    {level_options(level)}
                </select>
                {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                <button type="submit" class="primary">"保存"</button>
            </form>
        </Show>
    }
}

#[component]
fn HandoverForm(
    post_id: i64,
    title: String,
    current: Vec<HoldingView>,
    today: String,
    refresh: Refresh,
) -> impl IntoView {
    let from = RwSignal::new(
        current
            .first()
            .map(|h| h.username.clone())
            .unwrap_or_default(),
    );
    let to = RwSignal::new(String::new());
    let on = RwSignal::new(today.clone());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let names: Vec<(String, String)> = current
        .iter()
        .map(|h| (h.username.clone(), h.display_name.clone()))
        .collect();
    let ids = (
        format!("from-{post_id}"),
        format!("to-{post_id}"),
        format!("on-{post_id}"),
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (from_user, to_user, day) = (
            from.get_untracked(),
            to.get_untracked().trim().to_owned(),
            on.get_untracked(),
        );
        let from_name = names
            .iter()
            .find(|(u, _)| *u == from_user)
            .map(|(_, n)| n.clone());
        if to_user.is_empty() && from_name.is_none() {
            error.set(Some("新任人员账号：请填写新任人员的用户名".to_owned()));
            return;
        }
        let question = match (&from_name, to_user.is_empty()) {
            (Some(f), true) => {
                format!("确定登记 {f} 于 {day} 离开“{title}”岗位吗？其未签署的承诺书将作废。")
            }
            (Some(f), false) => format!("确定登记“{title}”于 {day} 由 {f} 交接给 {to_user} 吗？"),
            (None, _) => format!("确定登记 {to_user} 于 {day} 起在“{title}”岗位任职吗？"),
        };
        if !client::confirm(&question) {
            return;
        }
        busy.set(true);
        error.set(None);
        let post = title.clone();
        spawn_local(async move {
            let result = if to_user.is_empty() {
                let body = EndHolding {
                    username: from_user,
                    on: day,
                };
                client::send(Some(post_id), &body)
                    .await
                    .map(|_| format!("已登记离岗：{post}"))
            } else {
                let body = Handover {
                    from: (!from_user.is_empty()).then_some(from_user),
                    to: to_user.clone(),
                    on: day,
                };
                client::send(Some(post_id), &body).await.map(|done| {
                    let mut text = format!("{post}：已登记 {to_user} 任职");
                    if done.commitment {
                        text.push_str("，已生成待签署的承诺书");
                    }
                    if done.withdrawn > 0 {
                        text.push_str(&format!(
                            "，原任人员未签署的承诺书 {} 份已作废",
                            done.withdrawn
                        ));
                    }
                    text
                })
            };
            busy.set(false);
            match result {
                Ok(message) => {
                    to.set(String::new());
                    refresh.done(message);
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <form class="handover-form" on:submit=submit novalidate>
            <h3>"轮岗交接"</h3>
            <label for=ids.0.clone()>"原任人员"</label>
            <select id=ids.0.clone() on:change=move |e| from.set(event_target_value(&e))>
                {current.iter().enumerate().map(|(i, h)| view! {
                    <option value=h.username.clone() selected=i == 0>{format!("{}（{}）", h.display_name, h.username)}</option>
                }).collect_view()}
                <option value="" selected=current.is_empty()>"无（新增任职，不替换他人）"</option>
            </select>
            <label for=ids.1.clone()>"新任人员账号（用户名；只登记离岗时留空）"</label>
            <input id=ids.1.clone() type="text" autocomplete="off" maxlength="64"
                prop:value=move || to.get() on:input=move |e| to.set(event_target_value(&e))/>
            <label for=ids.2.clone()>"交接日期"</label>
            <input id=ids.2.clone() type="date" max=today required
                prop:value=move || on.get() on:input=move |e| on.set(event_target_value(&e))/>
            {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <button type="submit" class="primary" disabled=move || busy.get()>
                {move || if busy.get() { "正在登记…" } else { "登记交接" }}
            </button>
        </form>
    }
}
