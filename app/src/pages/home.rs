//! The home page: what waits for the signed-in user (an inbox with counts and filters), their
//! own posts' sheets, colleagues' sheets to peer-review, and the units they work on.

use domain::{post::PostLevel, stage::Stage};
use leptos::prelude::*;
use leptos_meta::Title;

use super::widgets::{ErrorBox, SheetCard, TopBar};
use crate::api::{load_home, HomeView, SheetSummary};

#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| load_home());
    view! {
        <Title text="我的岗位"/>
        <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(view) => view! { <Home view/> }.into_any(),
                    Err(error) => view! { <main id="main" class="page"><ErrorBox error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Home(view: HomeView) -> impl IntoView {
    let HomeView {
        user,
        my_sheets,
        in_scope,
        peer_queue,
        units,
        commitments,
        edits_template,
        audits,
        manages_accounts,
        runs_rounds,
        views_org,
        sets_district,
        staff_units,
        reminders,
        warnings_link,
        warnings_to_do,
        checks_measures,
        records_education,
        curates_catalogue,
        unread_notifications,
    } = view;
    let unsigned = commitments
        .iter()
        .filter(|c| c.signed_at.is_none() && !c.superseded)
        .count();
    let roles = user.roles.join("、");
    let no_posts = my_sheets.is_empty();
    let waiting: Vec<SheetSummary> = in_scope.iter().filter(|s| s.waiting).cloned().collect();
    let mine_waiting = my_sheets
        .iter()
        .filter(|s| matches!(s.stage, Stage::SelfCheck | Stage::PeerReview))
        .count();
    let total = waiting.len() + peer_queue.len() + mine_waiting + unsigned + warnings_to_do;
    view! {
        <TopBar user=user.clone()/>
        <main id="main" class="page">
            <section class="welcome">
                <h1>{format!("您好，{}", user.display_name)}</h1>
                <p class="muted">{if roles.is_empty() { "暂无角色".to_owned() } else { roles }}</p>
                <p class="inbox-count" data-testid="inbox-count">{format!("待办事项 {total} 件")}</p>
                <p><a href="/notifications" data-testid="notifications-link">{if unread_notifications > 0 { format!("通知（{unread_notifications} 条未读）") } else { "通知".to_owned() }}</a>
                    " · "<a href=format!("/people/{}", user.username)>"我的廉政档案"</a></p>
            </section>
            {(!commitments.is_empty()).then(|| view! {
                <section class="card" aria-labelledby="my-commitments">
                    <h2 id="my-commitments">{format!("我的承诺书（待签署 {unsigned} 份）")}</h2>
                    <ul class="plain-list">
                        {commitments.into_iter().map(|c| view! {
                            <li>
                                <a href=format!("/commitments/{}", c.id)>{format!("{} · {}", c.title, c.post)}</a>
                                <span class="muted">{match (&c.signed_at, c.superseded) {
                                    (Some(at), _) => format!(" 已签署 {at}"),
                                    (None, true) => " 已作废".to_owned(),
                                    (None, false) if c.reminded => " 待签署（已被提醒）".to_owned(),
                                    (None, false) => " 待签署".to_owned(),
                                }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            {(!reminders.is_empty()).then(|| view! {
                <div class="alert alert-warning" role="status" data-testid="deadline-reminders">
                    {reminders.into_iter().map(|r| view! { <p>{r}</p> }).collect_view()}
                </div>
            })}
            {(warnings_to_do > 0).then(|| view! {
                <div class="alert alert-warning" role="status" data-testid="warnings-to-do">
                    <p><a href="/warnings">{format!("有 {warnings_to_do} 条廉政风险预警待您答复或审核")}</a></p>
                </div>
            })}
            {(edits_template || audits || manages_accounts || runs_rounds || views_org || warnings_link || checks_measures || records_education || curates_catalogue || !staff_units.is_empty()).then(|| view! {
                <p class="unit-links">
                    {warnings_link.then(|| view! { <a href="/warnings">"廉政风险预警"</a> })}
                    {checks_measures.then(|| view! { <a href="/measures">"措施落实检验"</a> })}
                    {records_education.then(|| view! { <a href="/education">"廉政教育"</a> })}
                    {curates_catalogue.then(|| view! { <a href="/catalogue">"区级风险库"</a> })}
                    {views_org.then(|| view! { <a href="/admin/org">"组织机构"</a> })}
                    {staff_units.iter().map(|u| view! { <a href=format!("/units/{}/posts", u.id)>{format!("岗位与人员（{}）", u.name)}</a> }).collect_view()}
                    {runs_rounds.then(|| view! { <a href="/rounds">"排查批次"</a> })}
                    {sets_district.then(|| view! { <a href="/settings">"区纪委设置"</a> })}
                    {edits_template.then(|| view! { <a href="/commitment-template">"承诺书模板"</a> })}
                    {audits.then(|| view! { <a href="/admin/audit">"审计记录校验"</a> })}
                    {manages_accounts.then(|| view! { <a href="/admin/accounts">"账号管理"</a> })}
                </p>
            })}
            {(!waiting.is_empty()).then(|| view! { <Inbox id="inbox-review" title="待我审核" items=waiting.clone() filters=true/> })}
            {(!peer_queue.is_empty()).then(|| view! { <Inbox id="inbox-peer" title="待我互评" items=peer_queue.clone() filters=false/> })}
            {(!units.is_empty()).then(|| view! {
                <section class="card">
                    <h2>"单位工作"</h2>
                    <ul class="plain-list">
                        {units.into_iter().map(|u| view! {
                            <li class="unit-links">
                                <strong>{u.name.clone()}</strong>
                                <a href=format!("/units/{}/handbook", u.id)>"工作手册"</a>
                                <a href=format!("/public/units/{}", u.id)>"公示页面"</a>
                                <a href=format!("/units/{}/commitments", u.id)>"承诺书签署情况"</a>
                                <a href=format!("/units/{}/posts", u.id)>"岗位与人员"</a>
                                {u.liaison.then(|| view! {
                                    <a href=format!("/units/{}/meeting", u.id)>"登记集体审定"</a>
                                    <a href=format!("/units/{}/import", u.id)>"导入风险台账"</a>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            {no_posts.then(|| view! { <p class="empty">"您目前没有承担岗位的排查表。"</p> })}
            {(!no_posts).then(|| view! {
                <p><a class="button primary-link" href="/check">"填报岗位自查（可离线使用）"</a></p>
            })}
            {my_sheets.into_iter().map(|sheet| {
                let href = format!("/posts/{}", sheet.post_id);
                view! {
                    <SheetCard sheet/>
                    <p><a href=href>"查看审核进度、互评与异议"</a></p>
                }
            }).collect_view()}
            {(!in_scope.is_empty()).then(|| view! { <Inbox id="inbox-scope" title="职责范围内的排查表" items=in_scope filters=true/> })}
        </main>
    }
}

/// A list of sheets with filters by unit, stage and level.
#[component]
fn Inbox(
    id: &'static str,
    title: &'static str,
    items: Vec<SheetSummary>,
    filters: bool,
) -> impl IntoView {
    let unit = RwSignal::new(String::new());
    let stage = RwSignal::new(String::new());
    let level = RwSignal::new(String::new());
    let mut unit_names: Vec<String> = items.iter().map(|s| s.unit.clone()).collect();
    unit_names.dedup();
    let items = StoredValue::new(items);
    let shown = move || {
        items.with_value(|all| {
            all.iter()
                .filter(|s| unit.with(|u| u.is_empty() || *u == s.unit))
                .filter(|s| stage.with(|x| x.is_empty() || x == s.stage.code()))
                .filter(|s| level.with(|x| x.is_empty() || x == s.post_level.code()))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="card inbox" aria-labelledby=id>
            <h2 id=id>{move || format!("{title}（{}）", shown().len())}</h2>
            {filters.then(|| view! {
                <div class="filters">
                    <label>"单位"
                        <select on:change=move |e| unit.set(event_target_value(&e))>
                            <option value="">"全部"</option>
                            {unit_names.iter().map(|u| view! { <option value=u.clone()>{u.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"环节"
                        <select on:change=move |e| stage.set(event_target_value(&e))>
                            <option value="">"全部"</option>
                            {Stage::ALL.iter().map(|s| view! { <option value=s.code()>{s.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"岗位层级"
                        <select on:change=move |e| level.set(event_target_value(&e))>
                            <option value="">"全部"</option>
                            {PostLevel::ALL.iter().map(|l| view! { <option value=l.code()>{l.label()}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
            })}
            <ul class="sheet-list">
                <For each=shown key=|s| (s.post_id, s.stage) let:s>
                    <li>
                        <a href=format!("/posts/{}", s.post_id)>{format!("{} · {}", s.unit, s.post_title)}</a>
                        <span class="muted">{format!(
                            "{} · {} · 风险点 {} 个（一级 {} 个）",
                            s.post_level.label(), s.stage.label(), s.risk_count, s.high_count
                        )}</span>
                        {(s.open_objections > 0).then(|| view! {
                            <span class="badge badge-key">{format!("异议 {} 条待处理", s.open_objections)}</span>
                        })}
                    </li>
                </For>
            </ul>
        </section>
    }
}
