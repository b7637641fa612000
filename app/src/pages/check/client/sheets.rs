//! The user's sheets, one open for editing, and its risk points.

use super::*;

/// The user's sheets: editable ones in full, and the others this device keeps (those awaiting
/// the user, those they opened lately) as a list; with `?post=ID`, that one sheet, read from
/// the device (offline too). Editors are recreated only when the set of sheets changes, not on
/// every sync.
#[component]
pub(super) fn Sheets() -> impl IntoView {
    let store = expect_context::<Store>();
    let query = leptos_router::hooks::use_query_map();
    let reading =
        Memo::new(move |_| query.with(|q| q.get("post").and_then(|p| p.parse::<i64>().ok())));
    let shape = Memo::new(move |_| {
        store.replica.with(|r| {
            let mut held: Vec<i64> = r
                .sheets
                .iter()
                .filter(|s| s.holder)
                .map(|s| s.post_id)
                .collect();
            held.sort_unstable();
            let others = r.sheets.iter().filter(|s| !s.holder).count();
            (r.cursor.is_some(), held, others)
        })
    });
    move || {
        if let Some(post_id) = reading.get() {
            return view! { <KeptSheet post_id/> }.into_any();
        }
        let (synced, held, others) = shape.get();
        if held.is_empty() && others == 0 {
            return view! {
                <p class="empty">{if synced { "您没有可填报的排查表。" } else { "本设备还没有数据：请联网同步一次。" }}</p>
            }
            .into_any();
        }
        view! {
            {held.into_iter().map(|post_id| view! { <SheetEditor post_id/> }).collect_view()}
            {(others > 0).then(|| view! { <KeptSheets/> })}
        }
        .into_any()
    }
}

/// The sheets this device keeps that the user does not hold: those awaiting them first.
#[component]
fn KeptSheets() -> impl IntoView {
    let store = expect_context::<Store>();
    let rows = Memo::new(move |_| {
        store.replica.with(|r| {
            let mut per_post: std::collections::HashMap<i64, usize> = Default::default();
            for p in &r.points {
                *per_post.entry(p.post_id).or_default() += 1;
            }
            let mut rows: Vec<(bool, i64, String, String, String, usize)> = r
                .sheets
                .iter()
                .filter(|s| !s.holder)
                .map(|s| {
                    let points = per_post.get(&s.post_id).copied().unwrap_or(0);
                    let stage = s.stage.label().to_owned();
                    (
                        !s.waiting,
                        s.post_id,
                        s.post_title.clone(),
                        s.unit.clone(),
                        stage,
                        points,
                    )
                })
                .collect();
            rows.sort();
            rows
        })
    });
    let waiting = move || rows.with(|r| r.iter().filter(|x| !x.0).count());
    view! {
        <section class="card" aria-labelledby="kept-sheets">
            <h2 id="kept-sheets">"本机存有的其他排查表"</h2>
            <p class="muted">{move || format!(
                "待您审核的 {} 张和您最近打开的排查表存于本机，没有网络时也能查看；审核请联网后在首页进行。",
                waiting()
            )}</p>
            <ul class="kept-sheets">
                {move || rows.get().into_iter().map(|(other, post_id, title, unit, stage, points)| view! {
                    <li>
                        <a href=format!("/check?post={post_id}")>{title}</a>
                        <span class="muted">{format!(" {unit} · {stage} · 风险点 {points} 个")}</span>
                        {(!other).then(|| view! { <span class="badge">"待我审核"</span> })}
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// One sheet as this device keeps it, read-only unless the user holds it.
#[component]
fn KeptSheet(post_id: i64) -> impl IntoView {
    let store = expect_context::<Store>();
    let kept = Memo::new(move |_| {
        store
            .replica
            .with(|r| r.sheets.iter().any(|s| s.post_id == post_id))
    });
    let as_of = move || {
        store.meta.with(|m| {
            m.last_sync
                .map(time_of)
                .unwrap_or_else(|| "尚未同步".to_owned())
        })
    };
    view! {
        <p><a href="/check">"← 返回岗位自查"</a></p>
        <p class="alert alert-info" role="status" data-testid="kept-as-of">
            {move || if store.online.get() { "本机保存的数据" } else { "离线" }}
            {move || format!("，数据截至 {}。", as_of())}
            {move || store.online.get().then(|| view! {
                <a href=format!("/posts/{post_id}")>"打开最新版本"</a>
            })}
        </p>
        {move || if kept.get() {
            view! { <SheetEditor post_id/> }.into_any()
        } else {
            view! {
                <p class="empty">"本机没有这张排查表：联网后可在首页打开。本机只保存您填报的、待您审核的和您最近打开的排查表。"</p>
            }.into_any()
        }}
    }
}

/// What the form is doing: nothing, adding, or editing a point.
#[derive(Clone, PartialEq)]
pub(super) enum Editing {
    None,
    New,
    Point(Uuid),
}

/// One editable sheet. The list follows the local data as syncs land; the open form does
/// not: it depends only on what is being edited, so a background sync never wipes what the
/// user is typing.
#[component]
pub(super) fn SheetEditor(post_id: i64) -> impl IntoView {
    let store = expect_context::<Store>();
    let editing = RwSignal::new(Editing::None);
    let error = RwSignal::new(None::<String>);
    let data = Memo::new(move |_| store.sheet(post_id));
    let editable = move || {
        data.with(|d| {
            d.as_ref()
                .is_some_and(|(s, _)| s.holder && check_editable(s.stage).is_ok())
        })
    };
    // Once approved, the holder reports how each measure is carried out (措施落实).
    let reporting = move || {
        data.with(|d| {
            d.as_ref()
                .is_some_and(|(s, _)| s.holder && s.stage == domain::stage::Stage::Approved)
        })
    };
    let count = move || data.with(|d| d.as_ref().map_or(0, |(_, p)| p.len()));
    let submit = move |_| {
        if confirm("提交后将进入互评环节，不能再修改。确定提交审核吗？") {
            if let Err(e) = store.queue(Operation::SubmitSheet { post_id }) {
                error.set(Some(e));
            } else if store.online.get_untracked() {
                spawn_local(store.sync());
            }
        }
    };
    let heading = format!("sheet-{post_id}");
    let labelled_by = heading.clone();
    let matrix = move || {
        data.with_untracked(|d| {
            d.as_ref()
                .map(|(s, _)| s.matrix.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <section class="card sheet" aria-labelledby=labelled_by>
            {move || data.get().map(|(sheet, _)| view! {
                <header class="sheet-head">
                    <h2 id=heading.clone()>{sheet.post_title.clone()}</h2>
                    <p class="sheet-meta">
                        <span>{sheet.unit.clone()}</span>
                        <span>{sheet.post_level.label()}</span>
                        <span class="badge">{format!("{} · {}", sheet.round, sheet.stage.label())}</span>
                    </p>
                </header>
            })}
            {move || error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
            <h3>{move || format!("风险点（{} 个）", count())}</h3>
            <ol class="risk-list">
                {move || {
                    let editable = editable();
                    let reporting = reporting();
                    data.get()
                        .map(|(_, points)| points)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| view! { <PointItem point=p post_id editable reporting editing/> }.into_any())
                        .collect_view()
                }}
            </ol>
            {move || match editing.get() {
                Editing::None => editable().then(|| view! {
                    <div class="actions">
                        <button type="button" class="primary" on:click=move |_| editing.set(Editing::New)>"新增风险点"</button>
                        <button type="button" on:click=submit disabled=move || count() == 0>"提交审核"</button>
                    </div>
                }).into_any(),
                Editing::New => view! { <RiskForm post_id point=None matrix=matrix() editing/> }.into_any(),
                Editing::Point(id) => {
                    let point = data.with_untracked(|d| {
                        d.as_ref().and_then(|(_, ps)| ps.iter().find(|p| p.record.id == id).cloned())
                    });
                    view! { <RiskForm post_id point matrix=matrix() editing/> }.into_any()
                }
            }}
            {move || (!editable()).then(|| {
                let held = data.with(|d| d.as_ref().is_some_and(|(s, _)| s.holder));
                let text = match (held, reporting()) {
                    (true, true) => "排查表已审核通过：请按期落实各项措施，并在每项措施下报告落实情况，完成后由科室负责人检验。",
                    (true, false) => "排查表已提交审核，不能再修改。",
                    _ => "只读：只有该岗位的填报人可以修改。",
                };
                view! { <p class="muted">{text}</p> }
            })}
        </section>
    }
    .into_any()
}

#[component]
pub(super) fn PointItem(
    point: LocalPoint,
    post_id: i64,
    editable: bool,
    /// The holder reports the measures' progress (the sheet is approved).
    #[prop(optional)]
    reporting: bool,
    editing: RwSignal<Editing>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let reporting_on = RwSignal::new(None::<usize>);
    let today = domain::risk::IsoDate::parse(&today(), "today", "今天").ok();
    let LocalPoint {
        record,
        pending,
        known,
    } = point;
    let form_measures = record.input.measures.clone();
    let id = record.id;
    let version = record.version;
    let input = record.input.clone();
    // The residual rating and the flags the sheet page shows, by the same rule.
    let residual_line = input.validate().ok().map(|valid| {
        let rated = valid.residual.map(|r| {
            format!(
                "剩余风险：可能性 {} × 危害程度 {}",
                r.likelihood.get(),
                r.impact.get()
            )
        });
        let flags = today.map(|t| valid.residual_flags(t)).unwrap_or_default();
        let flagged = (!flags.is_empty()).then(|| {
            let text: Vec<&str> = flags.iter().map(|f| f.label()).collect();
            view! { <p class="risk-flag" role="note">{format!("⚠ {}", text.join("；"))}</p> }
        });
        view! { {rated.map(|r| view! { <p class="muted risk-residual">{r}</p> })} {flagged} }
    });
    let delete = move |_| {
        if !confirm("确定删除这个风险点吗？删除会在同步后生效。") {
            return;
        }
        // A point that never reached the server is removed from the queue; others are
        // deleted on the server, based on the version this device saw.
        let op = Operation::DeleteRiskPoint {
            post_id,
            risk_point_id: id,
            base_version: version,
        };
        if !known {
            let mut outbox = store.outbox.get_untracked();
            outbox.ops.retain(|e| match &e.op {
                Operation::UpsertRiskPoint { risk_point_id, .. } => *risk_point_id != id,
                _ => true,
            });
            if store.queue_replace(outbox).is_err() {
                alert("本机存储写入失败，删除未生效");
            }
        } else if let Err(e) = store.queue(op) {
            alert(&e);
        } else if store.online.get_untracked() {
            spawn_local(store.sync());
        }
    };
    view! {
        <li class="risk-point" data-risk-id=id.to_string()>
            <div class="risk-head">
                <span class=level_class(record.level)>{record.level.label()}</span>
                <p class="risk-description">{input.description.clone()}</p>
                {pending.then(|| view! { <span class="badge badge-pending">"待同步"</span> })}
            </div>
            <p class="muted">{format!(
                "{} · {} · 可能性 {} × 危害程度 {} · 发生频率 {}",
                RiskCategory::parse(&input.category).map(|c| c.label()).unwrap_or("—"),
                input.power_type, input.likelihood, input.impact, input.frequency
            )}</p>
            {residual_line}
            <ul class="measures">
                {input.measures.iter().enumerate().map(|(i, m)| {
                    let standing = Standing::from_code(&m.check);
                    let status = MeasureStatus::parse(&m.status).unwrap_or(MeasureStatus::Planned);
                    let due = domain::risk::IsoDate::parse(&m.due, "due", "完成时限").ok();
                    let overdue = today.is_some_and(|t| status.overdue(due, t));
                    let note = (!m.note.is_empty()).then(|| {
                        let label = if standing == Standing::SentBack { "退回理由：" } else { "落实情况：" };
                        format!("{label}{}", m.note)
                    });
                    let may_report = reporting && standing != Standing::Accepted;
                    let text = m.text.clone();
                    view! {
                        <li data-testid="measure">
                            <span class="measure-kind">{MeasureKind::parse(&m.kind).map(|k| k.label()).unwrap_or("—")}</span>
                            <span class="measure-text">{m.text.clone()}</span>
                            <span class="measure-status" data-testid="measure-status">{progress(m)}</span>
                            {(!m.due.is_empty()).then(|| view! { <span class="measure-due">{format!("时限 {}", m.due)}</span> })}
                            {overdue.then(|| view! { <span class="badge badge-overdue" data-testid="measure-overdue">"逾期"</span> })}
                            {(standing != Standing::Open).then(|| view! {
                                <span class=if standing == Standing::SentBack { "badge badge-overdue" } else { "badge" } data-testid="measure-check">{standing.label()}</span>
                            })}
                            {note.map(|n| view! { <p class="measure-note prewrap">{n}</p> })}
                            {may_report.then(|| view! {
                                <button type="button" class="measure-report" on:click=move |_| reporting_on.set(Some(i))
                                    aria-label=format!("报告落实情况：{text}")>"报告落实情况"</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || reporting_on.get().map(|i| {
                let measure = form_measures.get(i).cloned().unwrap_or_default();
                view! { <ProgressForm risk_point_id=id position=i measure open=reporting_on/> }
            })}
            {editable.then(|| view! {
                <div class="actions">
                    <button type="button" on:click=move |_| editing.set(Editing::Point(id))>"修改"</button>
                    <button type="button" class="danger" on:click=delete>"删除"</button>
                </div>
            })}
        </li>
    }
}

/// A measure's progress as a list shows it: `已完成（2026-11-30）`, `进行中`, `未开始`.
pub(super) fn progress(m: &MeasureInput) -> String {
    let label = MeasureStatus::parse(&m.status)
        .unwrap_or(MeasureStatus::Planned)
        .label();
    if m.done_on.is_empty() {
        label.to_owned()
    } else {
        format!("{label}（{}）", m.done_on)
    }
}

/// 报告落实情况: the holder's progress report on one measure, queued on the device (offline too)
/// and checked by the rules the server applies.
#[component]
fn ProgressForm(
    risk_point_id: Uuid,
    position: usize,
    measure: MeasureInput,
    open: RwSignal<Option<usize>>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let status = RwSignal::new(
        MeasureStatus::parse(&measure.status)
            .unwrap_or(MeasureStatus::Planned)
            .code()
            .to_owned(),
    );
    let done_on = RwSignal::new(measure.done_on.clone());
    let note = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let notice = RwSignal::new(None::<String>);
    let error_of = move |field: &'static str| {
        move || {
            errors.with(|e| {
                e.iter()
                    .find(|e| e.field == field)
                    .map(|e| view! { <p class="field-error" role="alert">{e.message.clone()}</p> })
            })
        }
    };
    let base = format!("progress-{risk_point_id}-{position}");
    let (status_id, day_id, note_id) = (
        format!("{base}-status"),
        format!("{base}-done-on"),
        format!("{base}-note"),
    );
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let (s, mut d, n) = (
            status.get_untracked(),
            done_on.get_untracked(),
            note.get_untracked(),
        );
        if s != MeasureStatus::Done.code() {
            d.clear();
        }
        let today = domain::risk::IsoDate::parse(&today(), "today", "今天");
        let checked = today
            .map_err(|e| vec![e])
            .and_then(|t| domain::risk::progress::check_report(&s, &d, &n, t));
        if let Err(e) = checked {
            errors.set(e);
            return;
        }
        errors.set(Vec::new());
        let op = Operation::ReportMeasure {
            risk_point_id,
            position: position as i64,
            status: s,
            done_on: d,
            note: n.trim().to_owned(),
        };
        match store.queue(op) {
            Ok(()) => {
                open.set(None);
                if store.online.get_untracked() {
                    spawn_local(store.sync());
                }
            }
            Err(e) => notice.set(Some(e)),
        }
    };
    let done = move || status.get() == MeasureStatus::Done.code();
    view! {
        <form class="progress-form" on:submit=submit novalidate aria-label=format!("报告落实情况：{}", measure.text)>
            <h4>{format!("报告落实情况：{}", measure.text)}</h4>
            <label for=status_id.clone()>"落实状态"</label>
            <select id=status_id on:change=move |e| {
                let value = event_target_value(&e);
                if value == MeasureStatus::Done.code() && done_on.get_untracked().is_empty() {
                    done_on.set(today());
                }
                status.set(value);
            }>
                {MeasureStatus::ALL.into_iter().map(|s| view! {
                    <option value=s.code() selected=move || status.get() == s.code()>{s.label()}</option>
                }).collect_view()}
            </select>
            <Show when=done>
                <label for=day_id.clone()>"完成日期"</label>
                <input id=day_id.clone() type="date" max=today() prop:value=move || done_on.get()
                    on:input=move |e| done_on.set(event_target_value(&e))/>
                {error_of("done_on")}
            </Show>
            <label for=note_id.clone()>"落实情况说明"<span class="required" aria-hidden="true">"*"</span></label>
            <textarea id=note_id rows="3" required aria-required="true" placeholder="做了什么、取得什么效果"
                prop:value=move || note.get() on:input=move |e| note.set(event_target_value(&e))></textarea>
            {error_of("note")}
            {error_of("status")}
            {move || notice.get().map(|n| view! { <p class="alert alert-error" role="alert">{n}</p> })}
            <div class="actions">
                <button type="submit" class="primary">"保存落实情况"</button>
                <button type="button" on:click=move |_| open.set(None)>"取消"</button>
            </div>
        </form>
    }
}
