//! The home page: the signed-in user's posts with their risk points, and the sheets their roles
//! let them read.

use leptos::prelude::*;
use leptos_meta::Title;

use super::widgets::{ErrorBox, SheetCard, TopBar};
use crate::api::{load_home, HomeView};

#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| load_home());
    view! {
        <Title text="我的岗位"/>
        <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(view) => view! { <Home view/> }.into_any(),
                    Err(error) => view! { <main id="main" class="page"><ErrorBox error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Home(view: HomeView) -> impl IntoView {
    let HomeView {
        user,
        my_sheets,
        in_scope,
    } = view;
    let roles = user.roles.join("、");
    let no_posts = my_sheets.is_empty();
    view! {
        <TopBar user=user.clone()/>
        <main id="main" class="page">
            <section class="welcome">
                <h1>{format!("您好，{}", user.display_name)}</h1>
                <p class="muted">{if roles.is_empty() { "暂无角色".to_owned() } else { roles }}</p>
            </section>
            {no_posts.then(|| view! { <p class="empty">"您目前没有承担岗位的排查表。"</p> })}
            {(!no_posts).then(|| view! {
                <p><a class="button primary-link" href="/check">"填报岗位自查（可离线使用）"</a></p>
            })}
            {my_sheets.into_iter().map(|sheet| view! { <SheetCard sheet/> }).collect_view()}
            {(!in_scope.is_empty()).then(|| view! {
                <section class="card">
                    <h2>"职责范围内的排查表"</h2>
                    <ul class="sheet-list">
                        {in_scope.into_iter().map(|s| view! {
                            <li>
                                <a href=format!("/posts/{}", s.post_id)>{format!("{} · {}", s.unit, s.post_title)}</a>
                                <span class="muted">{format!(
                                    "{} · {} · 风险点 {} 个（一级 {} 个）",
                                    s.post_level.label(), s.stage.label(), s.risk_count, s.high_count
                                )}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </main>
    }
}
