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
                    data.get()
                        .map(|(_, points)| points)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| view! { <PointItem point=p post_id editable editing/> }.into_any())
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
                view! { <p class="muted">{if held { "排查表已提交审核，不能再修改。" } else { "只读：只有该岗位的填报人可以修改。" }}</p> }
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
    editing: RwSignal<Editing>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let LocalPoint {
        record,
        pending,
        known,
    } = point;
    let id = record.id;
    let version = record.version;
    let input = record.input.clone();
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
            <ul class="measures">
                {input.measures.iter().map(|m| view! {
                    <li>
                        <span class="measure-kind">{MeasureKind::parse(&m.kind).map(|k| k.label()).unwrap_or("—")}</span>
                        <span class="measure-text">{m.text.clone()}</span>
                        <span class="measure-status" data-testid="measure-status">{progress(m)}</span>
                    </li>
                }).collect_view()}
            </ul>
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
