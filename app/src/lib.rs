//! Lianfang's user interface: Leptos components and routes, rendered on the server and hydrated in
//! the browser by the `frontend` crate. Chinese first.

#![recursion_limit = "256"]

pub mod api;
pub mod client;
pub mod error;
#[cfg(feature = "hydrate")]
mod fetch;
#[cfg(feature = "hydrate")]
pub mod offline;
mod pages;
pub mod write;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="zh-CN">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Hands the nonce the server put in the request (and in the CSP header) to the hydration
/// scripts, so that they run under a CSP that forbids other inline scripts.
#[cfg(feature = "ssr")]
fn provide_request_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<api::backend::CspNonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

/// The application's routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/lianfang.css"/>
        <Title formatter=|text: String| if text.is_empty() { "廉防 · 岗位廉政风险排查防范".to_owned() } else { format!("{text} · 廉防") }/>
        <Router>
            <a class="skip-link" href="#main">"跳到主要内容"</a>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::HomePage/>
                <Route path=path!("/login") view=pages::LoginPage/>
                // A page for one record renders whole before answering, so that a missing record
                // answers 404 (the status is sent with the first byte).
                <Route path=path!("/posts/:id") view=pages::SheetPage ssr=SsrMode::Async/>
                <Route path=path!("/check") view=pages::CheckPage/>
                <Route path=path!("/units/:id/meeting") view=pages::MeetingPage ssr=SsrMode::Async/>
                <Route path=path!("/units/:id/import") view=pages::ImportPage ssr=SsrMode::Async/>
                <Route path=path!("/units/:id/commitments") view=pages::RollupPage ssr=SsrMode::Async/>
                <Route path=path!("/units/:id/posts") view=pages::HoldersPage/>
                <Route path=path!("/commitments/:id") view=pages::CommitmentPage ssr=SsrMode::Async/>
                <Route path=path!("/commitment-template") view=pages::TemplatePage/>
                <Route path=path!("/admin/audit") view=pages::AuditPage/>
                <Route path=path!("/account") view=pages::AccountPage/>
                <Route path=path!("/admin/accounts") view=pages::AccountsPage/>
                <Route path=path!("/admin/org") view=pages::OrgPage/>
                <Route path=path!("/admin/org/import") view=pages::RosterImportPage/>
                <Route path=path!("/settings") view=pages::SettingsPage/>
                <Route path=path!("/rounds") view=pages::RoundsPage/>
                <Route path=path!("/rounds/:id") view=pages::RoundPage ssr=SsrMode::Async/>
                <Route path=path!("/verify/:token") view=pages::VerifyPage ssr=SsrMode::Async/>
                // These render completely before the first byte: readable without wasm, and ready
                // for print.
                <Route path=path!("/units/:id/handbook") view=pages::HandbookPage ssr=SsrMode::Async/>
                <Route path=path!("/public") view=pages::PublicIndexPage ssr=SsrMode::Async/>
                <Route path=path!("/public/units/:id") view=pages::PublicUnitPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// Sets `data-hydrated` on `<body>`; called by the wasm entry point once hydration is done.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// Whether a page needs a signed-in user; the server redirects to the login page otherwise.
pub fn requires_login(path: &str) -> bool {
    path == "/"
        || ["/posts/", "/units/", "/commitments/", "/admin/"]
            .iter()
            .any(|p| path.starts_with(p))
        || path == "/commitment-template"
        || path == "/account"
        || path == "/rounds"
        || path == "/settings"
        || path.starts_with("/rounds/")
}
