//! 廉政教育: the page of those who record integrity talks (the commission, a leader in charge, a
//! unit's liaison): the key posts' holders with the talks their grade owes them, a form for a
//! one-to-one talk (廉政谈话) and one for a collective session (警示教育, 廉政党课) with its
//! attendance ticked or pasted from a list; and a person's page (人员廉政档案) with their talks,
//! sessions, warnings and commitments.

use domain::education::SessionKind;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, FeedbackLine, Refresh};
use crate::{
    api::{
        education::{
            load_education, load_person, EducationView, PersonView, SessionView, TalkView,
        },
        supervision::PersonOption,
        UnitOption,
    },
    client,
    write::{
        AttendanceFile, RecordSession, RecordTalk, VoidSession, VoidTalk, ATTENDANCE_FILE_ROUTE,
    },
};

/// A failed write: the field it names, and the message.
type FormError = RwSignal<Option<(Option<String>, String)>>;

fn invalid(error: FormError, field: &'static str) -> impl Fn() -> Option<&'static str> + Copy {
    move || {
        error
            .get()
            .is_some_and(|(f, _)| f.as_deref() == Some(field))
            .then_some("true")
    }
}

#[component]
pub fn EducationPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_education());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="廉政教育"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"廉政教育"</h1>
            <p class="muted">"记录与重点岗位人员的廉政谈话，以及警示教育、廉政党课等集中教育的参加人员。重点岗位人员每年应接受的谈话次数由区纪委按监督等级设定；周期结束仍无谈话记录的，由“廉政谈话缺失”预警规则提示。"</p>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Education view refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Education(view: EducationView, refresh: Refresh) -> impl IntoView {
    let EducationView {
        today,
        units,
        people,
        quota: _,
        owed,
        talks,
        sessions,
    } = view;
    let missing = owed.iter().filter(|o| !o.missed.is_empty()).count();
    view! {
        <section class="card" aria-labelledby="talks-owed">
            <h2 id="talks-owed">{format!("重点岗位谈话情况（{} 人，{missing} 人有缺失）", owed.len())}</h2>
            <p class="muted">{format!("截至 {today}。")}</p>
            {if owed.is_empty() {
                view! { <p class="empty">"负责的单位中还没有设定监督等级的重点岗位。"</p> }.into_any()
            } else {
                view! {
                    <table class="handbook-table talks-owed">
                        <thead><tr>
                            <th scope="col">"人员"</th><th scope="col">"岗位"</th><th scope="col">"等级与要求"</th>
                            <th scope="col">"本年已谈"</th><th scope="col">"本期"</th><th scope="col">"缺失周期"</th>
                        </tr></thead>
                        <tbody>
                            {owed.into_iter().map(|o| view! {
                                <tr data-testid="talk-owed" data-person=o.username.clone()>
                                    <td data-label="人员"><a href=format!("/people/{}", o.username)>{o.name.clone()}</a></td>
                                    <td data-label="岗位">{format!("{} · {}", o.unit, o.post)}</td>
                                    <td data-label="等级与要求">{if o.per_year == 0 {
                                        format!("{} · 不作要求", o.grade.label())
                                    } else {
                                        format!("{} · 每年 {} 次", o.grade.label(), o.per_year)
                                    }}</td>
                                    <td data-label="本年已谈">{format!("{} 次", o.held_this_year)}</td>
                                    <td data-label="本期">{match o.current.clone() {
                                        Some((label, true)) => format!("{label}已谈话"),
                                        Some((label, false)) => format!("{label}尚未谈话"),
                                        None => "—".to_owned(),
                                    }}</td>
                                    <td data-label="缺失周期">{if o.missed.is_empty() {
                                        view! { "无" }.into_any()
                                    } else {
                                        view! { <strong class="late">{o.missed.join("、")}</strong> }.into_any()
                                    }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <TalkForm units=units.clone() people=people.clone() today=today.clone() refresh/>
        <SessionForm units people today refresh/>
        <Talks talks void=refresh/>
        <Sessions sessions title="集中教育记录" void=refresh/>
    }
}

/// 作废: a record entered by mistake is voided with a reason; it stays in the audit log.
#[component]
fn VoidButton(session: bool, id: i64, what: String, refresh: Refresh) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let field = format!("void-{}-{id}", if session { "session" } else { "talk" });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !client::confirm(
            "确定作废这条记录吗？作废后不再列出和计数，作废记录保留在审计日志中，不能恢复。",
        ) {
            return;
        }
        busy.set(true);
        error.set(None);
        let what = what.clone();
        spawn_local(async move {
            let text = reason.get_untracked();
            let result = if session {
                client::send(Some(id), &VoidSession { reason: text }).await
            } else {
                client::send(Some(id), &VoidTalk { reason: text }).await
            };
            busy.set(false);
            match result {
                Ok(_) => refresh.done(format!("已作废：{what}")),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <button type="button" class="link-button" aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>"作废"</button>
        <Show when=move || open.get()>
            <form class="stack" on:submit=submit.clone() novalidate>
                <label for=field.clone()>"作废原因"</label>
                <input id=field.clone() type="text" maxlength="200" required aria-required="true"
                    prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e))/>
                {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                <button type="submit" disabled=move || busy.get()>"确认作废"</button>
            </form>
        </Show>
    }
}

/// The unit picker both forms share.
#[component]
fn UnitSelect(
    id: &'static str,
    units: Vec<UnitOption>,
    unit: RwSignal<i64>,
    on_change: Callback<()>,
) -> impl IntoView {
    let first = unit.get_untracked();
    view! {
        <label for=id>"单位"</label>
        <select id=id on:change=move |e| {
            unit.set(event_target_value(&e).parse().unwrap_or_default());
            on_change.run(());
        }>
            {units.into_iter().map(|u| view! {
                <option value=u.id.to_string() selected=u.id == first>
                    {format!("{}{}", "　".repeat(u.depth), u.name)}
                </option>
            }).collect_view()}
        </select>
    }
}

/// 记录廉政谈话.
#[component]
fn TalkForm(
    units: Vec<UnitOption>,
    people: Vec<PersonOption>,
    today: String,
    refresh: Refresh,
) -> impl IntoView {
    let unit = RwSignal::new(units.first().map(|u| u.id).unwrap_or_default());
    let subject = RwSignal::new(String::new());
    let talker = RwSignal::new(String::new());
    let held_on = RwSignal::new(today.clone());
    let topic = RwSignal::new(String::new());
    let error: FormError = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let people = StoredValue::new(people);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let who = subject.get_untracked();
        let name = people.with_value(|p| {
            p.iter()
                .find(|p| p.username == who)
                .map(|p| p.name.clone())
                .unwrap_or_default()
        });
        let payload = RecordTalk {
            subject: who,
            talker: talker.get_untracked(),
            held_on: held_on.get_untracked(),
            topic: topic.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(None, &payload).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    topic.set(String::new());
                    refresh.done(format!("已记录与{name}的廉政谈话（{}）", payload.held_on));
                }
                Err(e) => error.set(Some((e.field, e.message))),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="talk-new">
            <h2 id="talk-new">"记录廉政谈话"</h2>
            <form class="stack" on:submit=submit novalidate>
                <UnitSelect id="talk-unit" units unit on_change=Callback::new(move |()| subject.set(String::new()))/>
                <label for="talk-subject">"谈话对象"<span class="required" aria-hidden="true">"*"</span></label>
                <select id="talk-subject" required aria-required="true" aria-invalid=invalid(error, "subject")
                    prop:value=move || subject.get() on:change=move |e| subject.set(event_target_value(&e))>
                    <option value="">"请选择"</option>
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
                <label for="talk-talker">"谈话人（如：局党组书记 王某）"<span class="required" aria-hidden="true">"*"</span></label>
                <input id="talk-talker" type="text" maxlength="40" required aria-required="true" aria-invalid=invalid(error, "talker")
                    prop:value=move || talker.get() on:input=move |e| talker.set(event_target_value(&e))/>
                <label for="talk-date">"谈话日期"<span class="required" aria-hidden="true">"*"</span></label>
                <input id="talk-date" type="date" required aria-required="true" max=today aria-invalid=invalid(error, "held_on")
                    prop:value=move || held_on.get() on:input=move |e| held_on.set(event_target_value(&e))/>
                <label for="talk-topic">"谈话主题"<span class="required" aria-hidden="true">"*"</span></label>
                <textarea id="talk-topic" rows="2" maxlength="200" required aria-required="true" aria-invalid=invalid(error, "topic")
                    prop:value=move || topic.get() on:input=move |e| topic.set(event_target_value(&e))></textarea>
                {move || error.get().map(|(_, m)| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "正在保存…" } else { "保存谈话记录" }}
                </button>
            </form>
        </section>
    }
}

/// 记录集中教育, with attendance ticked or pasted.
#[component]
fn SessionForm(
    units: Vec<UnitOption>,
    people: Vec<PersonOption>,
    today: String,
    refresh: Refresh,
) -> impl IntoView {
    let unit = RwSignal::new(units.first().map(|u| u.id).unwrap_or_default());
    let kind = RwSignal::new(SessionKind::WarningEducation.code().to_owned());
    let held_on = RwSignal::new(today.clone());
    let topic = RwSignal::new(String::new());
    let ticked = RwSignal::new(Vec::<String>::new());
    let list = RwSignal::new(String::new());
    let error: FormError = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let people = StoredValue::new(people);
    let imported = RwSignal::new(None::<String>);
    let import_file = move |ev: leptos::ev::Event| {
        imported.set(None);
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            let chosen = client::chosen_file(&ev).await;
            let result = match chosen {
                Ok(Some((file, bytes))) => {
                    let path =
                        ATTENDANCE_FILE_ROUTE.replace("{id}", &unit.get_untracked().to_string());
                    client::upload::<AttendanceFile>(&path, &bytes)
                        .await
                        .map(|read| (file, read))
                        .map_err(|e| (e.field, e.message))
                }
                Ok(None) => {
                    busy.set(false);
                    return;
                }
                Err(m) => Err((Some("attendee_file".to_owned()), m)),
            };
            busy.set(false);
            match result {
                Ok((file, read)) => {
                    imported.set(Some(format!(
                        "已从“{file}”的{}读取 {} 个姓名，请核对下方名单后保存",
                        read.column,
                        read.names.len()
                    )));
                    list.set(read.names.join("\n"));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let payload = RecordSession {
            unit_id: unit.get_untracked(),
            kind: kind.get_untracked(),
            held_on: held_on.get_untracked(),
            topic: topic.get_untracked(),
            attendees: ticked.get_untracked(),
            attendee_list: list.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(None, &payload).await;
            busy.set(false);
            match result {
                Ok(done) => {
                    topic.set(String::new());
                    ticked.set(Vec::new());
                    list.set(String::new());
                    imported.set(None);
                    refresh.done(format!(
                        "已记录集中教育（{}），参加 {} 人",
                        payload.held_on, done.attendees
                    ));
                }
                Err(e) => error.set(Some((e.field, e.message))),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="session-new">
            <h2 id="session-new">"记录集中教育"</h2>
            <form class="stack" on:submit=submit novalidate>
                <UnitSelect id="session-unit" units unit on_change=Callback::new(move |()| ticked.set(Vec::new()))/>
                <label for="session-kind">"教育形式"</label>
                <select id="session-kind" aria-invalid=invalid(error, "kind") on:change=move |e| kind.set(event_target_value(&e))>
                    {SessionKind::ALL.into_iter().map(|k| view! {
                        <option value=k.code() selected=k == SessionKind::WarningEducation>{k.label()}</option>
                    }).collect_view()}
                </select>
                <label for="session-date">"活动日期"<span class="required" aria-hidden="true">"*"</span></label>
                <input id="session-date" type="date" required aria-required="true" max=today aria-invalid=invalid(error, "held_on")
                    prop:value=move || held_on.get() on:input=move |e| held_on.set(event_target_value(&e))/>
                <label for="session-topic">"主题"<span class="required" aria-hidden="true">"*"</span></label>
                <input id="session-topic" type="text" maxlength="200" required aria-required="true" aria-invalid=invalid(error, "topic")
                    prop:value=move || topic.get() on:input=move |e| topic.set(event_target_value(&e))/>
                <fieldset aria-invalid=invalid(error, "attendees")>
                    <legend>"参加人员（勾选）"</legend>
                    {move || {
                        let at = unit.get();
                        people.with_value(|p| {
                            p.iter()
                                .filter(|p| p.unit_id == at)
                                .map(|p| {
                                    let username = p.username.clone();
                                    let checked = username.clone();
                                    let id = format!("attend-{username}");
                                    let for_id = id.clone();
                                    view! {
                                        <label class="check" for=for_id>
                                            <input id=id type="checkbox"
                                                prop:checked=move || ticked.with(|t| t.contains(&checked))
                                                on:change=move |e| {
                                                    let on = event_target_checked(&e);
                                                    let name = username.clone();
                                                    ticked.update(|t| {
                                                        t.retain(|u| *u != name);
                                                        if on {
                                                            t.push(name);
                                                        }
                                                    });
                                                }/>
                                            {p.name.clone()}
                                        </label>
                                    }
                                })
                                .collect_view()
                        })
                    }}
                </fieldset>
                <label for="session-file">"或导入签到表（Excel .xlsx 或 CSV；读取“姓名”列，读到的姓名放入下方名单，核对后保存）"</label>
                <input id="session-file" type="file" accept=".xlsx,.csv,.txt,.tsv" aria-invalid=invalid(error, "attendee_file")
                    on:change=import_file disabled=move || busy.get()/>
                {move || imported.get().map(|m| view! { <p class="muted" role="status">{m}</p> })}
                <label for="session-list">"或粘贴参加人员名单（姓名或用户名，每行一个，也可用逗号、顿号分隔；可从签到表复制；导入的名单也可在此修改）"</label>
                <textarea id="session-list" rows="3" aria-invalid=invalid(error, "attendee_list")
                    prop:value=move || list.get() on:input=move |e| list.set(event_target_value(&e))></textarea>
                {move || error.get().map(|(_, m)| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "正在保存…" } else { "保存教育记录" }}
                </button>
            </form>
        </section>
    }
}

/// The talks; with `void`, each can be voided (the education page, not a person's page).
#[component]
fn Talks(talks: Vec<TalkView>, #[prop(optional)] void: Option<Refresh>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="talk-list">
            <h2 id="talk-list">{format!("廉政谈话记录（{} 次）", talks.len())}</h2>
            {if talks.is_empty() {
                view! { <p class="empty">"暂无谈话记录。"</p> }.into_any()
            } else {
                view! {
                    <table class="handbook-table talks">
                        <thead><tr>
                            <th scope="col">"日期"</th><th scope="col">"谈话对象"</th><th scope="col">"谈话人"</th>
                            <th scope="col">"主题"</th><th scope="col">"记录人"</th>
                            {void.map(|_| view! { <th scope="col">"操作"</th> })}
                        </tr></thead>
                        <tbody>
                            {talks.into_iter().map(|t| view! {
                                <tr data-testid="talk">
                                    <td data-label="日期">{t.held_on.clone()}</td>
                                    <td data-label="谈话对象"><a href=format!("/people/{}", t.subject_username)>{t.subject.clone()}</a>{format!("（{}）", t.unit)}</td>
                                    <td data-label="谈话人">{t.talker.clone()}</td>
                                    <td data-label="主题">{t.topic.clone()}</td>
                                    <td data-label="记录人">{t.recorded_by.clone()}</td>
                                    {void.map(|refresh| view! {
                                        <td data-label="操作"><VoidButton session=false id=t.id
                                            what=format!("{} 与{}的谈话", t.held_on, t.subject) refresh/></td>
                                    })}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// The sessions; with `void`, each can be voided.
#[component]
fn Sessions(
    sessions: Vec<SessionView>,
    title: &'static str,
    #[prop(optional)] void: Option<Refresh>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="session-list">
            <h2 id="session-list">{format!("{title}（{} 次）", sessions.len())}</h2>
            {if sessions.is_empty() {
                view! { <p class="empty">"暂无集中教育记录。"</p> }.into_any()
            } else {
                view! {
                    <table class="handbook-table sessions">
                        <thead><tr>
                            <th scope="col">"日期"</th><th scope="col">"形式"</th><th scope="col">"主题"</th>
                            <th scope="col">"单位"</th><th scope="col">"参加人数"</th>
                            {void.map(|_| view! { <th scope="col">"操作"</th> })}
                        </tr></thead>
                        <tbody>
                            {sessions.into_iter().map(|s| view! {
                                <tr data-testid="session">
                                    <td data-label="日期">{s.held_on.clone()}</td>
                                    <td data-label="形式">{s.kind.label()}</td>
                                    <td data-label="主题">{s.topic.clone()}</td>
                                    <td data-label="单位">{s.unit.clone()}</td>
                                    <td data-label="参加人数">{format!("{} 人", s.attendees)}</td>
                                    {void.map(|refresh| view! {
                                        <td data-label="操作"><VoidButton session=true id=s.id
                                            what=format!("{} {}", s.held_on, s.topic) refresh/></td>
                                    })}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// 人员廉政档案: a person's talks, sessions, warnings and commitments.
#[component]
pub fn PersonPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let username = move || params.read().get("username").unwrap_or_default();
    let data = Resource::new(username, load_person);
    view! {
        <BackBar/>
        <main id="main" class="page">
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(person) => view! { <Person person/> }.into_any(),
                        Err(error) => view! { <h1>"人员廉政档案"</h1><ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Person(person: PersonView) -> impl IntoView {
    let PersonView {
        username: _,
        name,
        unit,
        posts,
        talks,
        sessions,
        warnings,
        commitments,
    } = person;
    let signed = commitments.iter().filter(|c| c.signed_at.is_some()).count();
    view! {
        <Title text=format!("{name} · 人员廉政档案")/>
        <h1>{format!("{name} · 人员廉政档案")}</h1>
        <p class="muted">{if posts.is_empty() {
            format!("{unit}；目前没有承担岗位。")
        } else {
            format!("{unit}；现任岗位：{}。", posts.join("、"))
        }}</p>
        <Talks talks/>
        <Sessions sessions title="参加集中教育"/>
        <section class="card" aria-labelledby="person-warnings">
            <h2 id="person-warnings">{format!("预警（{} 条）", warnings.len())}</h2>
            {if warnings.is_empty() {
                view! { <p class="empty">"没有对本人的预警。"</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {warnings.into_iter().map(|w| view! {
                            <li data-testid="person-warning">
                                <a href=format!("/warnings/{}", w.id)>{w.number.clone()}</a>
                                {format!(" · {} · {} · {}", w.level.label(), w.handling.label(), w.status.label())}
                                {w.overdue.then(|| view! { <strong class="late">" 已逾期"</strong> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="person-commitments">
            <h2 id="person-commitments">{format!("廉政承诺（{} 份，已签署 {signed} 份）", commitments.len())}</h2>
            {if commitments.is_empty() {
                view! { <p class="empty">"还没有生成承诺书。"</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {commitments.into_iter().map(|c| view! {
                            <li data-testid="person-commitment">
                                <a href=format!("/commitments/{}", c.id)>{c.title.clone()}</a>
                                {format!(" · {} · ", c.post)}
                                {match (c.signed_at.clone(), c.superseded) {
                                    (Some(at), _) => format!("已签署（{at}）"),
                                    (None, true) => "已作废".to_owned(),
                                    (None, false) => format!("未签署（{} 生成）", c.created_on),
                                }}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
