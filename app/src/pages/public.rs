//! 公示: the public notice pages. Anyone may read them, without signing in and without wasm
//! (they render completely on the server); the objection form is a plain HTML form.

use domain::stage::Stage;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::widgets::{level_class, ErrorBox};
use crate::api::{load_public_unit, load_public_units, PublicSheet};

#[component]
fn PublicHeader() -> impl IntoView {
    view! {
        <header class="topbar public-bar">
            <a class="topbar-brand" href="/public">"廉防 · 岗位廉政风险公示"</a>
        </header>
    }
}

#[component]
pub fn PublicIndexPage() -> impl IntoView {
    let units = Resource::new(|| (), |_| load_public_units());
    view! {
        <Title text="岗位廉政风险公示"/>
        <PublicHeader/>
        <main id="main" class="page">
            <h1>"岗位廉政风险公示"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match units.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"目前没有正在公示的单位。"</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain-list">
                                {list.into_iter().map(|u| view! {
                                    <li><a href=format!("/public/units/{}", u.id)>{u.name}</a>
                                    <span class="muted">{format!("（{} 个岗位）", u.published)}</span></li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The outcome of a filed objection, carried back in the query string.
fn notice(filed: bool, error: Option<String>) -> Option<(bool, &'static str)> {
    if filed {
        return Some((
            true,
            "您的异议已收到。纪检联络员处理完毕前，该岗位的公示暂缓结束。",
        ));
    }
    let message = match error?.as_str() {
        "not_in_notice" => "该岗位不在公示期内，不能提出异议。",
        "text_length" => "异议内容须为 5 至 1000 个字，请修改后重新提交。",
        "contact_length" => "联系方式不能超过 100 个字。",
        "too_many_objections" => "该岗位收到的异议已达上限，请直接向区纪委反映。",
        "rate_limited" => "提交过于频繁：同一来源每小时最多提交 5 条异议，请稍后再试。",
        _ => "提交未成功，请稍后重试。",
    };
    Some((false, message))
}

#[component]
pub fn PublicUnitPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let unit_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let data = Resource::new(unit_id, |id| load_public_unit(id.unwrap_or_default()));
    let outcome = move || {
        let q = query.read();
        notice(q.get("filed").is_some(), q.get("error"))
    };
    view! {
        <Title text="岗位廉政风险公示"/>
        <PublicHeader/>
        <main id="main" class="page public">
            {move || outcome().map(|(ok, m)| view! {
                <p class=if ok { "alert alert-ok" } else { "alert alert-error" } role="status">{m}</p>
            })}
            <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(unit) => view! {
                            <h1>{format!("{} 岗位廉政风险点及防控措施公示", unit.unit)}</h1>
                            <p class="muted">{format!("{} · 公示期内，任何人均可对下列内容提出异议。", unit.round)}</p>
                            {unit.sheets.is_empty().then(|| view! { <p class="empty">"本单位目前没有公示内容。"</p> })}
                            {unit.sheets.into_iter().map(|s| view! { <PublicSheetCard sheet=s/> }).collect_view()}
                        }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn PublicSheetCard(sheet: PublicSheet) -> impl IntoView {
    let post_id = sheet.post_id;
    let in_notice = sheet.stage == Stage::PublicNotice;
    let status = match (sheet.stage, sheet.open_objections) {
        (Stage::PublicNotice, 0) => format!(
            "公示中{}",
            sheet
                .notice_until
                .as_deref()
                .map(|d| format!("，至 {d}"))
                .unwrap_or_default()
        ),
        (Stage::PublicNotice, n) => format!("公示暂缓：{n} 条异议正在处理"),
        (Stage::CommissionAudit, _) => "公示期满，区纪委审核中".to_owned(),
        _ => "已审定".to_owned(),
    };
    let text_id = format!("objection-text-{post_id}");
    let contact_id = format!("objection-contact-{post_id}");
    view! {
        <section class="card sheet" id=format!("post-{post_id}")>
            <h2>{sheet.post_title}</h2>
            <p class="sheet-meta">
                <span>{sheet.post_level.label()}</span>
                <span class="badge" data-testid="notice-status">{status}</span>
            </p>
            <ol class="risk-list">
                {sheet.risk_points.into_iter().map(|p| view! {
                    <li class="risk-point">
                        <div class="risk-head">
                            <span class=level_class(p.level)>{p.level.label()}</span>
                            <p class="risk-description">{p.description}</p>
                        </div>
                        <ul class="measures">
                            {p.measures.into_iter().map(|m| view! {
                                <li><span class="measure-kind">{m.kind.label()}</span>
                                <span class="measure-text">{m.text}</span></li>
                            }).collect_view()}
                        </ul>
                    </li>
                }).collect_view()}
            </ol>
            {in_notice.then(|| view! {
                <form class="stack objection-form" method="post" action="/public/objections" id=format!("objection-{post_id}")>
                    <h3>"提出异议"</h3>
                    <input type="hidden" name="post_id" value=post_id.to_string()/>
                    <label for=text_id.clone()>"异议内容（5 至 1000 字）"</label>
                    <textarea id=text_id.clone() name="text" required minlength="5" maxlength="1000"></textarea>
                    <label for=contact_id.clone()>"联系方式（选填，便于答复）"</label>
                    <input id=contact_id.clone() name="contact" maxlength="100"/>
                    <button type="submit">"提交异议"</button>
                </form>
            })}
        </section>
    }
}
