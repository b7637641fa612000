//! 审计记录校验: the audit log re-computed now, for the commission and administrators: the same
//! check as `lianfang verify`, and the latest entries.

use leptos::prelude::*;
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox};
use crate::api::{load_audit, AuditStatus};

#[component]
pub fn AuditPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_audit());
    view! {
        <Title text="审计记录校验"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"审计记录校验"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"正在逐条校验…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(a) => view! { <Audit a/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Audit(a: AuditStatus) -> impl IntoView {
    let status = if a.ok {
        (
            "alert alert-ok",
            format!(
                "记录链完整：共 {} 条记录，末条哈希 {}",
                a.entries,
                a.head.clone().unwrap_or_default()
            ),
        )
    } else {
        (
            "alert alert-error",
            format!("记录链被破坏：{}", a.broken.clone().unwrap_or_default()),
        )
    };
    view! {
        <p class=status.0 role="status" data-testid="audit-status">{status.1}</p>
        <table class="handbook-table">
            <caption>"最近的记录"</caption>
            <thead><tr><th scope="col">"序号"</th><th scope="col">"时间"</th><th scope="col">"事项"</th><th scope="col">"操作人"</th><th scope="col">"对象"</th><th scope="col">"哈希"</th></tr></thead>
            <tbody>
                {a.recent.into_iter().map(|e| view! {
                    <tr class=(a.broken_seq == Some(e.seq)).then_some("broken")>
                        <td>{e.seq}</td><td>{e.at}</td><td>{e.kind}</td>
                        <td>{e.actor.unwrap_or_else(|| "公众".to_owned())}</td><td>{e.subject}</td>
                        <td><code>{e.hash.chars().take(16).collect::<String>()}</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
