//! The page for an address that leads nowhere.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="页面不存在"/>
        <main id="main" class="page narrow">
            <h1>"页面不存在"</h1>
            <p>"您访问的地址不存在，可能已被移动或输入有误。"</p>
            <p><a href="/">"返回首页"</a></p>
        </main>
    }
}
