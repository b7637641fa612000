//! What the import pages share: reading the chosen file, applying an import in slices with
//! progress, and the table of refused rows.

use leptos::{prelude::*, task::spawn_local};
use serde::de::DeserializeOwned;

use crate::{
    api::{OmittedRefusalsView, RejectedRowView},
    client,
};

/// A chosen file: its name and bytes.
pub type Chosen = RwSignal<Option<(String, Vec<u8>)>>;

/// The file input's handler: reads the chosen file into `file` (after `before`, which clears
/// what the last file reported), with `busy` set meanwhile and a reading failure in `error`.
pub fn on_choose(
    file: Chosen,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    before: impl Fn() + 'static,
) -> impl Fn(leptos::ev::Event) + 'static {
    move |ev| {
        before();
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match client::chosen_file(&ev).await {
                Ok(chosen) => file.set(chosen),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    }
}

/// Where a slice's answer says the import stands: (rows covered so far, accepted rows in all,
/// where the next slice starts).
pub trait SliceAnswer: DeserializeOwned {
    fn position(&self) -> (usize, usize, Option<usize>);
}

impl SliceAnswer for crate::api::ImportReportView {
    fn position(&self) -> (usize, usize, Option<usize>) {
        (
            self.offset + self.applied_rows,
            self.accepted_rows,
            self.next_offset,
        )
    }
}

impl SliceAnswer for crate::api::district::RosterReportView {
    fn position(&self) -> (usize, usize, Option<usize>) {
        (
            self.offset + self.applied_rows,
            self.accepted_rows,
            self.next_offset,
        )
    }
}

/// Uploads `bytes` slice after slice (`path(offset)` is a slice's address) until the server says
/// the last accepted row is covered, handing each answer to `each` and keeping `progress`. A
/// failure stops it with a message saying that what was written stays: importing the same file
/// again skips it.
pub async fn apply_in_slices<R: SliceAnswer>(
    bytes: &[u8],
    accepted: usize,
    path: impl Fn(usize) -> String,
    progress: RwSignal<Option<(usize, usize)>>,
    mut each: impl FnMut(R),
) -> Result<(), String> {
    let mut offset = Some(0);
    progress.set(Some((0, accepted)));
    while let Some(at) = offset {
        let answer = client::upload::<R>(&path(at), bytes).await.map_err(|e| {
            format!(
                "导入中断：{}。已导入的行会保留，重新导入同一文件不会重复。",
                e.message
            )
        })?;
        let (done, of, next) = answer.position();
        progress.set(Some((done, of)));
        offset = next;
        each(answer);
    }
    Ok(())
}

/// The progress bar of an import being applied.
#[component]
pub fn ImportProgress(progress: RwSignal<Option<(usize, usize)>>) -> impl IntoView {
    move || {
        progress.get().map(|(at, of)| {
            view! {
                <label for="import-progress">{format!("导入进度：{at} / {of} 行")}</label>
                <progress id="import-progress" max=of.to_string() value=at.to_string()></progress>
            }
        })
    }
}

/// The refused rows of a report: row, column, rule and why; and per rule, how many more were
/// counted without being listed.
#[component]
pub fn RefusedRows(
    rejected: Vec<RejectedRowView>,
    omitted: Vec<OmittedRefusalsView>,
) -> impl IntoView {
    view! {
        {(!rejected.is_empty()).then(|| view! {
            <table class="handbook-table">
                <caption>"被拒绝的行"</caption>
                <thead><tr><th scope="col">"行号"</th><th scope="col">"字段"</th><th scope="col">"规则"</th><th scope="col">"原因"</th></tr></thead>
                <tbody>
                    {rejected.into_iter().map(|r| view! {
                        <tr><td>{r.row}</td><td>{r.field}</td><td>{r.code}</td><td>{r.message}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
        {(!omitted.is_empty()).then(|| view! {
            <ul class="omitted-refusals">
                {omitted.into_iter().map(|o| view! {
                    <li>{format!("规则 {} 另有 {} 处问题未逐条列出（每条规则列出前 20 处），请按上表修改同类问题后重新试导入。", o.code, o.count)}</li>
                }).collect_view()}
            </ul>
        })}
    }
}
