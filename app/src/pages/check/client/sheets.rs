//! The user's sheets, one open for editing, and its risk points.

use super::*;

/// The user's sheets: editable ones in full, others in brief. Editors are recreated only when
/// the set of sheets changes, not on every sync.
#[component]
pub(super) fn Sheets() -> impl IntoView {
    let store = expect_context::<Store>();
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
        let (synced, held, others) = shape.get();
        if held.is_empty() && others == 0 {
            return view! {
                <p class="empty">{if synced { "您没有可填报的排查表。" } else { "本设备还没有数据：请联网同步一次。" }}</p>
            }
            .into_any();
        }
        view! {
            {held.into_iter().map(|post_id| view! { <SheetEditor post_id/> }).collect_view()}
            {(others > 0).then(|| view! { <p class="muted">{format!("另有 {others} 张待您审核或您打开过的排查表已存于本机，可在首页查看。")}</p> })}
        }
        .into_any()
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
                .is_some_and(|(s, _)| check_editable(s.stage).is_ok())
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
            {move || (!editable()).then(|| view! { <p class="muted">"排查表已提交审核，不能再修改。"</p> })}
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
