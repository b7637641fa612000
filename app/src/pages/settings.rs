//! 区纪委设置: what the commission sets for the whole district: the notice period in working
//! days, the 回头看 cadence by supervision grade, and the holiday calendar the notice period
//! counts on (放假 weekdays and 调休 weekends, a list to import each year). Each round's rating
//! matrix is set on the round's own page.

use domain::{
    post::SupervisionGrade,
    settings::DayKind,
    warning::{
        rules::{Rule, MAX_RULE_DAYS},
        Level,
    },
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, Feedback, FeedbackLine, Refresh};
use crate::{
    api::district::{load_settings, SettingsView},
    client,
    write::{ImportCalendar, SaveSettings, SaveWarningRules, WarningRuleInput},
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_settings());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="区纪委设置"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"区纪委设置"</h1>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(settings) => view! {
                            <Numbers settings=settings.clone() refresh/>
                            <RulesCard rules=settings.rules.clone() may_edit=settings.may_edit refresh/>
                            <CalendarCard settings refresh/>
                        }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Numbers(settings: SettingsView, refresh: Refresh) -> impl IntoView {
    let may_edit = settings.may_edit;
    let notice = RwSignal::new(settings.notice_days.to_string());
    let months =
        SupervisionGrade::ALL.map(|g| RwSignal::new(settings.cadence.months(g).to_string()));
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<i64>().unwrap_or(0);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SaveSettings {
            notice_days: number(notice),
            cadence_first: number(months[0]),
            cadence_second: number(months[1]),
            cadence_third: number(months[2]),
        };
        if !client::confirm(
            "保存后，此后开始的公示按新的工作日数计算，回头看到期日按新周期计算。确定保存吗？",
        ) {
            return;
        }
        busy.set(true);
        feedback.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(_) => refresh.done("设置已保存"),
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="settings-numbers">
            <h2 id="settings-numbers">"公示期与回头看周期"</h2>
            <form class="stack" on:submit=save novalidate>
                <label for="notice-days">"公示期（工作日，1–30；按下方节假日安排计算）"</label>
                <input id="notice-days" type="number" inputmode="numeric" min="1" max="30" required disabled=!may_edit
                    prop:value=move || notice.get() on:input=move |e| notice.set(event_target_value(&e))/>
                {SupervisionGrade::ALL.into_iter().zip(months).map(|(g, m)| {
                    let id = format!("cadence-{}", g.code());
                    view! {
                        <label for=id.clone()>{format!("{}监督的重点岗位回头看周期（月，1–60）", g.label())}</label>
                        <input id=id type="number" inputmode="numeric" min="1" max="60" required disabled=!may_edit
                            prop:value=move || m.get() on:input=move |e| m.set(event_target_value(&e))/>
                    }
                }).collect_view()}
                {may_edit.then(|| view! {
                    <button type="submit" class="primary" disabled=move || busy.get()>"保存设置"</button>
                })}
                <FeedbackLine feedback/>
            </form>
        </section>
    }
}

/// 预警规则: each rule on or off, its threshold in days and the level of its warnings.
#[component]
fn RulesCard(rules: Vec<Rule>, may_edit: bool, refresh: Refresh) -> impl IntoView {
    let rows: Vec<_> = rules
        .into_iter()
        .map(|rule| {
            (
                rule,
                RwSignal::new(rule.enabled),
                RwSignal::new(rule.days.to_string()),
                RwSignal::new(rule.level.code().to_owned()),
            )
        })
        .collect();
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let invalid_field = RwSignal::new(None::<String>);
    let sent = rows.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SaveWarningRules {
            rules: sent
                .iter()
                .map(|(rule, enabled, days, level)| WarningRuleInput {
                    kind: rule.kind.code().to_owned(),
                    enabled: enabled.get_untracked(),
                    // Whatever was typed goes to the server, which names the field it refuses.
                    days: days.get_untracked().trim().parse().unwrap_or(-1),
                    level: level.get_untracked(),
                })
                .collect(),
        };
        if !client::confirm(
            "保存后，开启的规则在下一次检查（每 10 分钟，或在“预警”页立即检查）时按新设定发出预警。确定保存吗？",
        ) {
            return;
        }
        busy.set(true);
        feedback.set(None);
        invalid_field.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(_) => refresh.done("预警规则已保存"),
                Err(e) => {
                    invalid_field.set(e.field.clone());
                    feedback.set(Some(Err(e.message)));
                }
            }
            busy.set(false);
        });
    };
    let invalid =
        move |field: String| move || invalid_field.get().as_deref() == Some(field.as_str());
    view! {
        <section class="card" aria-labelledby="settings-rules">
            <h2 id="settings-rules">"预警规则"</h2>
            <p class="muted">"开启的规则由系统每 10 分钟检查一次，对达到条件的情况自动发出预警，同一情况只发一次；处置方式按预警等级确定（蓝色：打招呼提醒；黄色：函询；红色：诫勉谈话）。"</p>
            <form class="stack" on:submit=save novalidate>
                {rows.into_iter().map(|(rule, enabled, days, level)| {
                    let code = rule.kind.code();
                    let (on_id, days_id, level_id) = (
                        format!("rule-{code}-enabled"),
                        format!("rule-{code}-days"),
                        format!("rule-{code}-level"),
                    );
                    let (on_for, days_for, level_for) = (on_id.clone(), days_id.clone(), level_id.clone());
                    let min = rule.kind.min_days();
                    view! {
                        <fieldset class="rule" data-testid="warning-rule">
                            <legend>{rule.kind.label()}</legend>
                            <label class="check" for=on_for>
                                <input id=on_id type="checkbox" disabled=!may_edit
                                    prop:checked=move || enabled.get()
                                    on:change=move |e| enabled.set(event_target_checked(&e))/>
                                " 开启"
                            </label>
                            <label for=days_for>{format!("{}（{min}–{MAX_RULE_DAYS}）", rule.kind.threshold_label())}</label>
                            <input id=days_id type="number" inputmode="numeric" min=min max=MAX_RULE_DAYS required disabled=!may_edit
                                aria-invalid=invalid(format!("rules.{code}.days"))
                                prop:value=move || days.get() on:input=move |e| days.set(event_target_value(&e))/>
                            <label for=level_for>"预警等级"</label>
                            <select id=level_id disabled=!may_edit
                                aria-invalid=invalid(format!("rules.{code}.level"))
                                on:change=move |e| level.set(event_target_value(&e))>
                                {Level::ALL.into_iter().map(|l| view! {
                                    <option value=l.code() selected=l == rule.level>{l.label()}</option>
                                }).collect_view()}
                            </select>
                        </fieldset>
                    }
                }).collect_view()}
                {may_edit.then(|| view! {
                    <button type="submit" class="primary" disabled=move || busy.get()>"保存预警规则"</button>
                })}
                <FeedbackLine feedback/>
            </form>
        </section>
    }
}

#[component]
fn CalendarCard(settings: SettingsView, refresh: Refresh) -> impl IntoView {
    let may_edit = settings.may_edit;
    let list = RwSignal::new(String::new());
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    // This year's dates and later ones: older years no longer count for any notice.
    let this_year: u16 = settings
        .today
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(0);
    let upcoming: Vec<_> = settings
        .calendar
        .iter()
        .filter(|d| d.date.year() >= this_year)
        .cloned()
        .collect();
    let import = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ImportCalendar {
            days: list.get_untracked(),
        };
        if !client::confirm(
            "导入后，清单中出现的年份原有的节假日安排将被清单替换，其他年份不变。确定导入吗？",
        ) {
            return;
        }
        busy.set(true);
        feedback.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(done) => {
                    list.set(String::new());
                    let years: Vec<String> = done.years.iter().map(u16::to_string).collect();
                    refresh.done(format!(
                        "已导入 {} 年的节假日安排 {} 天（替换原有 {} 天）",
                        years.join("、"),
                        done.added,
                        done.removed
                    ));
                }
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="settings-calendar">
            <h2 id="settings-calendar">"节假日安排"</h2>
            <p class="muted">"周一至周五为工作日，周六、周日休息；这里登记例外：放假的工作日和调休上班的周末。公示期按此计算。"</p>
            {if upcoming.is_empty() {
                view! { <p class="empty">"今年及以后尚未登记节假日安排。"</p> }.into_any()
            } else {
                view! {
                    <table class="handbook-table" data-testid="calendar">
                        <thead><tr><th scope="col">"日期"</th><th scope="col">"安排"</th><th scope="col">"名称"</th></tr></thead>
                        <tbody>
                            {upcoming.into_iter().map(|d| view! {
                                <tr class=if d.kind == DayKind::Workday { "workday" } else { "holiday" }>
                                    <td>{d.date.to_string()}</td><td>{d.kind.label()}</td><td>{d.name}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {may_edit.then(|| view! {
                <form class="stack" on:submit=import novalidate>
                    <label for="calendar-list">"导入节假日清单（每行一个日期：日期 放假/上班 名称）"</label>
                    <textarea id="calendar-list" class="tall" placeholder="2027-01-01 放假 元旦\n2027-02-06 放假 春节\n2027-02-14 上班 春节调休"
                        prop:value=move || list.get() on:input=move |e| list.set(event_target_value(&e))></textarea>
                    <button type="submit" class="primary" disabled=move || busy.get()>"导入清单"</button>
                    <FeedbackLine feedback/>
                </form>
            })}
        </section>
    }
}
