//! One post's risk sheet, for those who may read it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::widgets::{ErrorBox, SheetCard};
use crate::{api::load_sheet, error::ApiError};

#[component]
pub fn SheetPage() -> impl IntoView {
    let params = use_params_map();
    let post_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let sheet = Resource::new(post_id, |id| async move {
        match id {
            Some(id) => load_sheet(id).await,
            None => Err(ApiError::not_found("该岗位")),
        }
    });
    view! {
        <Title text="岗位排查表"/>
        <header class="topbar">
            <a class="topbar-brand" href="/">"廉防"</a>
            <a href="/">"返回首页"</a>
        </header>
        <main id="main" class="page">
            <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match sheet.await {
                        Ok(sheet) => view! { <SheetCard sheet/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
