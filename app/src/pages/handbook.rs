//! 工作手册: a unit's posts, risk points and measures as one printable document (A4: a title page,
//! one section per post, page numbers), with exports to Excel and CSV.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    transparency::PrintedHeadBlock,
    widgets::{level_class, use_id_param, ErrorBox},
};
use crate::api::{load_handbook, HandbookView, SheetView};

#[component]
pub fn HandbookPage() -> impl IntoView {
    let unit_id = use_id_param();
    let book = Resource::new(unit_id, |id| load_handbook(id.unwrap_or_default()));
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
            {move || Suspend::new(async move {
                match book.await {
                    Ok(book) => view! { <Handbook book/> }.into_any(),
                    Err(error) => view! { <main id="main" class="page"><ErrorBox error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Handbook(book: HandbookView) -> impl IntoView {
    let title = format!("{}岗位廉政风险防控工作手册", book.unit);
    let edition = if book.approved {
        "审定稿"
    } else {
        "征求意见稿"
    };
    let unit_id = book.unit_id;
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <Title text=title.clone()/>
        <div class="no-print handbook-tools">
            <a href="/">"返回首页"</a>
            <button type="button" data-print="" on:click=print>"打印 / 另存为 PDF"</button>
            <a class="button" href=format!("/api/units/{unit_id}/export.xlsx") download>"导出 Excel"</a>
            <a class="button" href=format!("/api/units/{unit_id}/export.csv") download>"导出 CSV"</a>
        </div>
        <main id="main" class="handbook">
            <section class="handbook-cover">
                <h1>{title}</h1>
                <p class="handbook-edition">{format!("（{edition}）")}</p>
                <p>{book.round.clone()}</p>
                <p>{format!("生成日期：{}", book.generated_on)}</p>
                <h2>"目录"</h2>
                <ol class="handbook-toc">
                    {book.posts.iter().map(|p| view! {
                        <li>{format!("{}（{}，风险点 {} 个）", p.post_title, p.post_level.label(), p.risk_points.len())}</li>
                    }).collect_view()}
                </ol>
            </section>
            {book.posts.into_iter().map(|p| view! { <PostSection sheet=p/> }).collect_view()}
            <PrintedHeadBlock head=book.head/>
        </main>
    }
}

#[component]
fn PostSection(sheet: SheetView) -> impl IntoView {
    view! {
        <section class="handbook-post">
            <h2>{sheet.post_title}</h2>
            <p class="sheet-meta">
                {format!("{} · {} · 审核状态：{}", sheet.unit, sheet.post_level.label(), sheet.stage.label())}
                {sheet.key_post.then_some(" · 重点岗位")}
                {sheet.supervision_grade.map(|g| format!(" · {}监督", g.label()))}
            </p>
            {(!sheet.duties.is_empty()).then(|| view! {
                <h3>"岗位职责"</h3>
                <ul>{sheet.duties.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
            })}
            <table class="handbook-table">
                <thead>
                    <tr><th scope="col">"序号"</th><th scope="col">"风险点"</th><th scope="col">"类别"</th>
                    <th scope="col">"等级"</th><th scope="col">"防控措施"</th></tr>
                </thead>
                <tbody>
                    {sheet.risk_points.into_iter().enumerate().map(|(i, p)| view! {
                        <tr>
                            <td>{i + 1}</td>
                            <td>{p.description}</td>
                            <td>{format!("{} / {}", p.category.label(), p.power_type)}</td>
                            <td><span class=level_class(p.level)>{p.level.label()}</span></td>
                            <td>
                                <ul class="measures">
                                    {p.measures.into_iter().map(|m| view! {
                                        <li>{format!("{}：{}", m.kind.label(), m.text)}</li>
                                    }).collect_view()}
                                </ul>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
