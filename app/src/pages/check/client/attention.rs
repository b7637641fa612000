//! Edits the server refused, each with its reason, to fix or discard.

use super::*;

/// Operations the server refused: shown until the user fixes or discards each.
#[component]
pub(super) fn AttentionList() -> impl IntoView {
    let store = expect_context::<Store>();
    move || {
        let items = store.attention.get();
        (!items.is_empty()).then(|| view! {
            <section class="card attention" aria-labelledby="attention-title">
                <h2 id="attention-title">{format!("需要处理（{} 条）", items.len())}</h2>
                <ul>
                    {items.into_iter().map(|a| view! { <AttentionItem item=a/> }).collect_view()}
                </ul>
            </section>
        })
    }
}

#[component]
pub(super) fn AttentionItem(item: offline::Attention) -> impl IntoView {
    let store = expect_context::<Store>();
    let id = item.op.id;
    let OpResult::Rejected {
        code,
        message,
        current,
        errors,
        ..
    } = item.result.clone()
    else {
        return ().into_any();
    };
    let mine = match &item.op.op {
        Operation::UpsertRiskPoint { risk_point, .. } => Some(risk_point.clone()),
        _ => None,
    };
    // A refused edit without a server version to compare (invalid, deleted meanwhile) is
    // fixed in the form, prefilled with what the user wrote, and queued again.
    let fixing = RwSignal::new(Editing::None);
    let fix_form = match (&item.op.op, current.is_none()) {
        (
            Operation::UpsertRiskPoint {
                post_id,
                risk_point_id,
                risk_point,
                ..
            },
            true,
        ) => {
            let (post_id, rp_id) = (*post_id, *risk_point_id);
            let known = store
                .replica
                .with_untracked(|r| r.points.iter().find(|p| p.id == rp_id).cloned());
            let matrix = store.replica.with_untracked(|r| {
                r.sheets
                    .iter()
                    .find(|s| s.post_id == post_id)
                    .map(|s| s.matrix.clone())
                    .unwrap_or_default()
            });
            let record = domain::sync::RiskPointRecord {
                // A deleted point's id can never be used again: gone, it is added anew.
                id: if known.is_some() {
                    rp_id
                } else {
                    offline::new_id()
                },
                post_id,
                // Still on the server: edit it from its version; gone: add it anew.
                version: known.as_ref().map_or(0, |k| k.version),
                position: known.as_ref().map_or(0, |k| k.position),
                level: known
                    .as_ref()
                    .map_or(domain::risk::RiskLevel::Low, |k| k.level),
                input: risk_point.clone(),
            };
            Some((
                post_id,
                matrix,
                LocalPoint {
                    pending: false,
                    known: record.version > 0,
                    record,
                },
            ))
        }
        _ => None,
    };
    let retry = {
        let op = item.op.op.clone();
        let current = current.clone();
        move |_| {
            // Keep mine: the same change again, based on the server's version.
            let op = match (&op, &current) {
                (
                    Operation::UpsertRiskPoint {
                        post_id,
                        risk_point_id,
                        risk_point,
                        ..
                    },
                    Some(c),
                ) => Operation::UpsertRiskPoint {
                    post_id: *post_id,
                    risk_point_id: *risk_point_id,
                    base_version: Some(c.version),
                    risk_point: risk_point.clone(),
                },
                (
                    Operation::DeleteRiskPoint {
                        post_id,
                        risk_point_id,
                        ..
                    },
                    Some(c),
                ) => Operation::DeleteRiskPoint {
                    post_id: *post_id,
                    risk_point_id: *risk_point_id,
                    base_version: c.version,
                },
                (other, _) => other.clone(),
            };
            match store.queue(op) {
                Ok(()) => store.discard(id),
                Err(e) => alert(&e),
            }
        }
    };
    let has_current = current.is_some();
    let signing = matches!(item.op.op, Operation::SignCommitment { .. });
    let answering = matches!(item.op.op, Operation::AnswerWarning { .. });
    let reporting = matches!(item.op.op, Operation::ReportMeasure { .. });
    // Signed already (online, or on another device): nothing of it is lost, only said.
    if signing && code == "already_signed" {
        return view! {
            <li class="attention-item">
                <h3>"承诺书已签署"</h3>
                <p class="alert alert-info">{message}</p>
                <div class="actions">
                    <button type="button" on:click=move |_| store.discard(id)>"知道了"</button>
                </div>
            </li>
        }
        .into_any();
    }
    let (discard_label, discard_question) = if has_current {
        (
            "采用服务器版本",
            "确定放弃这条修改吗？放弃前会先把待同步内容（含这条修改）导出为文件保存到本机。",
        )
    } else if signing {
        ("导出后移除，重新签署", "确定移除这次未能封存的签署吗？移除前会先把它导出为文件保存到本机。之后请在承诺书列表中重新阅读并签署。")
    } else {
        (
            "导出后放弃此修改",
            "确定放弃这条修改吗？放弃前会先把待同步内容（含这条修改）导出为文件保存到本机。",
        )
    };
    view! {
        <li class="attention-item">
            {signing.then(|| view! { <h3>"承诺书离线签署未能封存"</h3> })}
            {answering.then(|| view! { <h3>"预警答复未能提交"</h3> })}
            {reporting.then(|| view! { <h3>"措施落实情况未能提交"</h3> })}
            <p class="alert alert-error">{message}</p>
            {(!errors.is_empty()).then(|| view! {
                <ul class="field-errors">{errors.into_iter().map(|e| view! { <li>{e.message}</li> }).collect_view()}</ul>
            })}
            {match (current, mine) {
                (Some(server), Some(mine)) => view! {
                    <div class="compare">
                        <div>
                            <h3>{format!("服务器版本（第 {} 版）", server.version)}</h3>
                            <PointSummary input=server.input.clone()/>
                        </div>
                        <div>
                            <h3>"您的版本"</h3>
                            <PointSummary input=mine.clone()/>
                        </div>
                    </div>
                }.into_any(),
                _ => ().into_any(),
            }}
            {fix_form.clone().map(|(post_id, matrix, point)| view! {
                <Show when=move || fixing.get() != Editing::None>
                    <RiskForm post_id point=Some(point.clone()) matrix=matrix.clone() editing=fixing
                        on_saved=Callback::new(move |()| store.discard(id))/>
                </Show>
            })}
            <div class="actions">
                {has_current.then(|| view! { <button type="button" on:click=retry>"保留我的版本"</button> })}
                {fix_form.is_some().then(|| view! {
                    <button type="button" on:click=move |_| fixing.set(Editing::New)>"修改后重新提交"</button>
                })}
                <button type="button" on:click=move |_| {
                    // What is thrown away is kept in a file first: the user (or an administrator)
                    // can still read what was written.
                    if confirm(discard_question) {
                        store.export();
                        store.discard(id)
                    }
                }>{discard_label}</button>
            </div>
        </li>
    }
    .into_any()
}

/// A risk point's content in brief, for comparing two versions.
#[component]
pub(super) fn PointSummary(input: RiskPointInput) -> impl IntoView {
    let ratings = format!(
        "可能性 {} × 危害程度 {} · 发生频率 {}",
        input.likelihood, input.impact, input.frequency
    );
    view! {
        <p>{input.description}</p>
        <p class="muted">{ratings}</p>
        <ul class="measures">
            {input.measures.into_iter().map(|m| view! {
                <li>
                    <span class="measure-kind">{MeasureKind::parse(&m.kind).map(|k| k.label()).unwrap_or("—")}</span>
                    <span class="measure-text">{m.text}</span>
                </li>
            }).collect_view()}
        </ul>
    }
}
