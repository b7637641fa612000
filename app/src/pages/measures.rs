//! 措施落实检验: the section head's page of the measures of approved sheets in their units. Those
//! the holders reported finished wait for the check (检验): accepted, or sent back with a reason;
//! the unfinished ones with a due day follow, the overdue (逾期) first. The holders report from
//! the self-check, offline too.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, FeedbackLine, Refresh};
use crate::{
    api::supervision::{load_measures, MeasureView, MeasuresView},
    client,
    write::CheckMeasure,
};

#[component]
pub fn MeasuresPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_measures());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="措施落实检验"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"措施落实检验"</h1>
            <p class="muted">"排查表经区纪委审核通过后，岗位人员逐项报告防控措施的落实情况；报告完成的措施由科室负责人检验：符合要求的检验通过，不符合的写明理由退回，岗位人员继续落实后再次报告。超过完成时限仍未完成的措施标为逾期。"</p>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Measures view refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Measures(view: MeasuresView, refresh: Refresh) -> impl IntoView {
    let MeasuresView {
        today,
        to_check,
        unfinished,
    } = view;
    let overdue = unfinished.iter().filter(|m| m.overdue).count();
    view! {
        <section class="card" aria-labelledby="to-check">
            <h2 id="to-check">{format!("待检验（{} 项）", to_check.len())}</h2>
            {if to_check.is_empty() {
                view! { <p class="empty">"目前没有报告完成、等待检验的措施。"</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {to_check.into_iter().map(|m| view! { <ToCheck measure=m refresh/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="unfinished">
            <h2 id="unfinished">{format!("未完成的措施（{} 项，其中逾期 {overdue} 项）", unfinished.len())}</h2>
            <p class="muted">{format!("截至 {today}。")}</p>
            {if unfinished.is_empty() {
                view! { <p class="empty">"没有设定完成时限而尚未完成的措施。"</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {unfinished.into_iter().map(|m| view! { <Unfinished measure=m/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Where a measure sits: its post and unit, its risk point, its kind and words.
#[component]
fn MeasureHead(measure: MeasureView) -> impl IntoView {
    view! {
        <p><strong>{format!("{} · {}", measure.unit, measure.post_title)}</strong></p>
        <p class="muted">{format!("风险点：{}", measure.point)}</p>
        <p>
            <span class="measure-kind">{measure.kind.label()}</span>" "
            <span class="measure-text">{measure.text.clone()}</span>
            {measure.owner.clone().map(|o| view! { <span class="measure-owner">{format!(" 责任人 {o}")}</span> })}
        </p>
    }
}

/// A measure reported finished, with the check's two answers.
#[component]
fn ToCheck(measure: MeasureView, refresh: Refresh) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sending_back = RwSignal::new(false);
    let (point, position) = (measure.risk_point_id.clone(), measure.position);
    let text = measure.text.clone();
    let send = move |accept: bool| {
        let payload = CheckMeasure {
            risk_point_id: point.clone(),
            position,
            accept,
            reason: reason.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        let text = text.clone();
        spawn_local(async move {
            let result = client::send(None, &payload).await;
            busy.set(false);
            match result {
                Ok(_) if accept => refresh.done(format!("已检验通过：{text}")),
                Ok(_) => refresh.done(format!("已退回：{text}，岗位人员将继续落实后再次报告")),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let send_accept = send.clone();
    let accept = move |_| {
        if client::confirm("确定该措施已落实到位、检验通过吗？通过后不能再更改。")
        {
            send_accept(true);
        }
    };
    let send_back = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if client::confirm("确定退回吗？该措施将恢复为“进行中”，由岗位人员继续落实。")
        {
            send(false);
        }
    };
    let id = format!("check-{}-{}", measure.risk_point_id, measure.position);
    let reason_id = format!("{id}-reason");
    let done = measure
        .done_on
        .clone()
        .map(|d| format!("报告完成于 {d}"))
        .unwrap_or_default();
    let noted = measure
        .noted_at
        .clone()
        .map(|t| format!("（{t} 报告）"))
        .unwrap_or_default();
    view! {
        <li class="measure-row" data-testid="measure-to-check">
            <MeasureHead measure=measure.clone()/>
            <p><span class="badge">"待检验"</span>" "{done}</p>
            {measure.note.clone().map(|n| view! { <p class="prewrap">{format!("落实情况：{n}{noted}")}</p> })}
            {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <div class="actions">
                <button type="button" class="primary" on:click=accept disabled=move || busy.get()>"检验通过"</button>
                <button type="button" on:click=move |_| sending_back.set(true) disabled=move || busy.get()
                    aria-expanded=move || sending_back.get().to_string()>"退回"</button>
            </div>
            <Show when=move || sending_back.get()>
                <form on:submit=send_back.clone() novalidate>
                    <label for=reason_id.clone()>"退回理由"<span class="required" aria-hidden="true">"*"</span></label>
                    <textarea id=reason_id.clone() rows="3" required aria-required="true" maxlength="500"
                        prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e))></textarea>
                    <button type="submit" disabled=move || busy.get()>"确认退回"</button>
                </form>
            </Show>
        </li>
    }
}

/// An unfinished measure with a due day.
#[component]
fn Unfinished(measure: MeasureView) -> impl IntoView {
    let state = match (measure.standing, measure.status) {
        (domain::risk::progress::Standing::SentBack, _) => "检验退回，继续落实".to_owned(),
        (_, status) => status.label().to_owned(),
    };
    view! {
        <li class="measure-row" data-testid="measure-unfinished">
            <MeasureHead measure=measure.clone()/>
            <p>
                <span class="measure-status">{state}</span>
                {measure.due.clone().map(|d| view! { <span class="measure-due">{format!(" · 时限 {d}")}</span> })}
                {measure.overdue.then(|| view! { " "<span class="badge badge-overdue">"逾期"</span> })}
            </p>
            {measure.note.clone().map(|n| view! { <p class="muted prewrap">{n}</p> })}
        </li>
    }
}
