//! 岗位自查: the self-check editor that works offline. The server renders only a fixed skeleton
//! (the same for every user, so a service worker can keep it and open it with no network); the
//! browser then fills it from local storage and syncs in the background.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CheckPage() -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    view! {
        <Title text="岗位自查"/>
        <Show
            when=move || mounted.get()
            fallback=|| view! {
                <main id="main" class="page narrow">
                    <h1>"岗位自查"</h1>
                    <p class="loading" role="status">"正在下载离线填报程序…"</p>
                    <progress class="download" aria-label="正在下载离线填报程序"></progress>
                    <p class="fine-print">"首次打开需要下载一次，信号弱时可能要半分钟以上，请不要关闭本页。下载完成后，没有网络也能打开本页。"</p>
                </main>
            }
        >
            {client::view()}
        </Show>
    }
}

#[cfg(not(feature = "hydrate"))]
mod client {
    /// Never shown on the server: the page's content exists only in the browser.
    pub fn view() {}
}

#[cfg(feature = "hydrate")]
mod client;
