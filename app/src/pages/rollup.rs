//! 承诺书签署情况: per unit, who has and has not signed, with reminders for the unsigned.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{use_id_param, BackBar, ErrorBox, Feedback, FeedbackLine, Refresh};
use crate::{
    api::{load_rollup, RollupView},
    client,
    write::RemindSigner,
};

#[component]
pub fn RollupPage() -> impl IntoView {
    let id = use_id_param();
    let data = Resource::new(id, |id| load_rollup(id.unwrap_or_default()));
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="承诺书签署情况"/>
        <BackBar/>
        <main id="main" class="page">
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(r) => view! { <Rollup r refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Rollup(r: RollupView, refresh: Refresh) -> impl IntoView {
    let feedback: Feedback = RwSignal::new(None);
    view! {
        <h1>{format!("{} 承诺书签署情况", r.unit)}</h1>
        <p role="status" data-testid="rollup-counts">{format!("已签署 {} 份，未签署 {} 份", r.signed, r.unsigned)}</p>
        {r.rows.is_empty().then(|| view! { <p class="empty">"尚无承诺书：岗位排查表经区纪委审核通过后自动生成。"</p> })}
        <ul class="plain-list">
            {r.rows.into_iter().map(|row| {
                let id = row.id;
                let remind = move |_| {
                    spawn_local(async move {
                        match client::send(Some(id), &RemindSigner {}).await {
                            Ok(_) => refresh.done("已发送提醒"),
                            Err(e) => feedback.set(Some(Err(e.message))),
                        }
                    });
                };
                view! {
                    <li class="rollup-row">
                        <a href=format!("/commitments/{id}")>{format!("{} · {} · {}", row.unit, row.post, row.signer)}</a>
                        {match row.signed_at {
                            Some(at) => view! { <span class="badge">{format!("已签署 {at}")}</span> }.into_any(),
                            None => view! {
                                <span class="badge badge-key">"未签署"</span>
                                {row.reminded_at.map(|at| view! { <span class="muted">{format!("已于 {at} 提醒")}</span> })}
                                <button type="button" on:click=remind>"提醒签署"</button>
                            }.into_any(),
                        }}
                    </li>
                }
            }).collect_view()}
        </ul>
        <FeedbackLine feedback/>
    }
}
