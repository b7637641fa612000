//! 集体审定: the unit liaison records the leadership meeting that approved a set of the unit's
//! sheets, and the sheets move on to the public notice together.

use std::collections::BTreeSet;

use domain::stage::Stage;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{use_id_param, BackBar, ErrorBox, Feedback, FeedbackLine, Refresh};
use crate::{
    api::{load_home, SheetSummary},
    client,
    write::RecordMeeting,
};

#[component]
pub fn MeetingPage() -> impl IntoView {
    let unit_id = use_id_param();
    let home = Resource::new(|| (), |_| load_home());
    let refresh = Refresh::new(move || home.refetch());
    view! {
        <Title text="登记集体审定"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"登记集体审定会议"</h1>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    let unit = unit_id().unwrap_or_default();
                    match home.await {
                        Ok(home) => {
                            let sheets: Vec<SheetSummary> = home.in_scope.into_iter()
                                .filter(|s| s.unit_id == unit && s.stage == Stage::CollectiveReview && s.waiting)
                                .collect();
                            view! { <MeetingForm unit sheets refresh/> }.into_any()
                        }
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn MeetingForm(unit: i64, sheets: Vec<SheetSummary>, refresh: Refresh) -> impl IntoView {
    if sheets.is_empty() {
        return view! { <p class="empty">"本单位目前没有待集体审定的排查表。"</p> }.into_any();
    }
    let chosen = RwSignal::new(sheets.iter().map(|s| s.post_id).collect::<BTreeSet<i64>>());
    let held_on = RwSignal::new(String::new());
    let attendees = RwSignal::new(String::new());
    let decision = RwSignal::new("同意上述岗位廉政风险排查结果及防控措施，予以公示".to_owned());
    let minutes = RwSignal::new(String::new());
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let posts: Vec<i64> = chosen.get_untracked().into_iter().collect();
        if !client::confirm(&format!(
            "确定登记会议并将选中的 {} 个岗位提交公示吗？",
            posts.len()
        )) {
            return;
        }
        let body = RecordMeeting {
            unit_id: unit,
            post_ids: posts,
            held_on: held_on.get_untracked(),
            attendees: attendees.get_untracked(),
            decision: decision.get_untracked(),
            minutes_ref: minutes.get_untracked(),
        };
        busy.set(true);
        feedback.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(recorded) => refresh.done(format!(
                    "会议已登记：{} 份排查表审定通过，已进入公示",
                    recorded.approved
                )),
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card stack" on:submit=submit>
            <fieldset>
                <legend>"经会议审定的岗位"</legend>
                {sheets.into_iter().map(|s| {
                    let id = s.post_id;
                    view! {
                        <label class="check">
                            <input type="checkbox" name="post" value=id.to_string()
                                prop:checked=move || chosen.with(|c| c.contains(&id))
                                on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    chosen.update(|c| { if on { c.insert(id); } else { c.remove(&id); } });
                                }/>
                            {format!("{}（风险点 {} 个）", s.post_title, s.risk_count)}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <label for="held-on">"会议日期"</label>
            <input id="held-on" type="date" required prop:value=move || held_on.get()
                on:input=move |e| held_on.set(event_target_value(&e))/>
            <label for="attendees">"参会人员"</label>
            <textarea id="attendees" required minlength="2" maxlength="500" placeholder="如：局长、分管副局长、各科室负责人"
                prop:value=move || attendees.get() on:input=move |e| attendees.set(event_target_value(&e))></textarea>
            <label for="decision">"会议决定"</label>
            <textarea id="decision" required minlength="2" maxlength="500"
                prop:value=move || decision.get() on:input=move |e| decision.set(event_target_value(&e))></textarea>
            <label for="minutes">"会议纪要编号"</label>
            <input id="minutes" required maxlength="100" placeholder="如：党组会纪要〔2026〕12号"
                prop:value=move || minutes.get() on:input=move |e| minutes.set(event_target_value(&e))/>
            <button type="submit" class="primary" disabled=move || busy.get()>"登记并提交公示"</button>
            <FeedbackLine feedback/>
        </form>
    }
    .into_any()
}
