//! The review around a sheet (审核办理): chain steps for the holder and reviewers, peer review
//! with suggested risk points, objections to the public notice, and the commission's grading of
//! key posts. What is offered comes from the server (`ReviewInfo`), which re-checks everything.

use domain::{
    chain::{Action, ObjectionOutcome, ReturnReason},
    post::SupervisionGrade,
    risk::{MeasureKind, RiskCategory},
    stage::Stage,
    sync::{MeasureInput, RiskPointInput},
};
use leptos::{prelude::*, task::spawn_local};

use super::widgets::{Feedback, FeedbackLine, Refresh};
use crate::{
    api::{ObjectionView, ReviewInfo, SheetView, SuggestionView},
    client::{self, Decided},
    write::{
        AcceptSuggestion, DeclineSuggestion, PeerReview, ResolveObjection, SetSupervision,
        Suggestion, Write,
    },
};

/// Sends a write about `id`; on success the page says `done` and loads the sheet again, on
/// failure the panel's own line says why.
fn send<W: Write + 'static>(
    id: i64,
    body: W,
    done: &'static str,
    refresh: Refresh,
    feedback: Feedback,
    busy: RwSignal<bool>,
) {
    busy.set(true);
    feedback.set(None);
    spawn_local(async move {
        match client::send(Some(id), &body).await {
            Ok(_) => refresh.done(done),
            Err(e) => feedback.set(Some(Err(e.message))),
        }
        busy.set(false);
    });
}

#[component]
pub fn ReviewPanel(sheet: SheetView, refresh: Refresh) -> impl IntoView {
    let Some(review) = sheet.review.clone() else {
        return ().into_any();
    };
    let show_peer = matches!(sheet.stage, Stage::PeerReview)
        || !review.peer_reviews.is_empty()
        || !review.suggestions.is_empty();
    view! {
        <StepPanel sheet=sheet.clone() review=review.clone() refresh/>
        {show_peer.then(|| view! { <PeerPanel sheet=sheet.clone() review=review.clone() refresh/> })}
        {(!review.objections.is_empty()).then(|| view! {
            <ObjectionPanel objections=review.objections.clone() may_resolve=review.may_resolve_objections refresh/>
        })}
        {(!review.meetings.is_empty()).then(|| view! {
            <section class="card">
                <h2>"集体审定记录"</h2>
                <ul class="plain-list">
                    {review.meetings.iter().map(|m| view! {
                        <li>{format!("{} · 参会：{} · 决定：{} · 纪要：{}", m.held_on, m.attendees, m.decision, m.minutes_ref)}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {review.may_grade.then(|| {
            let cadence = review.cadence.unwrap_or_default();
            view! { <GradePanel sheet=sheet.clone() cadence refresh/> }
        })}
    }
    .into_any()
}

/// The chain step this user may take now, or why it is held.
#[component]
fn StepPanel(sheet: SheetView, review: ReviewInfo, refresh: Refresh) -> impl IntoView {
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let (post_id, version, stage, unit_id) =
        (sheet.post_id, sheet.version, sheet.stage, sheet.unit_id);
    let may = |a: &str| review.actions.iter().any(|x| x == a);
    let step = move |action: Action, question: &'static str| {
        if !client::confirm(question) {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match client::decide(post_id, version, action).await {
                Ok(Decided::Applied) => refresh.done("已办理"),
                Ok(Decided::Queued) => feedback.set(Some(Ok(
                    "网络不可用：已保存在本机，联网后自动提交".to_owned(),
                ))),
                Err(message) => feedback.set(Some(Err(message))),
            }
            busy.set(false);
        });
    };
    let approve_label = match stage {
        Stage::PublicNotice => "公示期满，报区纪委审核",
        Stage::CommissionAudit => "审核通过（定稿）",
        Stage::LeaderConfirmation => "确定通过",
        _ => "审核通过",
    };
    let targets = review.return_targets.clone();
    let first_target = targets.first().copied().unwrap_or(Stage::SelfCheck);
    let target = RwSignal::new(first_target);
    let reason = RwSignal::new(String::new());
    let do_return = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match ReturnReason::parse(&reason.get_untracked()) {
            Ok(r) => step(
                Action::Return {
                    to: target.get_untracked(),
                    reason: r,
                },
                "确定退回吗？退回后该环节以上的审核意见将失效。",
            ),
            Err(e) => feedback.set(Some(Err(e.message))),
        }
    };
    let nothing = review.actions.is_empty() && review.held.is_none();
    // An approval at 集体审定 is taken by recording the meeting, not by a button.
    let meeting = domain::chain::needs_meeting(stage, &Action::Approve) && may("approve");
    view! {
        <section class="card review-steps" aria-labelledby="steps-title">
            <h2 id="steps-title">"审核办理"</h2>
            <p class="muted">{format!("当前环节：{}（第 {} 版）", stage.label(), version)}</p>
            {review.held.clone().map(|h| view! { <p class="alert alert-info" role="status">{format!("暂不能办理：{h}")}</p> })}
            {nothing.then(|| view! { <p class="muted">"当前环节无需您办理。"</p> })}
            <div class="button-row">
                {may("submit").then(|| view! {
                    <button type="button" disabled=move || busy.get()
                        on:click=move |_| step(Action::Submit, "提交后将进入互评环节，不能再修改。确定提交审核吗？")>"提交审核"</button>
                })}
                {may("close_peer_review").then(|| view! {
                    <button type="button" disabled=move || busy.get()
                        on:click=move |_| step(Action::ClosePeerReview, "确定结束互评、报科室把关吗？")>"结束互评"</button>
                })}
                {(may("approve") && !meeting).then(|| view! {
                    <button type="button" class="primary" disabled=move || busy.get()
                        on:click=move |_| step(Action::Approve, "确定审核通过吗？")>{approve_label}</button>
                })}
                {meeting.then(|| view! {
                    <a class="button" href=format!("/units/{unit_id}/meeting")>"登记集体审定会议"</a>
                })}
            </div>
            {may("return").then(|| view! {
                <form class="return-form" on:submit=do_return>
                    <h3>"退回"</h3>
                    <label for="return-to">"退回到"</label>
                    <select id="return-to" on:change=move |e| {
                        if let Ok(s) = Stage::from_code(&event_target_value(&e)) { target.set(s) }
                    }>
                        {targets.iter().map(|s| view! {
                            <option value=s.code() selected=*s == first_target>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <label for="return-reason">"退回理由（必填）"</label>
                    <textarea id="return-reason" required minlength="2" maxlength="500"
                        prop:value=move || reason.get()
                        on:input=move |e| reason.set(event_target_value(&e))></textarea>
                    <button type="submit" class="danger" disabled=move || busy.get()>"退回"</button>
                </form>
            })}
            <FeedbackLine feedback/>
        </section>
    }
}

/// 互评: colleagues' comments and suggested risk points; the holder decides on each suggestion.
#[component]
fn PeerPanel(sheet: SheetView, review: ReviewInfo, refresh: Refresh) -> impl IntoView {
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let post_id = sheet.post_id;
    let in_review = sheet.stage == Stage::PeerReview;
    let decide = review.is_holder && in_review;
    let comment = RwSignal::new(String::new());
    let submit_comment = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PeerReview {
            comment: comment.get_untracked(),
        };
        send(post_id, body, "互评意见已提交", refresh, feedback, busy);
    };
    view! {
        <section class="card" aria-labelledby="peer-title">
            <h2 id="peer-title">"互评"</h2>
            <p class="muted">{format!(
                "已收到互评意见 {} 份{}",
                review.peer_reviews.len(),
                if review.required_peer_reviews > 0 { format!("，本单位要求至少 {} 份", review.required_peer_reviews) } else { String::new() }
            )}</p>
            <ul class="plain-list">
                {review.peer_reviews.iter().map(|r| view! {
                    <li><strong>{r.by.clone()}</strong>{format!("（{}）：{}", r.at, r.comment)}</li>
                }).collect_view()}
            </ul>
            {(!review.suggestions.is_empty()).then(|| view! {
                <h3>"同事建议的风险点"</h3>
                <ul class="plain-list suggestions">
                    {review.suggestions.iter().cloned().map(|s| view! {
                        <SuggestionItem s decide refresh feedback busy/>
                    }).collect_view()}
                </ul>
            })}
            {review.may_peer_review.then(|| view! {
                <form class="stack" on:submit=submit_comment>
                    <label for="peer-comment">"互评意见"</label>
                    <textarea id="peer-comment" required minlength="2" maxlength="1000"
                        prop:value=move || comment.get()
                        on:input=move |e| comment.set(event_target_value(&e))></textarea>
                    <button type="submit" disabled=move || busy.get()>"提交互评意见"</button>
                </form>
                <SuggestForm post_id refresh feedback busy/>
            })}
            <FeedbackLine feedback/>
        </section>
    }
}

#[component]
fn SuggestionItem(
    s: SuggestionView,
    decide: bool,
    refresh: Refresh,
    feedback: Feedback,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let id = s.id;
    let reason = RwSignal::new(String::new());
    let status = match s.status.as_str() {
        "accepted" => "已采纳".to_owned(),
        "declined" => format!("未采纳：{}", s.decline_reason.clone().unwrap_or_default()),
        _ => "待处理".to_owned(),
    };
    let pending = s.status == "pending";
    let accept = move |_| {
        if client::confirm("采纳后该建议将作为本岗位的风险点。确定采纳吗？")
        {
            let body = AcceptSuggestion {};
            send(
                id,
                body,
                "已采纳，该风险点已加入本岗位",
                refresh,
                feedback,
                busy,
            );
        }
    };
    let decline = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = DeclineSuggestion {
            reason: reason.get_untracked(),
        };
        send(id, body, "已不采纳该建议", refresh, feedback, busy);
    };
    let reason_id = format!("decline-{id}");
    view! {
        <li class="suggestion">
            <p>
                {s.level.map(|l| view! { <span class=super::widgets::level_class(l)>{l.label()}</span> })}
                {format!(" {}（{}，{} 建议）", s.description, s.category.label(), s.by)}
            </p>
            <p class="muted">{status}</p>
            {(decide && pending).then(|| view! {
                <div class="button-row">
                    <button type="button" disabled=move || busy.get() on:click=accept>"采纳"</button>
                </div>
                <form class="inline-form" on:submit=decline>
                    <label for=reason_id.clone()>"不采纳理由"</label>
                    <input id=reason_id.clone() required minlength="2" maxlength="500"
                        prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e))/>
                    <button type="submit" disabled=move || busy.get()>"不采纳"</button>
                </form>
            })}
        </li>
    }
}

/// A colleague suggests a risk point: the essentials, rated on the sheet's matrix when accepted.
#[component]
fn SuggestForm(
    post_id: i64,
    refresh: Refresh,
    feedback: Feedback,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let description = RwSignal::new(String::new());
    let category = RwSignal::new(RiskCategory::ALL[0].code().to_owned());
    let power = RwSignal::new(String::new());
    let likelihood = RwSignal::new(3i64);
    let impact = RwSignal::new(3i64);
    let measure_kind = RwSignal::new(MeasureKind::ALL[0].code().to_owned());
    let measure = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = RiskPointInput {
            duty: String::new(),
            description: description.get_untracked(),
            manifestation: String::new(),
            category: category.get_untracked(),
            power_type: power.get_untracked(),
            likelihood: likelihood.get_untracked(),
            impact: impact.get_untracked(),
            frequency: 3,
            residual_likelihood: None,
            residual_impact: None,
            measures: vec![MeasureInput {
                kind: measure_kind.get_untracked(),
                text: measure.get_untracked(),
                ..MeasureInput::default()
            }],
        };
        if let Err(errors) = input.validate() {
            let text: Vec<String> = errors.into_iter().map(|e| e.message).collect();
            feedback.set(Some(Err(text.join("；"))));
            return;
        }
        send(
            post_id,
            Suggestion(input),
            "建议已提交",
            refresh,
            feedback,
            busy,
        );
    };
    let score = |signal: RwSignal<i64>, id: &'static str, label: &'static str| {
        view! {
            <label for=id>{label}</label>
            <select id=id on:change=move |e| {
                if let Ok(v) = event_target_value(&e).parse() { signal.set(v) }
            }>
                {(1..=5).map(|v| view! { <option value=v.to_string() selected=v == 3>{v}</option> }).collect_view()}
            </select>
        }
    };
    view! {
        <form class="stack suggest-form" on:submit=submit>
            <h3>"建议增加风险点"</h3>
            <label for="suggest-description">"风险点描述"</label>
            <textarea id="suggest-description" required minlength="4" maxlength="500"
                prop:value=move || description.get() on:input=move |e| description.set(event_target_value(&e))></textarea>
            <label for="suggest-category">"风险类别"</label>
            <select id="suggest-category" on:change=move |e| category.set(event_target_value(&e))>
                {RiskCategory::ALL.iter().map(|c| view! { <option value=c.code()>{c.label()}</option> }).collect_view()}
            </select>
            <label for="suggest-power">"权力类型"</label>
            <input id="suggest-power" required maxlength="40" placeholder="如：行政审批权"
                prop:value=move || power.get() on:input=move |e| power.set(event_target_value(&e))/>
            {score(likelihood, "suggest-likelihood", "可能性（1–5）")}
            {score(impact, "suggest-impact", "危害程度（1–5）")}
            <label for="suggest-measure-kind">"建议的防控措施类别"</label>
            <select id="suggest-measure-kind" on:change=move |e| measure_kind.set(event_target_value(&e))>
                {MeasureKind::ALL.iter().map(|k| view! { <option value=k.code()>{k.label()}</option> }).collect_view()}
            </select>
            <label for="suggest-measure">"建议的防控措施"</label>
            <textarea id="suggest-measure" required minlength="2" maxlength="500"
                prop:value=move || measure.get() on:input=move |e| measure.set(event_target_value(&e))></textarea>
            <button type="submit" disabled=move || busy.get()>"提交建议"</button>
        </form>
    }
}

/// 公示异议: what was filed, and the liaison's answers.
#[component]
fn ObjectionPanel(
    objections: Vec<ObjectionView>,
    may_resolve: bool,
    refresh: Refresh,
) -> impl IntoView {
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let open = objections.iter().filter(|o| o.open).count();
    view! {
        <section class="card" aria-labelledby="objections-title">
            <h2 id="objections-title">{format!("公示异议（待处理 {open} 条）")}</h2>
            <ul class="plain-list">
                {objections.into_iter().map(|o| {
                    let id = o.id;
                    let response = RwSignal::new(String::new());
                    let outcome = RwSignal::new(String::new());
                    let field = format!("objection-response-{id}");
                    let outcome_field = format!("objection-outcome-{id}");
                    let resolve = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        let body = ResolveObjection {
                            response: response.get_untracked(),
                            outcome: outcome.get_untracked(),
                        };
                        send(id, body, "已答复并办结", refresh, feedback, busy);
                    };
                    view! {
                        <li class="objection">
                            <p>{format!("{}：{}", o.at, o.text)}</p>
                            {o.contact.map(|c| view! { <p class="muted">{format!("联系方式：{c}")}</p> })}
                            {match o.response {
                                Some(r) => view! { <p class="muted">{match o.outcome {
                                    Some(found) => format!("{}。处理意见：{r}", found.label()),
                                    None => format!("处理意见：{r}"),
                                }}</p> }.into_any(),
                                None => view! { <p class="badge badge-key">"待处理"</p> }.into_any(),
                            }}
                            {(o.open && may_resolve).then(|| view! {
                                <form class="stack" on:submit=resolve>
                                    <label for=outcome_field.clone()>"核实结论"</label>
                                    <select id=outcome_field required on:change=move |e| outcome.set(event_target_value(&e))>
                                        <option value="">"请选择"</option>
                                        {ObjectionOutcome::ALL.map(|o| view! { <option value=o.code()>{o.label()}</option> })}
                                    </select>
                                    <label for=field.clone()>"处理意见"</label>
                                    <textarea id=field.clone() required minlength="2" maxlength="1000"
                                        prop:value=move || response.get() on:input=move |e| response.set(event_target_value(&e))></textarea>
                                    <button type="submit" disabled=move || busy.get()>"答复并办结"</button>
                                </form>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <FeedbackLine feedback/>
        </section>
    }
}

/// 重点岗位认定: the commission marks a key post and its supervision grade.
#[component]
fn GradePanel(
    sheet: SheetView,
    cadence: domain::settings::Cadence,
    refresh: Refresh,
) -> impl IntoView {
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let post_id = sheet.post_id;
    let key = RwSignal::new(sheet.key_post);
    let grade = RwSignal::new(
        sheet
            .supervision_grade
            .map(|g| g.code().to_owned())
            .unwrap_or_default(),
    );
    let current = sheet.supervision_grade;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let g = grade.get_untracked();
        let body = SetSupervision {
            key_post: key.get_untracked(),
            grade: (!g.is_empty()).then_some(g),
        };
        send(post_id, body, "认定已保存", refresh, feedback, busy);
    };
    view! {
        <section class="card" aria-labelledby="grade-title">
            <h2 id="grade-title">"重点岗位认定"</h2>
            <form class="stack" on:submit=save>
                <label class="check">
                    <input type="checkbox" prop:checked=move || key.get()
                        on:change=move |e| key.set(event_target_checked(&e))/>
                    "列为重点岗位"
                </label>
                <label for="grade">"监督等级"</label>
                <select id="grade" on:change=move |e| grade.set(event_target_value(&e))>
                    <option value="" selected=current.is_none()>"未定级"</option>
                    {SupervisionGrade::ALL.iter().map(|g| view! {
                        <option value=g.code() selected=current == Some(*g)>
                            {format!("{}（每 {} 个月回头看）", g.label(), cadence.months(*g))}
                        </option>
                    }).collect_view()}
                </select>
                <button type="submit" disabled=move || busy.get()>"保存认定"</button>
            </form>
            <FeedbackLine feedback/>
        </section>
    }
}
