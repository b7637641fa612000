//! 排查批次: the commission's rounds. The list with a form to start a new one over chosen units
//! (pilot units first, then the whole district), and each round's progress by unit and stage with
//! the sheets that are late or due within a week.

use domain::risk::RiskLevel;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{
    level_class, use_id_param, BackBar, ErrorBox, Feedback, FeedbackLine, Refresh,
};
use crate::{
    api::{load_round, load_rounds, ReReviewView, RoundProgressView, RoundsView},
    client,
    write::{SetRoundMatrix, StartRound},
};

/// Adds `id` to or removes it from a list of checked boxes.
fn choose(chosen: RwSignal<Vec<i64>>, id: i64, on: bool) {
    chosen.update(|c| {
        c.retain(|x| *x != id);
        if on {
            c.push(id);
        }
    });
}

#[component]
pub fn RoundsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_rounds());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="排查批次"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"排查批次"</h1>
            <p class="muted">"启动批次后，所选单位（含下属科室、村、社区）的每个岗位都会得到本批次的排查表：已审核通过的岗位以上次通过的风险点和措施为初稿；尚在审核中的排查表转入本批次继续办理，已做的工作不会丢失；本年度已在试点中审核通过的岗位保留原排查表。先试点、后全区，即先后启动两个批次。"</p>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Rounds view refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Rounds(view: RoundsView, refresh: Refresh) -> impl IntoView {
    let RoundsView {
        rounds,
        units,
        today,
        next_year,
        re_reviews,
    } = view;
    let re_review_form = (!re_reviews.is_empty()).then(|| {
        view! { <ReReviewForm due=re_reviews today=today.clone() year=next_year refresh/> }
    });
    let name = RwSignal::new(String::new());
    let year = RwSignal::new(next_year.to_string());
    let deadline = RwSignal::new(String::new());
    let pilot = RwSignal::new(false);
    let chosen: RwSignal<Vec<i64>> = RwSignal::new(Vec::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let names: Vec<(i64, String)> = units.iter().map(|u| (u.id, u.name.clone())).collect();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let units = chosen.get_untracked();
        let listed: Vec<String> = names
            .iter()
            .filter(|(id, _)| units.contains(id))
            .map(|(_, n)| n.clone())
            .collect();
        let question =
            format!(
            "确定启动“{}”吗？\n参加单位：{}\n启动后将为这些单位的每个岗位开启排查表，不能撤销。",
            name.get_untracked().trim(),
            if listed.is_empty() { "（未选择）".to_owned() } else { listed.join("、") }
        );
        if !client::confirm(&question) {
            return;
        }
        let Ok(year_value) = year.get_untracked().trim().parse::<i64>() else {
            error.set(Some("年度：请填写四位数字的年度，如 2027".to_owned()));
            return;
        };
        let payload = StartRound {
            name: name.get_untracked(),
            year: year_value,
            deadline: deadline.get_untracked(),
            units,
            pilot: pilot.get_untracked(),
            re_review: false,
            posts: Vec::new(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(None, &payload).await;
            busy.set(false);
            match result {
                Ok(s) => {
                    name.set(String::new());
                    chosen.set(Vec::new());
                    refresh.done(format!(
                        "已启动“{}”：新开排查表 {} 张，以上次通过内容为初稿 {} 张，转入未完成的排查表 {} 张，本年度已审核通过保留 {} 张",
                        payload.name.trim(),
                        s.opened,
                        s.carried_forward,
                        s.adopted,
                        s.kept
                    ));
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="round-list">
            <h2 id="round-list">{format!("已有批次（{} 个）", rounds.len())}</h2>
            {if rounds.is_empty() {
                view! { <p class="empty">"还没有排查批次。"</p> }.into_any()
            } else {
                view! {
                    <table class="handbook-table rounds">
                        <thead><tr>
                            <th scope="col">"批次"</th><th scope="col">"年度"</th><th scope="col">"类型"</th>
                            <th scope="col">"截止日期"</th><th scope="col">"参加单位"</th><th scope="col">"排查表"</th>
                        </tr></thead>
                        <tbody>
                            {rounds.into_iter().map(|r| view! {
                                <tr data-round=r.name.clone()>
                                    <td data-label="批次"><a href=format!("/rounds/{}", r.id)>{r.name.clone()}</a>
                                        {r.started_on.map(|d| view! { <span class="muted">{format!("（{d} 启动）")}</span> })}</td>
                                    <td data-label="年度">{r.year}</td>
                                    <td data-label="类型">{match (r.re_review, r.pilot) {
                                        (true, _) => "回头看",
                                        (false, true) => "试点",
                                        (false, false) => "正式",
                                    }}</td>
                                    <td data-label="截止日期">{r.deadline}</td>
                                    <td data-label="参加单位">{r.units.join("、")}</td>
                                    <td data-label="排查表">{format!("{} 张", r.sheets)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        {re_review_form}
        <section class="card" aria-labelledby="round-new">
            <h2 id="round-new">"启动新批次"</h2>
            <form on:submit=submit novalidate>
                <label for="round-name">"批次名称"</label>
                <input id="round-name" type="text" required maxlength="60" placeholder="如：2027 年度试点排查"
                    prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                <label for="round-year">"年度"</label>
                <input id="round-year" type="number" inputmode="numeric" min="2000" max="2100" required
                    prop:value=move || year.get() on:input=move |e| year.set(event_target_value(&e))/>
                <label for="round-deadline">"截止日期（此日前应审核通过）"</label>
                <input id="round-deadline" type="date" required min=today.clone()
                    prop:value=move || deadline.get() on:input=move |e| deadline.set(event_target_value(&e))/>
                <label class="check">
                    <input type="checkbox" prop:checked=move || pilot.get()
                        on:change=move |e| pilot.set(event_target_checked(&e))/>
                    "试点批次（先在部分单位试行）"
                </label>
                <fieldset>
                    <legend>"参加单位（含其下属科室、村、社区）"</legend>
                    {units.into_iter().map(|u| {
                        let id = u.id;
                        let label = if u.depth == 0 { format!("{}（全区所有单位）", u.name) } else { u.name.clone() };
                        view! {
                            <label class="check" class:indent={u.depth > 0}>
                                <input type="checkbox" name="units" value=id.to_string()
                                    prop:checked=move || chosen.get().contains(&id)
                                    on:change=move |e| choose(chosen, id, event_target_checked(&e))/>
                                {label}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "正在启动…" } else { "启动批次" }}
                </button>
            </form>
        </section>
    }
}

/// 回头看: key posts due for re-review by their grade; the commission reopens the chosen ones in
/// a 回头看 round, their approved points and measures as the starting draft.
#[component]
fn ReReviewForm(
    due: Vec<ReReviewView>,
    today: String,
    year: i64,
    refresh: Refresh,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let deadline = RwSignal::new(String::new());
    let chosen: RwSignal<Vec<i64>> = RwSignal::new(due.iter().map(|d| d.post_id).collect());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let posts = chosen.get_untracked();
        if !client::confirm(&format!(
            "确定启动回头看“{}”吗？所选 {} 个岗位将重新开始排查，以上次通过的内容为初稿。",
            name.get_untracked().trim(),
            posts.len()
        )) {
            return;
        }
        let payload = StartRound {
            name: name.get_untracked(),
            year,
            deadline: deadline.get_untracked(),
            units: Vec::new(),
            pilot: false,
            re_review: true,
            posts,
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = client::send(None, &payload).await;
            busy.set(false);
            match result {
                Ok(s) => refresh.done(format!(
                    "已启动回头看“{}”：{} 个岗位以上次通过内容为初稿重新排查",
                    payload.name.trim(),
                    s.carried_forward + s.adopted + s.opened
                )),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="re-review">
            <h2 id="re-review">{format!("回头看：到期复查的重点岗位（{} 个）", due.len())}</h2>
            <p class="muted">"重点岗位按监督等级定期复查：一级每 6 个月、二级每 12 个月、三级每 24 个月，自上次审核通过之日起算；此处列出一个月内到期和已逾期的岗位。"</p>
            <form on:submit=submit novalidate>
                <fieldset>
                    <legend>"复查岗位"</legend>
                    {due.into_iter().map(|d| {
                        let id = d.post_id;
                        view! {
                            <label class="check" class:late=d.overdue>
                                <input type="checkbox" prop:checked=move || chosen.get().contains(&id)
                                    on:change=move |e| choose(chosen, id, event_target_checked(&e))/>
                                {format!("{} · {}（{}监督，{} 通过，{} 到期，{}）", d.unit, d.post, d.grade.label(), d.approved_on, d.due_on, d.standing)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <label for="re-review-name">"回头看批次名称"</label>
                <input id="re-review-name" type="text" required maxlength="60" placeholder="如：2027 年上半年回头看"
                    prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                <label for="re-review-deadline">"截止日期"</label>
                <input id="re-review-deadline" type="date" required min=today
                    prop:value=move || deadline.get() on:input=move |e| deadline.set(event_target_value(&e))/>
                {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "正在启动…" } else { "启动回头看" }}
                </button>
            </form>
        </section>
    }
}

#[component]
pub fn RoundPage() -> impl IntoView {
    let id = use_id_param();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_round(id).await,
            None => Err(crate::error::ApiError::not_found("该批次")),
        }
    });
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <BackBar/>
        <main id="main" class="page">
            <p><a href="/rounds">"← 全部批次"</a></p>
            <FeedbackLine feedback=refresh.notice/>
            <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Progress view refresh/> }.into_any(),
                        Err(error) => view! { <Title text="排查批次"/><ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Progress(view: RoundProgressView, refresh: Refresh) -> impl IntoView {
    let RoundProgressView {
        id,
        matrix,
        thresholds,
        name,
        year,
        deadline,
        pilot,
        today,
        stages,
        totals,
        units,
        attention,
        ..
    } = view;
    let posts: usize = totals.iter().sum();
    let approved = units.iter().map(|u| u.approved).sum::<usize>();
    let late = units.iter().map(|u| u.late).sum::<usize>();
    let breakdown = move |counts: &[usize]| {
        stages
            .iter()
            .zip(counts)
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| format!("{} {n}", s.label()))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let overall = breakdown(&totals);
    view! {
        <Title text=name.clone()/>
        <h1>{name}</h1>
        <p class="muted">{format!(
            "{year} 年度{} · 截止 {deadline} · 今天 {today}",
            if pilot { " · 试点" } else { "" }
        )}</p>
        <section class="card" aria-labelledby="round-summary">
            <h2 id="round-summary">"总体进度"</h2>
            <p data-testid="round-totals">{format!("共 {posts} 张排查表，已审核通过 {approved} 张，逾期 {late} 张")}</p>
            <p class="muted">{if overall.is_empty() { "本批次没有排查表。".to_owned() } else { overall }}</p>
        </section>
        <section class="card" aria-labelledby="round-units">
            <h2 id="round-units">"各单位进度"</h2>
            <table class="handbook-table">
                <thead><tr>
                    <th scope="col">"单位"</th><th scope="col">"岗位"</th><th scope="col">"已通过"</th>
                    <th scope="col">"逾期"</th><th scope="col">"各环节"</th>
                </tr></thead>
                <tbody>
                    {units.into_iter().map(|u| view! {
                        <tr data-unit=u.unit.clone()>
                            <td data-label="单位">{u.unit.clone()}</td>
                            <td data-label="岗位">{u.posts}</td>
                            <td data-label="已通过">{u.approved}</td>
                            <td data-label="逾期" class:late={u.late > 0}>{u.late}</td>
                            <td data-label="各环节">{breakdown(&u.by_stage)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="card" aria-labelledby="round-attention">
            <h2 id="round-attention">{format!("需关注（逾期或 7 天内截止，{} 张）", attention.len())}</h2>
            {if attention.is_empty() {
                view! { <p class="empty">"目前没有逾期或临近截止的排查表。"</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {attention.into_iter().map(|s| view! {
                            <li class:late=s.late>
                                <a href=format!("/posts/{}", s.post_id)>{format!("{} · {}", s.unit, s.post)}</a>
                                <span class="muted">{format!(
                                    " {} · {} · 风险点 {} 个 · {}",
                                    if s.holders.is_empty() { "无在岗人员".to_owned() } else { s.holders.clone() },
                                    s.stage.label(),
                                    s.risk_count,
                                    s.standing
                                )}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <MatrixCard round=id matrix thresholds refresh/>
    }
}

/// 风险评级标准: the round's likelihood × impact matrix, and for the commission the thresholds
/// to change it by. A change rates the round's drafts (sheets still in 自查) again; sheets
/// further up the chain keep the matrix they were rated with.
#[component]
fn MatrixCard(
    round: i64,
    matrix: Vec<Vec<RiskLevel>>,
    thresholds: Option<(u8, u8)>,
    refresh: Refresh,
) -> impl IntoView {
    let (high, medium) = thresholds.unwrap_or((15, 8));
    let high = RwSignal::new(high.to_string());
    let medium = RwSignal::new(medium.to_string());
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SetRoundMatrix {
            high_min: high.get_untracked().trim().parse().unwrap_or(0),
            medium_min: medium.get_untracked().trim().parse().unwrap_or(0),
        };
        if !client::confirm("保存后，本批次仍在自查环节的排查表将按新标准重新定级；已提交审核或已公示的排查表保持原定级。确定保存吗？") {
            return;
        }
        busy.set(true);
        feedback.set(None);
        spawn_local(async move {
            match client::send(Some(round), &body).await {
                Ok(done) => refresh.done(format!(
                    "评级标准已保存：{} 张自查中的排查表已按新标准定级，{} 个风险点的等级随之改变",
                    done.drafts, done.levels_changed
                )),
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="round-matrix">
            <h2 id="round-matrix">"风险评级标准"</h2>
            <p class="muted">{match thresholds {
                Some((h, m)) => format!("可能性 × 危害程度 ≥ {h} 为一级，{m}–{} 为二级，≤ {} 为三级。", h - 1, m - 1),
                None => "本批次使用逐格设定的评级矩阵。".to_owned(),
            }}</p>
            <table class="matrix-table">
                <caption>"评级矩阵（行：可能性，列：危害程度）"</caption>
                <thead><tr><th scope="col">""</th>{(1..=5).map(|i| view! { <th scope="col">{i}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {matrix.into_iter().enumerate().map(|(l, row)| view! {
                        <tr>
                            <th scope="row">{l + 1}</th>
                            {row.into_iter().map(|level| view! { <td class=level_class(level)>{level.label()}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <form class="stack" on:submit=save novalidate>
                <label for="matrix-high">"一级（高风险）起始分值"</label>
                <input id="matrix-high" type="number" inputmode="numeric" min="2" max="25" required
                    prop:value=move || high.get() on:input=move |e| high.set(event_target_value(&e))/>
                <label for="matrix-medium">"二级（中风险）起始分值"</label>
                <input id="matrix-medium" type="number" inputmode="numeric" min="1" max="24" required
                    prop:value=move || medium.get() on:input=move |e| medium.set(event_target_value(&e))/>
                <button type="submit" class="primary" disabled=move || busy.get()>"保存评级标准"</button>
                <FeedbackLine feedback/>
            </form>
        </section>
    }
}
