//! 导入风险台账: a unit's existing Excel/CSV risk table comes in. A dry run first reports every
//! row it would refuse and why; applying then writes the accepted rows in slices, with progress.
//! Importing the same file again creates nothing new.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::{
    upload::{apply_in_slices, on_choose, ImportProgress, RefusedRows},
    widgets::{use_id_param, BackBar},
};
use crate::{api::ImportReportView, client, write::ImportQuery};

/// Accepted rows written per request while applying.
const SLICE: usize = 200;

#[component]
pub fn ImportPage() -> impl IntoView {
    let id = use_id_param();
    let unit_id = move || id().unwrap_or_default();
    let file = RwSignal::new(None::<(String, Vec<u8>)>);
    let report = RwSignal::new(None::<ImportReportView>);
    let progress = RwSignal::new(None::<(usize, usize)>);
    let done = RwSignal::new(None::<ImportReportView>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let choose = on_choose(file, busy, error, move || {
        report.set(None);
        done.set(None);
    });

    let dry_run = move |_| {
        let Some((_, bytes)) = file.get_untracked() else {
            error.set(Some(
                "请先选择要导入的 Excel（.xlsx）或 CSV 文件".to_owned(),
            ));
            return;
        };
        busy.set(true);
        error.set(None);
        let unit = unit_id();
        let query = ImportQuery {
            dry_run: true,
            ..ImportQuery::default()
        };
        spawn_local(async move {
            match client::upload(&query.path(unit), &bytes).await {
                Ok(r) => report.set(Some(r)),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };

    let apply = move |_| {
        let (Some((_, bytes)), Some(plan)) = (file.get_untracked(), report.get_untracked()) else {
            return;
        };
        if !client::confirm(&format!(
            "将导入 {} 行（另有 {} 行被拒绝、不会导入）。确定导入吗？",
            plan.accepted_rows, plan.rejected_rows
        )) {
            return;
        }
        busy.set(true);
        let unit = unit_id();
        spawn_local(async move {
            let mut total = plan.clone();
            total.new_units = 0;
            total.new_posts = 0;
            total.new_risk_points = 0;
            total.new_measures = 0;
            total.existing_risk_points = 0;
            let slice = |offset| {
                let query = ImportQuery {
                    dry_run: false,
                    offset,
                    limit: Some(SLICE),
                };
                query.path(unit)
            };
            let applied = apply_in_slices(
                &bytes,
                plan.accepted_rows,
                slice,
                progress,
                |r: ImportReportView| {
                    total.new_units += r.new_units;
                    total.new_posts += r.new_posts;
                    total.new_risk_points += r.new_risk_points;
                    total.new_measures += r.new_measures;
                    total.existing_risk_points += r.existing_risk_points;
                },
            )
            .await;
            match applied {
                Ok(()) => done.set(Some(total)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <Title text="导入风险台账"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"导入风险台账"</h1>
            <section class="card stack">
                <p class="muted">"支持 Excel（.xlsx）、CSV 或制表符分隔的文本。列与示范台账相同：单位、岗位、岗位类别、岗位职责、风险点、风险类别、权力类型、可能性、危害程度、风险等级、防控措施。先试导入检查每一行，确认无误后再导入。"</p>
                <label for="import-file">"选择文件"</label>
                <input id="import-file" type="file" accept=".xlsx,.csv,.tsv,.txt" on:change=choose/>
                <div class="button-row">
                    <button type="button" disabled=move || busy.get() || file.with(Option::is_none) on:click=dry_run>"试导入（不写入）"</button>
                    <button type="button" class="primary" on:click=apply
                        disabled=move || busy.get() || report.with(|r| r.as_ref().is_none_or(|r| r.accepted_rows == 0))>"确认导入"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
                <ImportProgress progress/>
            </section>
            {move || report.get().map(|r| view! { <Report report=r/> })}
            {move || done.get().map(|r| view! {
                <p class="alert alert-ok" role="status">{format!(
                    "导入完成：新增单位 {} 个、岗位 {} 个、风险点 {} 个、防控措施 {} 条；已存在而未重复导入的风险点 {} 个。",
                    r.new_units, r.new_posts, r.new_risk_points, r.new_measures, r.existing_risk_points
                )}</p>
            })}
        </main>
    }
}

#[component]
fn Report(report: ImportReportView) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="report-title">
            <h2 id="report-title">"试导入结果"</h2>
            <p role="status">{format!(
                "共 {} 行：可导入 {} 行，拒绝 {} 行。导入后将新增单位 {} 个、岗位 {} 个、风险点 {} 个、防控措施 {} 条；已存在的风险点 {} 个。",
                report.total_rows, report.accepted_rows, report.rejected_rows, report.new_units,
                report.new_posts, report.new_risk_points, report.new_measures, report.existing_risk_points
            )}</p>
            <RefusedRows rejected=report.rejected omitted=report.rejected_omitted/>
        </section>
    }
}
