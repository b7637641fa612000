//! 预警: the list of warnings a user may read, with the form to raise one (the commission, a
//! leader in charge) and the commission's check now; and each warning's page: its notice (预警通知书
//! / 诫勉谈话通知书 / 整改通知书, printed on A4), the written answer, the issuer's acceptance or
//! send-back, and what happened to it.

use domain::warning::{Handling, Level, Source, Status};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::{
    transparency::PrintedHeadBlock,
    widgets::{use_id_param, BackBar, ErrorBox, FeedbackLine, Refresh},
};
use crate::{
    api::supervision::{
        load_warning, load_warnings, RaiseOptions, WarningSummary, WarningView, WarningsView,
    },
    client,
    write::{AcceptWarning, AnswerWarning, CheckWarnings, RaiseWarning, SendBackWarning},
};

fn level_class(level: Level) -> &'static str {
    match level {
        Level::Blue => "warning-level level-blue",
        Level::Yellow => "warning-level level-yellow",
        Level::Red => "warning-level level-red",
    }
}

fn print() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}

#[component]
pub fn WarningsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_warnings());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="廉政风险预警"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"廉政风险预警"</h1>
            <p class="muted">"预警分蓝色、黄色、红色三级，分别采取打招呼提醒、函询、诫勉谈话、纠错（整改通知书）、督导等方式处置。被预警人应在期限内提交书面答复（原因分析和整改措施），由发出预警的一方审核；逾期未答复或答复两次被退回的，预警升一级。"</p>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Warnings view refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Warnings(view: WarningsView, refresh: Refresh) -> impl IntoView {
    let WarningsView {
        today: _,
        warnings,
        raise,
        runs_checks,
    } = view;
    let to_do: Vec<WarningSummary> = warnings
        .iter()
        .filter(|w| w.to_answer || w.to_decide)
        .cloned()
        .collect();
    let checks = runs_checks.then(|| view! { <CheckNow refresh/> });
    view! {
        {(!to_do.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="warnings-to-do">
                <h2 id="warnings-to-do">{format!("待我办理（{} 条）", to_do.len())}</h2>
                <ul class="plain-list">
                    {to_do.into_iter().map(|w| view! {
                        <li>
                            <a href=format!("/warnings/{}", w.id)>{format!("{} · {}", w.number, w.addressee)}</a>
                            <span class="muted">{if w.to_answer { format!(" 待答复，期限 {}", w.due) } else { " 答复待审核".to_owned() }}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <section class="card" aria-labelledby="warning-list">
            <h2 id="warning-list">{format!("预警（{} 条）", warnings.len())}</h2>
            {if warnings.is_empty() {
                view! { <p class="empty">"暂无预警。"</p> }.into_any()
            } else {
                view! {
                    <table class="handbook-table warnings">
                        <thead><tr>
                            <th scope="col">"编号"</th><th scope="col">"等级"</th><th scope="col">"对象"</th>
                            <th scope="col">"处置方式"</th><th scope="col">"答复期限"</th><th scope="col">"状态"</th>
                        </tr></thead>
                        <tbody>
                            {warnings.into_iter().map(|w| view! {
                                <tr data-warning=w.number.clone()>
                                    <td data-label="编号"><a href=format!("/warnings/{}", w.id)>{w.number.clone()}</a></td>
                                    <td data-label="等级"><span class=level_class(w.level)>{w.level.label()}</span></td>
                                    <td data-label="对象">{if w.addressee == w.unit { w.unit.clone() } else { format!("{}（{}）", w.addressee, w.unit) }}</td>
                                    <td data-label="处置方式">{w.handling.label()}</td>
                                    <td data-label="答复期限">{w.due.clone()}</td>
                                    <td data-label="状态">{w.status.label()}
                                        {w.overdue.then(|| view! { <strong class="late">" 已逾期"</strong> })}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        {checks}
        {raise.map(|options| view! { <RaiseForm options refresh/> })}
    }
}

/// The commission runs the schedule's overdue check now.
#[component]
fn CheckNow(refresh: Refresh) -> impl IntoView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let run = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(None, &CheckWarnings {}).await;
            busy.set(false);
            match result {
                Ok(done) if done.raised + done.escalated + done.reminded == 0 => {
                    refresh.done("已检查：预警规则没有发现新情况，也没有逾期未答复的预警")
                }
                Ok(done) => refresh.done(format!(
                    "已检查：预警规则发出新预警 {} 条；{} 条预警因逾期未答复升级；{} 条预警已提醒答复即将到期",
                    done.raised, done.escalated, done.reminded
                )),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="warning-check">
            <h2 id="warning-check">"预警检查"</h2>
            <p class="muted">"系统每 10 分钟检查一次：已开启的预警规则（在“区纪委设置”中设定）对新发现的情况发出预警，每种情况只发一次；逾期未答复的预警升一级（红色预警不再升级），并重新计算答复期限。也可以立即检查。"</p>
            {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <button type="button" on:click=run disabled=move || busy.get()>
                {move || if busy.get() { "正在检查…" } else { "立即检查" }}
            </button>
        </section>
    }
}

#[component]
fn RaiseForm(options: RaiseOptions, refresh: Refresh) -> impl IntoView {
    let RaiseOptions { units, people } = options;
    let first = units.first().map(|u| u.id).unwrap_or_default();
    let unit = RwSignal::new(first);
    let subject = RwSignal::new(String::new());
    let level = RwSignal::new(Level::Blue.code().to_owned());
    let handling = RwSignal::new(String::new());
    let source = RwSignal::new(Source::Complaint.code().to_owned());
    let source_ref = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let busy = RwSignal::new(false);
    let people = StoredValue::new(people);
    let names = StoredValue::new(
        units
            .iter()
            .map(|u| (u.id, u.name.clone()))
            .collect::<Vec<_>>(),
    );
    let default_days = move || Level::from_code(&level.get()).map_or(7, Level::answer_days);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let answer_days = match days.get_untracked().trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(d) => Some(d),
                Err(_) => {
                    error.set(Some((
                        Some("answer_days".to_owned()),
                        "答复期限：请填写天数，如 10".to_owned(),
                    )));
                    return;
                }
            },
        };
        let unit_id = unit.get_untracked();
        let who = subject.get_untracked();
        let addressee = if who.is_empty() {
            names.with_value(|n| {
                n.iter()
                    .find(|(id, _)| *id == unit_id)
                    .map(|(_, name)| name.clone())
                    .unwrap_or_default()
            })
        } else {
            people.with_value(|p| {
                p.iter()
                    .find(|p| p.username == who)
                    .map(|p| p.name.clone())
                    .unwrap_or(who.clone())
            })
        };
        if !client::confirm(&format!(
            "确定向“{addressee}”发出预警吗？发出后将通知对方在期限内答复，不能撤回。"
        )) {
            return;
        }
        let payload = RaiseWarning {
            unit_id,
            subject: who,
            level: level.get_untracked(),
            handling: handling.get_untracked(),
            source: source.get_untracked(),
            source_ref: source_ref.get_untracked(),
            reason: reason.get_untracked(),
            answer_days,
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(None, &payload).await;
            busy.set(false);
            match result {
                Ok(raised) => {
                    reason.set(String::new());
                    source_ref.set(String::new());
                    refresh.done(format!("已发出预警 {}（{}）", raised.number, addressee));
                }
                Err(e) => error.set(Some((e.field, e.message))),
            }
        });
    };
    let invalid = move |field: &'static str| {
        move || {
            error
                .get()
                .is_some_and(|(f, _)| f.as_deref() == Some(field))
                .then_some("true")
        }
    };
    view! {
        <section class="card" aria-labelledby="warning-new">
            <h2 id="warning-new">"发出预警"</h2>
            <form on:submit=submit novalidate>
                <label for="warning-unit">"单位"</label>
                <select id="warning-unit" on:change=move |e| {
                    unit.set(event_target_value(&e).parse().unwrap_or_default());
                    subject.set(String::new());
                }>
                    {units.into_iter().map(|u| view! {
                        <option value=u.id.to_string() selected=u.id == first>
                            {format!("{}{}", "　".repeat(u.depth), u.name)}
                        </option>
                    }).collect_view()}
                </select>
                <label for="warning-subject">"预警对象"</label>
                <select id="warning-subject" aria-invalid=invalid("subject")
                    prop:value=move || subject.get()
                    on:change=move |e| subject.set(event_target_value(&e))>
                    <option value="">"整个单位（由单位联络员答复）"</option>
                    {move || {
                        let at = unit.get();
                        people.with_value(|p| {
                            p.iter()
                                .filter(|p| p.unit_id == at)
                                .map(|p| view! { <option value=p.username.clone()>{p.name.clone()}</option> })
                                .collect_view()
                        })
                    }}
                </select>
                <label for="warning-level">"预警等级"</label>
                <select id="warning-level" aria-invalid=invalid("level")
                    on:change=move |e| level.set(event_target_value(&e))>
                    {Level::ALL.into_iter().map(|l| view! {
                        <option value=l.code() selected=l == Level::Blue>{l.label()}</option>
                    }).collect_view()}
                </select>
                <label for="warning-handling">"处置方式"</label>
                <select id="warning-handling" aria-invalid=invalid("handling")
                    on:change=move |e| handling.set(event_target_value(&e))>
                    <option value="">{move || {
                        let l = Level::from_code(&level.get()).unwrap_or(Level::Blue);
                        format!("按等级（{}）", l.default_handling().label())
                    }}</option>
                    {Handling::ALL.into_iter().map(|h| view! { <option value=h.code()>{h.label()}</option> }).collect_view()}
                </select>
                <label for="warning-source">"线索来源"</label>
                <select id="warning-source" aria-invalid=invalid("source")
                    on:change=move |e| source.set(event_target_value(&e))>
                    {Source::BY_HAND.into_iter().map(|s| view! {
                        <option value=s.code() selected=s == Source::Complaint>{s.label()}</option>
                    }).collect_view()}
                </select>
                <label for="warning-source-ref">"来源编号（选填，如信访件编号、检查报告文号）"</label>
                <input id="warning-source-ref" type="text" maxlength="100" aria-invalid=invalid("source_ref")
                    prop:value=move || source_ref.get() on:input=move |e| source_ref.set(event_target_value(&e))/>
                <label for="warning-reason">"预警事由"</label>
                <textarea id="warning-reason" rows="4" required maxlength="1000" aria-invalid=invalid("reason")
                    prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e))></textarea>
                <label for="warning-days">{move || format!("答复期限（天，选填；不填按等级 {} 天）", default_days())}</label>
                <input id="warning-days" type="number" inputmode="numeric" min="1" max="90" aria-invalid=invalid("answer_days")
                    prop:value=move || days.get() on:input=move |e| days.set(event_target_value(&e))/>
                {move || error.get().map(|(_, m)| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "正在发出…" } else { "发出预警" }}
                </button>
            </form>
        </section>
    }
}

#[component]
pub fn WarningPage() -> impl IntoView {
    let id = use_id_param();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_warning(id).await,
            None => Err(crate::error::ApiError::not_found("该预警")),
        }
    });
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <BackBar/>
        <main id="main" class="page">
            <p class="no-print"><a href="/warnings">"← 全部预警"</a></p>
            <FeedbackLine feedback=refresh.notice/>
            <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Warning view refresh/> }.into_any(),
                        Err(error) => view! { <Title text="廉政风险预警"/><ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Warning(view: WarningView, refresh: Refresh) -> impl IntoView {
    let id = view.id;
    let title = view.handling.notice_title();
    let addressee = match &view.subject {
        Some(person) => format!("{person}同志（{}）", view.unit),
        None => view.unit.clone(),
    };
    let answer_form = view.may_answer.then(|| view! { <AnswerForm id refresh/> });
    let decide_form = view
        .may_decide
        .then(|| view! { <DecideForm id send_backs=view.send_backs refresh/> });
    let answer = view.answer.clone().map(|a| {
        view! {
            <section class="card warning-answer" aria-labelledby="warning-answer">
                <h2 id="warning-answer">{format!("书面答复（{} 提交）", a.answered_on)}</h2>
                <h3>"原因分析"</h3>
                <p class="prewrap">{a.analysis}</p>
                <h3>"整改措施"</h3>
                <p class="prewrap">{a.measures}</p>
            </section>
        }
    });
    view! {
        <Title text=format!("{} {}", title, view.number)/>
        <div class="warning-status no-print" data-testid="warning-status">
            <span class=level_class(view.level)>{view.level.label()}</span>
            " "<span>{view.status.label()}</span>
            {view.overdue.then(|| view! { <strong class="late">" 已逾期"</strong> })}
            {(view.level != view.raised_level).then(|| view! {
                <span class="muted">{format!("（由{}升级）", view.raised_level.label())}</span>
            })}
        </div>
        <article class="warning-notice" aria-labelledby="notice-title">
            <h1 id="notice-title">{title}</h1>
            <p class="notice-number">{view.number.clone()}</p>
            <p><strong>{format!("{addressee}：")}</strong></p>
            <p class="prewrap">{format!(
                "　　经{}，现就以下事项对你{}发出{}：",
                match view.rule {
                    Some(rule) => format!("预警规则“{}”监测", rule.label()),
                    None => view.source.label().to_owned(),
                },
                if view.subject.is_some() { "" } else { "单位" },
                view.level.label()
            )}</p>
            <p class="prewrap notice-reason">{view.reason.clone()}</p>
            {view.source_ref.clone().map(|r| view! { <p class="muted">{format!("来源编号：{r}")}</p> })}
            <p>{format!("　　处置方式：{}。", view.handling.label())}</p>
            <p>{format!(
                "　　请于 {} 前提交书面答复，说明原因并提出整改措施。逾期未答复或答复两次被退回的，预警升一级处置。",
                view.due
            )}</p>
            <p class="notice-signature">
                {view.issuer.clone().map(|i| format!("发出人：{i}")).unwrap_or_else(|| "区纪委监委（预警规则）".to_owned())}
                <br/>{view.raised_on.clone()}
            </p>
            <PrintedHeadBlock head=view.head.clone()/>
        </article>
        <p class="no-print"><button type="button" on:click=|_| print()>"打印通知书"</button></p>
        {answer}
        {answer_form}
        {decide_form}
        {(view.status == Status::Closed).then(|| view! {
            <p class="alert alert-ok no-print" role="status">{format!("已办结（{}）", view.closed_on.clone().unwrap_or_default())}</p>
        })}
        <section class="card no-print" aria-labelledby="warning-events">
            <h2 id="warning-events">"办理经过"</h2>
            <ol class="warning-events">
                {view.events.into_iter().map(|e| view! {
                    <li>
                        <span class="muted">{e.at}</span>" "
                        <strong>{e.what}</strong>
                        {e.by.map(|b| format!("（{b}）"))}
                        " "<span class=level_class(e.level)>{e.level.label()}</span>
                        {e.note.map(|n| view! { <p class="prewrap">{n}</p> })}
                        {e.measures.map(|m| view! { <p class="prewrap">{format!("整改措施：{m}")}</p> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn AnswerForm(id: i64, refresh: Refresh) -> impl IntoView {
    let analysis = RwSignal::new(String::new());
    let measures = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !client::confirm("确定提交书面答复吗？提交后由发出预警的一方审核。")
        {
            return;
        }
        let payload = AnswerWarning {
            analysis: analysis.get_untracked(),
            measures: measures.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(Some(id), &payload).await;
            busy.set(false);
            match result {
                Ok(_) => refresh.done("书面答复已提交，等待审核"),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section class="card no-print" aria-labelledby="answer-form">
            <h2 id="answer-form">"提交书面答复"</h2>
            <form on:submit=submit novalidate>
                <label for="answer-analysis">"原因分析"</label>
                <textarea id="answer-analysis" rows="4" required maxlength="2000"
                    prop:value=move || analysis.get() on:input=move |e| analysis.set(event_target_value(&e))></textarea>
                <label for="answer-measures">"整改措施"</label>
                <textarea id="answer-measures" rows="4" required maxlength="2000"
                    prop:value=move || measures.get() on:input=move |e| measures.set(event_target_value(&e))></textarea>
                {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "正在提交…" } else { "提交答复" }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn DecideForm(id: i64, send_backs: u8, refresh: Refresh) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let accept = move |_| {
        if !client::confirm("确定审核通过吗？通过后该预警办结。") {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(Some(id), &AcceptWarning {}).await;
            busy.set(false);
            match result {
                Ok(_) => refresh.done("已审核通过，预警办结"),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let send_back = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let question = if send_backs >= 1 {
            "确定退回重订吗？这是第二次退回，预警将升一级。"
        } else {
            "确定退回重订吗？对方需在新的期限内重新答复。"
        };
        if !client::confirm(question) {
            return;
        }
        let payload = SendBackWarning {
            reason: reason.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(Some(id), &payload).await;
            busy.set(false);
            match result {
                Ok(step) if step.escalated => {
                    reason.set(String::new());
                    refresh.done(format!("已退回重订，预警升为{}", step.level.label()));
                }
                Ok(_) => {
                    reason.set(String::new());
                    refresh.done("已退回重订");
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section class="card no-print" aria-labelledby="decide-form">
            <h2 id="decide-form">"审核答复"</h2>
            {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <p><button type="button" class="primary" on:click=accept disabled=move || busy.get()>"审核通过，办结"</button></p>
            <form on:submit=send_back novalidate>
                <label for="send-back-reason">"退回理由"</label>
                <textarea id="send-back-reason" rows="3" required maxlength="500"
                    prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e))></textarea>
                <button type="submit" disabled=move || busy.get()>"审核不通过，退回重订"</button>
            </form>
        </section>
    }
}
