//! The early warnings (预警) the user answers, from their replica: each with its reason and due
//! day, and a form for the written answer that works with no network. The answer becomes a
//! queued operation and shows 已答复（待同步） while it waits; the server takes it at the next
//! sync, with its own day.

use domain::{sync::WarningRecord, warning::Level};

use super::*;

/// Where a warning stands on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Awaiting,
    /// Answered here, in the outbox.
    Queued,
    /// The server has the answer; the issuer reviews it.
    UnderReview,
}

fn standing(store: &Store, w: &WarningRecord) -> Standing {
    let queued = store.outbox.with(|o| {
        o.ops.iter().any(
            |e| matches!(&e.op, Operation::AnswerWarning { warning_id, .. } if *warning_id == w.id),
        )
    });
    match (w.answered, queued) {
        (_, true) => Standing::Queued,
        (false, false) => Standing::Awaiting,
        (true, false) => Standing::UnderReview,
    }
}

#[component]
pub(super) fn Warnings() -> impl IntoView {
    let store = expect_context::<Store>();
    let open = RwSignal::new(None::<i64>);
    let notice = RwSignal::new(None::<String>);
    let any = Memo::new(move |_| store.replica.with(|r| !r.warnings.is_empty()));
    view! {
        <Show when=move || any.get()>
            <section class="card" id="warnings" aria-labelledby="warnings-title">
                <h2 id="warnings-title">"待我答复的预警"</h2>
                {move || notice.get().map(|n| view! { <p class="alert alert-ok" role="status" data-testid="answer-notice">{n}</p> })}
                <ul class="plain-list">
                    {move || store.replica.with(|r| r.warnings.clone()).into_iter().map(|w| {
                        let id = w.id;
                        let state = standing(&store, &w);
                        let level = Level::from_code(&w.level).map_or("预警", Level::label);
                        let label = match state {
                            Standing::Awaiting => format!("待答复，期限 {}", w.due),
                            Standing::Queued => "已答复（待同步）".to_owned(),
                            Standing::UnderReview => "已答复，待审核".to_owned(),
                        };
                        view! {
                            <li data-testid="warning-row">
                                <p><strong>{format!("{} · {level}", w.number)}</strong>
                                    <span class="muted">{format!(" {}", w.handling)}</span></p>
                                <p class="prewrap">{w.reason.clone()}</p>
                                {w.sent_back.clone().map(|r| view! { <p class="alert alert-warning">{format!("上次答复被退回：{r}")}</p> })}
                                <span class=if state == Standing::Awaiting { "badge badge-pending" } else { "badge" } data-testid="warning-state">{label}</span>
                                {(state == Standing::Awaiting).then(|| view! {
                                    <button type="button" class="primary" on:click=move |_| { notice.set(None); open.set(Some(id)) }>"书面答复"</button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {move || open.get().map(|id| view! { <AnswerOffline id open notice/> })}
            </section>
        </Show>
    }
}

/// The written answer, queued on the device; checked by the same rules the server applies.
#[component]
fn AnswerOffline(
    id: i64,
    open: RwSignal<Option<i64>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let analysis = RwSignal::new(String::new());
    let measures = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let (a, m) = (analysis.get_untracked(), measures.get_untracked());
        if let Err(errors) = domain::warning::check_answer(&a, &m) {
            error.set(errors.into_iter().next().map(|e| e.message));
            return;
        }
        match store.queue(Operation::AnswerWarning {
            warning_id: id,
            analysis: a,
            measures: m,
        }) {
            Ok(()) => {
                open.set(None);
                notice.set(Some(if store.online.get_untracked() {
                    "答复已保存，正在提交".to_owned()
                } else {
                    "答复已保存在本机，联网后自动提交".to_owned()
                }));
                if store.online.get_untracked() {
                    spawn_local(store.sync());
                }
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <form class="offline-answer" on:submit=submit novalidate aria-labelledby="offline-answer-title">
            <h3 id="offline-answer-title">"书面答复"</h3>
            <label for="offline-analysis">"原因分析"</label>
            <textarea id="offline-analysis" rows="4" required
                prop:value=move || analysis.get() on:input=move |e| analysis.set(event_target_value(&e))></textarea>
            <label for="offline-measures">"整改措施"</label>
            <textarea id="offline-measures" rows="4" required
                prop:value=move || measures.get() on:input=move |e| measures.set(event_target_value(&e))></textarea>
            {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <div class="actions">
                <button type="submit" class="primary">"保存答复"</button>
                <button type="button" on:click=move |_| open.set(None)>"取消"</button>
            </div>
        </form>
    }
}
