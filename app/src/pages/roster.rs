//! 导入组织机构与花名册: the administrator brings in the organisation table or the staff roster
//! from Excel/CSV. A dry run first lists every refused row with its number, column and rule;
//! applying then writes the accepted rows in slices, with progress. New accounts come back with
//! temporary passwords, shown once, to print or save and hand over; each must be changed at the
//! first sign-in. Importing the same file again adds nothing.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::{
    upload::{apply_in_slices, on_choose, ImportProgress, RefusedRows},
    widgets::BackBar,
};
use crate::{
    api::district::{NewAccountSlip, OrgTable, RosterCounts, RosterReportView},
    client,
    write::RosterImportQuery,
};

/// Accepted rows written per request while applying (a new account's password takes a moment to
/// hash, so slices of the roster are small enough to show progress).
const SLICE: usize = 50;

#[component]
pub fn RosterImportPage() -> impl IntoView {
    let table = RwSignal::new(OrgTable::Staff);
    let file = RwSignal::new(None::<(String, Vec<u8>)>);
    let report = RwSignal::new(None::<RosterReportView>);
    let progress = RwSignal::new(None::<(usize, usize)>);
    let done = RwSignal::new(None::<RosterReportView>);
    let slips = RwSignal::new(Vec::<NewAccountSlip>::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let reset = move || {
        report.set(None);
        done.set(None);
        progress.set(None);
        error.set(None);
    };

    let choose = on_choose(file, busy, error, reset);

    let dry_run = move |_| {
        let Some((_, bytes)) = file.get_untracked() else {
            error.set(Some(
                "请先选择要导入的 Excel（.xlsx）或 CSV 文件".to_owned(),
            ));
            return;
        };
        busy.set(true);
        error.set(None);
        let query = RosterImportQuery {
            table: table.get_untracked(),
            dry_run: true,
            offset: 0,
            limit: None,
        };
        spawn_local(async move {
            match client::upload::<RosterReportView>(&query.path(), &bytes).await {
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
            "将导入{} {} 行（另有 {} 行被拒绝、不会导入），新建账号 {} 个。确定导入吗？",
            plan.table.label(),
            plan.accepted_rows,
            plan.rejected_rows,
            plan.counts.new_accounts
        )) {
            return;
        }
        busy.set(true);
        slips.set(Vec::new());
        spawn_local(async move {
            let mut total = RosterReportView {
                counts: RosterCounts::default(),
                accounts: Vec::new(),
                ..plan.clone()
            };
            let table = plan.table;
            let slice = |offset| {
                let query = RosterImportQuery {
                    table,
                    dry_run: false,
                    offset,
                    limit: Some(SLICE),
                };
                query.path()
            };
            let applied = apply_in_slices(
                &bytes,
                plan.accepted_rows,
                slice,
                progress,
                |r: RosterReportView| {
                    total.counts += r.counts;
                    slips.update(|s| s.extend(r.accounts));
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
        <Title text="导入组织机构与花名册"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"导入组织机构与花名册"</h1>
            <p><a href="/admin/org">"返回组织机构"</a></p>
            <section class="card stack">
                <fieldset>
                    <legend>"要导入的表"</legend>
                    {OrgTable::ALL.into_iter().map(|t| view! {
                        <label class="check">
                            <input type="radio" name="org-table" value=t.code() prop:checked=move || table.get() == t
                                on:change=move |_| { table.set(t); reset(); }/>
                            {t.label()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <p class="muted">{move || match table.get() {
                    OrgTable::Units => "组织机构表的列：上级单位、单位名称、类型（单位、科室、街道、村、社区，可留空）、分管区领导。上级单位写从区往下的路径，如“清河街道办事处”；本区那一行上级单位留空、类型填“区”。上级单位须写在下级之前。",
                    OrgTable::Staff => "花名册的列：姓名、用户名、所在单位、岗位、岗位类别、任职日期、角色。所在单位写从区往下的路径，如“区教育局/某中学”；角色如“科室负责人、分管领导@区教育局”，不写范围即为所在单位。新用户名会新建账号并生成临时密码，本人首次登录须修改。一人任多个岗位写多行；只登记空缺岗位时姓名、用户名留空。",
                }}</p>
                <label for="roster-file">"选择文件"</label>
                <input id="roster-file" type="file" accept=".xlsx,.csv,.tsv,.txt" on:change=choose/>
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
                <p class="alert alert-ok" role="status">{format!("导入完成：{}", counts(&r, "已"))}</p>
            })}
            {move || (!slips.with(Vec::is_empty)).then(|| view! { <Slips slips=slips.get()/> })}
        </main>
    }
}

/// What an import did or would do, in words.
fn counts(r: &RosterReportView, verb: &str) -> String {
    let c = &r.counts;
    match r.table {
        OrgTable::Units => format!(
            "{verb}新建单位 {} 个、更新分管区领导 {} 个；{} 行无需更改。",
            c.new_units, c.updated_units, c.unchanged_rows
        ),
        OrgTable::Staff => format!(
            "{verb}新建账号 {} 个、岗位 {} 个，登记任职 {} 项，授予角色 {} 项；{} 行无需更改。",
            c.new_accounts, c.new_posts, c.new_holdings, c.new_roles, c.unchanged_rows
        ),
    }
}

#[component]
fn Report(report: RosterReportView) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="report-title">
            <h2 id="report-title">"试导入结果"</h2>
            <p role="status">{format!(
                "共 {} 行：可导入 {} 行，拒绝 {} 行。导入后{}",
                report.total_rows, report.accepted_rows, report.rejected_rows, counts(&report, "将")
            )}</p>
            <RefusedRows rejected=report.rejected omitted=report.rejected_omitted/>
        </section>
    }
}

/// The new accounts with their temporary passwords: shown once, to print or save and hand over.
#[component]
fn Slips(slips: Vec<NewAccountSlip>) -> impl IntoView {
    let csv = {
        let mut text = String::from("\u{FEFF}姓名,用户名,所在单位,临时密码\r\n");
        let quoted = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        for s in &slips {
            let cells = [&s.display_name, &s.username, &s.unit, &s.temporary_password];
            let cells: Vec<String> = cells.iter().map(|c| quoted(c)).collect();
            text.push_str(&cells.join(","));
            text.push_str("\r\n");
        }
        text
    };
    let save = move |_| client::save_file("lianfang-new-accounts.csv", "text/csv", &csv);
    view! {
        <section class="card account-slips" aria-labelledby="slips-title">
            <h2 id="slips-title">{format!("新账号 {} 个", slips.len())}</h2>
            <p class="alert alert-warning" role="status">"临时密码只显示这一次，离开本页后无法再查看。请打印或保存后分发给本人；首次登录须修改密码。忘记的可在账号管理中重置。"</p>
            <div class="button-row no-print">
                <button type="button" on:click=save>"保存为 CSV"</button>
                <button type="button" on:click=|_| print()>"打印"</button>
            </div>
            <table class="handbook-table">
                <thead><tr><th scope="col">"姓名"</th><th scope="col">"用户名"</th><th scope="col">"所在单位"</th><th scope="col">"临时密码"</th></tr></thead>
                <tbody>
                    {slips.into_iter().map(|s| view! {
                        <tr data-username=s.username.clone()><td>{s.display_name}</td><td>{s.username.clone()}</td><td>{s.unit}</td><td class="password">{s.temporary_password}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

fn print() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}
