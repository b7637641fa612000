//! 区纪委设置: what the commission sets for the whole district: the notice period in working
//! days, the 回头看 cadence by supervision grade, and the holiday calendar the notice period
//! counts on (放假 weekdays and 调休 weekends, a list to import each year). Each round's rating
//! matrix is set on the round's own page.

use domain::{
    education::TalkQuota,
    post::SupervisionGrade,
    settings::DayKind,
    warning::{
        rules::{Rule, MAX_RULE_DAYS},
        Level,
    },
    webhook::{DeliveryStatus, RobotKind},
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, Feedback, FeedbackLine, Refresh};
use crate::{
    api::district::{load_settings, RobotsView, SettingsView},
    client,
    write::{
        ImportCalendar, RemoveRobot, SaveSettings, SaveTalkQuota, SaveWarningRules, SetRobot,
        TestRobot, WarningRuleInput,
    },
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
                            <TalkQuotaCard quota=settings.talk_quota may_edit=settings.may_edit refresh/>
                            <RulesCard rules=settings.rules.clone() may_edit=settings.may_edit refresh/>
                            {settings.robots.clone().map(|robots| view! { <RobotsCard robots refresh/> })}
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

/// 廉政谈话频次: how many integrity talks a year a key post's holder is owed, by grade.
#[component]
fn TalkQuotaCard(quota: TalkQuota, may_edit: bool, refresh: Refresh) -> impl IntoView {
    let counts = SupervisionGrade::ALL.map(|g| RwSignal::new(quota.per_year(g).to_string()));
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<i64>().unwrap_or(-1);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SaveTalkQuota {
            talks_first: number(counts[0]),
            talks_second: number(counts[1]),
            talks_third: number(counts[2]),
        };
        if !client::confirm(
            "保存后，“廉政谈话缺失”预警规则和廉政教育页按新的次数计算应谈话的周期。确定保存吗？",
        ) {
            return;
        }
        busy.set(true);
        feedback.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(_) => refresh.done("廉政谈话频次已保存"),
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    let label = |n: u32| match n {
        0 => "不作要求".to_owned(),
        1 => "每年 1 次".to_owned(),
        2 => "每半年 1 次（每年 2 次）".to_owned(),
        4 => "每季度 1 次（每年 4 次）".to_owned(),
        12 => "每月 1 次（每年 12 次）".to_owned(),
        n => format!("每年 {n} 次"),
    };
    view! {
        <section class="card" aria-labelledby="settings-talks">
            <h2 id="settings-talks">"廉政谈话频次"</h2>
            <p class="muted">"重点岗位人员每年应接受的廉政谈话次数，按监督等级设定；一年按次数等分为若干周期，周期内没有谈话记录的，由“廉政谈话缺失”预警规则提示。"</p>
            <form class="stack" on:submit=save novalidate>
                {SupervisionGrade::ALL.into_iter().zip(counts).map(|(g, c)| {
                    let id = format!("talks-{}", g.code());
                    view! {
                        <label for=id.clone()>{format!("{}监督的重点岗位", g.label())}</label>
                        <select id=id disabled=!may_edit on:change=move |e| c.set(event_target_value(&e))>
                            {TalkQuota::ALLOWED.into_iter().map(|n| view! {
                                <option value=n.to_string() selected=move || c.get() == n.to_string()>{label(n)}</option>
                            }).collect_view()}
                        </select>
                    }
                }).collect_view()}
                {may_edit.then(|| view! {
                    <button type="submit" class="primary" disabled=move || busy.get()>"保存谈话频次"</button>
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
    // `aria-invalid="true"` on the field the server refused; absent otherwise.
    let invalid = move |field: String| {
        move || (invalid_field.get().as_deref() == Some(field.as_str())).then_some("true")
    };
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

/// 群机器人推送: a unit's 企业微信 / 钉钉 group robot, which then gets its people's notifications
/// too (their own unit's robot, or the nearest unit's above); a test message; the record of what
/// was sent.
#[component]
fn RobotsCard(robots: RobotsView, refresh: Refresh) -> impl IntoView {
    let unit = RwSignal::new(String::new());
    let kind = RwSignal::new(RobotKind::Wecom.code().to_owned());
    let url = RwSignal::new(String::new());
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let invalid_field = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SetRobot {
            unit_id: unit.get_untracked().parse().unwrap_or(0),
            kind: kind.get_untracked(),
            url: url.get_untracked(),
        };
        if !client::confirm(
            "保存后，该单位（及未单独设置的下级单位）人员的通知将同时推送到这个群。确定保存吗？",
        ) {
            return;
        }
        busy.set(true);
        feedback.set(None);
        invalid_field.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(_) => {
                    url.set(String::new());
                    refresh.done("群机器人已保存");
                }
                Err(e) => {
                    invalid_field.set(e.field.clone());
                    feedback.set(Some(Err(e.message)));
                }
            }
            busy.set(false);
        });
    };
    let act = move |unit_id: i64, unit: String, remove: bool| {
        move |_| {
            let question = if remove {
                format!("删除{unit}的群机器人吗？尚未发出的消息将不再发送。")
            } else {
                format!("向{unit}的群发送一条测试消息吗？")
            };
            if !client::confirm(&question) {
                return;
            }
            busy.set(true);
            feedback.set(None);
            spawn_local(async move {
                let sent = if remove {
                    client::send(None, &RemoveRobot { unit_id }).await
                } else {
                    client::send(None, &TestRobot { unit_id }).await
                };
                match sent {
                    Ok(_) if remove => refresh.done("群机器人已删除"),
                    Ok(_) => refresh.done("测试消息已加入发送队列，几秒内发出；结果见下方推送记录"),
                    Err(e) => feedback.set(Some(Err(e.message))),
                }
                busy.set(false);
            });
        }
    };
    let invalid = move |field: &'static str| {
        move || (invalid_field.get().as_deref() == Some(field)).then_some("true")
    };
    view! {
        <section class="card" aria-labelledby="settings-robots">
            <h2 id="settings-robots">"群机器人推送"</h2>
            <p class="muted">"为单位设置企业微信或钉钉群机器人后，该单位人员收到的通知（预警、答复审核、退回、签署提醒）会同时推送到群里；消息只写姓名和通知类别，具体内容须登录查看。下级单位未单独设置的，推送到上级单位的群。"</p>
            {if robots.robots.is_empty() {
                view! { <p class="empty">"尚未设置群机器人。"</p> }.into_any()
            } else {
                view! {
                    <table class="handbook-table" data-testid="robots">
                        <thead><tr><th scope="col">"单位"</th><th scope="col">"类型"</th><th scope="col">"地址"</th><th scope="col">"操作"</th></tr></thead>
                        <tbody>
                            {robots.robots.into_iter().map(|r| view! {
                                <tr data-unit=r.unit.clone()>
                                    <td>{r.unit.clone()}</td>
                                    <td>{r.kind.label()}</td>
                                    <td class="robot-address">{r.address}</td>
                                    <td class="row-actions">
                                        <button type="button" disabled=move || busy.get()
                                            aria-label=format!("发送测试消息：{}", r.unit)
                                            on:click=act(r.unit_id, r.unit.clone(), false)>"发送测试消息"</button>
                                        <button type="button" class="danger" disabled=move || busy.get()
                                            aria-label=format!("删除群机器人：{}", r.unit)
                                            on:click=act(r.unit_id, r.unit.clone(), true)>"删除"</button>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <form class="stack" on:submit=save novalidate>
                <label for="robot-unit">"单位"</label>
                <select id="robot-unit" required aria-invalid=invalid("unit_id")
                    on:change=move |e| unit.set(event_target_value(&e))>
                    <option value="" selected>"请选择单位"</option>
                    {robots.units.into_iter().map(|u| view! {
                        <option value=u.id.to_string()>{format!("{}{}", "　".repeat(u.depth), u.name)}</option>
                    }).collect_view()}
                </select>
                <label for="robot-kind">"机器人类型"</label>
                <select id="robot-kind" aria-invalid=invalid("kind") on:change=move |e| kind.set(event_target_value(&e))>
                    {RobotKind::ALL.into_iter().map(|k| view! {
                        <option value=k.code() selected=k == RobotKind::Wecom>{k.label()}</option>
                    }).collect_view()}
                </select>
                <label for="robot-url">"Webhook 地址（在群设置的“群机器人”中复制，须以 https:// 开头）"</label>
                <input id="robot-url" type="url" inputmode="url" autocomplete="off" spellcheck="false" required
                    aria-invalid=invalid("url")
                    placeholder="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
                    prop:value=move || url.get() on:input=move |e| url.set(event_target_value(&e))/>
                <button type="submit" class="primary" disabled=move || busy.get()>"保存群机器人"</button>
                <FeedbackLine feedback/>
            </form>
            <h3>"推送记录（最近 30 条）"</h3>
            {if robots.deliveries.is_empty() {
                view! { <p class="empty">"还没有推送过消息。"</p> }.into_any()
            } else {
                view! {
                    <div>
                        <table class="handbook-table" data-testid="deliveries">
                            <thead><tr><th scope="col">"时间"</th><th scope="col">"单位"</th><th scope="col">"内容"</th><th scope="col">"状态"</th></tr></thead>
                            <tbody>
                                {robots.deliveries.into_iter().map(|d| {
                                    let state = match (d.status, d.last_error) {
                                        (DeliveryStatus::Sent, _) => format!("{}（第 {} 次）", d.status.label(), d.attempts),
                                        (status, Some(e)) => format!("{}（已试 {} 次：{e}）", status.label(), d.attempts),
                                        (status, None) => status.label().to_owned(),
                                    };
                                    view! {
                                        <tr data-delivery=d.id.to_string()>
                                            <td>{d.at}</td><td>{d.unit}</td><td>{d.text}</td>
                                            <td class=format!("delivery-{}", d.status.code())>{state}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
