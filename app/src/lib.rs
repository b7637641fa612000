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
mod routes;
pub mod write;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

use routes::*;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_request_nonce();
    #[cfg(feature = "ssr")]
    let path = use_context::<http::request::Parts>()
        .map(|parts| parts.uri.path().to_owned())
        .unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let path = String::new();
    // Records anyone may read come complete from the server: no wasm, a few lines for printing.
    let without_wasm = reads_without_wasm(&path);
    view! {
        <!DOCTYPE html>
        <html lang="zh-CN">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Installable: phones offer 添加到主屏幕, which opens the self-check.
                <link rel="manifest" href="/manifest.webmanifest"/>
                <meta name="theme-color" content="#b3261e"/>
                <link rel="apple-touch-icon" href="/icon-192.png"/>
                {(!without_wasm).then(|| view! { <HydrationScripts options/> })}
                {without_wasm.then(|| view! { <script src="/print.js" defer=true></script> })}
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
            <Routes fallback=|| view! { <pages::NotFound/><routes::Hydrated/> }>
                <Route path=path!("/") view={Lazy::<HomeRoute>::new()}/>
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()}/>
                // A page for one record renders whole before answering, so that a missing record
                // answers 404 (the status is sent with the first byte).
                <Route path=path!("/posts/:id") view={Lazy::<SheetRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/check") view={Lazy::<CheckRoute>::new()}/>
                <Route path=path!("/units/:id/meeting") view={Lazy::<MeetingRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/units/:id/import") view={Lazy::<ImportRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/units/:id/commitments") view={Lazy::<RollupRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/units/:id/posts") view={Lazy::<HoldersRoute>::new()}/>
                <Route path=path!("/commitments/:id") view={Lazy::<CommitmentRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/commitment-template") view={Lazy::<TemplateRoute>::new()}/>
                <Route path=path!("/admin/audit") view={Lazy::<AuditRoute>::new()}/>
                <Route path=path!("/account") view={Lazy::<AccountRoute>::new()}/>
                <Route path=path!("/admin/accounts") view={Lazy::<AccountsRoute>::new()}/>
                <Route path=path!("/admin/org") view={Lazy::<OrgRoute>::new()}/>
                <Route path=path!("/admin/org/import") view={Lazy::<RosterImportRoute>::new()}/>
                <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()}/>
                <Route path=path!("/rounds") view={Lazy::<RoundsRoute>::new()}/>
                <Route path=path!("/rounds/:id") view={Lazy::<RoundRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/warnings") view={Lazy::<WarningsRoute>::new()}/>
                <Route path=path!("/measures") view={Lazy::<MeasuresRoute>::new()}/>
                <Route path=path!("/warnings/:id") view={Lazy::<WarningRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/notifications") view={Lazy::<NotificationsRoute>::new()}/>
                <Route path=path!("/education") view={Lazy::<EducationRoute>::new()}/>
                <Route path=path!("/catalogue") view={Lazy::<CatalogueRoute>::new()}/>
                <Route path=path!("/people/:username") view={Lazy::<PersonRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/verify/:token") view={Lazy::<VerifyRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/transparency") view={Lazy::<TransparencyRoute>::new()} ssr=SsrMode::Async/>
                // These render completely before the first byte: readable without wasm, and ready
                // for print.
                <Route path=path!("/units/:id/handbook") view={Lazy::<HandbookRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/public") view={Lazy::<PublicIndexRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/public/units/:id") view={Lazy::<PublicUnitRoute>::new()} ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// Whether a page is a record anyone may read and print (the public notice, a unit's handbook, a
/// commitment's verification page), which the server sends without the app's wasm when it is
/// opened directly: it is complete HTML, and a phone on a weak signal shows it at once.
pub fn reads_without_wasm(path: &str) -> bool {
    path == "/public"
        || path.starts_with("/public/")
        || path.starts_with("/verify/")
        || path == "/transparency"
        || (path.starts_with("/units/") && path.ends_with("/handbook"))
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
        || path == "/warnings"
        || path.starts_with("/warnings/")
        || path == "/notifications"
        || path == "/measures"
        || path == "/education"
        || path == "/catalogue"
        || path.starts_with("/people/")
}
