//! The routes' pages, loaded when first shown. The pages are grouped by who opens them together,
//! and each group is a chunk of the wasm of its own (`cargo leptos build --split` splits at each
//! `#[lazy]` function): a browser downloads the app's core and the group of the page it opens,
//! never every page there is. Code that groups share is split into chunks of its own. A village
//! cadre's phone, which only ever signs in and fills in the self-check, never downloads the
//! administration pages.
//!
//! Each page ends with [`Hydrated`], which marks `<body>` once the page itself (not just the
//! shell) is interactive.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::pages;

/// Every page of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    Login,
    Check,
    Home,
    Sheet,
    Meeting,
    Import,
    Rollup,
    Holders,
    Commitment,
    Account,
    Accounts,
    Org,
    RosterImport,
    Settings,
    Audit,
    Template,
    Rounds,
    Round,
    Verify,
    Transparency,
    Handbook,
    PublicIndex,
    PublicUnit,
    Warnings,
    Warning,
    Measures,
    Notifications,
    Education,
    Catalogue,
    Person,
}

/// A page's view, marked [`Hydrated`] at its end.
fn with_mark(page: impl IntoView + 'static) -> AnyView {
    view! { {page}<Hydrated/> }.into_any()
}

/// 登录: the first page anyone sees, kept for offline sign-in.
#[leptos::lazy]
fn sign_in(_page: Page) -> AnyView {
    with_mark(view! { <pages::LoginPage/> })
}

/// 岗位自查: the offline self-check, with its local store and sync engine.
#[leptos::lazy]
fn self_check(_page: Page) -> AnyView {
    with_mark(view! { <pages::CheckPage/> })
}

/// Everyday work: the home page and inbox, a sheet with its review, meetings, the commitment
/// roll-up, posts and holders, a commitment to sign, one's own account.
#[leptos::lazy]
fn work(page: Page) -> AnyView {
    match page {
        Page::Sheet => with_mark(view! { <pages::SheetPage/> }),
        Page::Meeting => with_mark(view! { <pages::MeetingPage/> }),
        Page::Rollup => with_mark(view! { <pages::RollupPage/> }),
        Page::Holders => with_mark(view! { <pages::HoldersPage/> }),
        Page::Commitment => with_mark(view! { <pages::CommitmentPage/> }),
        Page::Account => with_mark(view! { <pages::AccountPage/> }),
        _ => with_mark(view! { <pages::HomePage/> }),
    }
}

/// The commission's and the administrator's desk: accounts, the organisation and its roster,
/// settings, the audit log, the commitment templates, rounds; and a unit's risk-table import,
/// which the liaison does once a round (it left the everyday pages' chunk, which every holder
/// downloads, when that chunk reached its budget).
#[leptos::lazy]
fn administration(page: Page) -> AnyView {
    match page {
        Page::Org => with_mark(view! { <pages::OrgPage/> }),
        Page::Import => with_mark(view! { <pages::ImportPage/> }),
        Page::RosterImport => with_mark(view! { <pages::RosterImportPage/> }),
        Page::Settings => with_mark(view! { <pages::SettingsPage/> }),
        Page::Audit => with_mark(view! { <pages::AuditPage/> }),
        Page::Template => with_mark(view! { <pages::TemplatePage/> }),
        Page::Rounds => with_mark(view! { <pages::RoundsPage/> }),
        Page::Round => with_mark(view! { <pages::RoundPage/> }),
        _ => with_mark(view! { <pages::AccountsPage/> }),
    }
}

/// Records anyone may read and print: the public notice, a unit's handbook, a commitment's
/// verification page. Opened directly they need no wasm at all (the server sends them without
/// it); this chunk serves them when reached from another page of the app. The early warnings
/// with their printed notices, the notifications and the education records ride here too: a sixth group of their own split the code the
/// groups share into more chunks and cost every everyday page 14 KB (docs/benchmarks.md).
#[leptos::lazy]
fn records(page: Page) -> AnyView {
    match page {
        Page::Handbook => with_mark(view! { <pages::HandbookPage/> }),
        Page::PublicIndex => with_mark(view! { <pages::PublicIndexPage/> }),
        Page::PublicUnit => with_mark(view! { <pages::PublicUnitPage/> }),
        Page::Warnings => with_mark(view! { <pages::WarningsPage/> }),
        Page::Measures => with_mark(view! { <pages::MeasuresPage/> }),
        Page::Warning => with_mark(view! { <pages::WarningPage/> }),
        Page::Notifications => with_mark(view! { <pages::NotificationsPage/> }),
        Page::Education => with_mark(view! { <pages::EducationPage/> }),
        Page::Catalogue => with_mark(view! { <pages::CataloguePage/> }),
        Page::Person => with_mark(view! { <pages::PersonPage/> }),
        Page::Transparency => with_mark(view! { <pages::TransparencyPage/> }),
        _ => with_mark(view! { <pages::VerifyPage/> }),
    }
}

/// The route of each page: which group it is loaded with. The router preloads the group's chunk
/// before it hydrates or shows the page (`__preload_…` is what `#[lazy]` generates for the
/// browser; the server has every page at hand).
macro_rules! routes {
    ($($route:ident => $group:ident($page:ident)),* $(,)?) => {
        $(
            #[doc = concat!("The route of `Page::", stringify!($page), "`, loaded with `", stringify!($group), "`.")]
            pub(crate) struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                fn view(_this: Self) -> impl Future<Output = AnyView> {
                    $group(Page::$page)
                }

                #[allow(clippy::manual_async_fn)]
                fn preload() -> impl Future<Output = ()> {
                    async {
                        #[cfg(feature = "hydrate")]
                        paste_preload!($group).await;
                    }
                }
            }
        )*
    };
}

/// The chunk loader `#[lazy]` generates for a group, in the browser.
#[cfg(feature = "hydrate")]
macro_rules! paste_preload {
    (sign_in) => {
        __preload_sign_in()
    };
    (self_check) => {
        __preload_self_check()
    };
    (work) => {
        __preload_work()
    };
    (administration) => {
        __preload_administration()
    };
    (records) => {
        __preload_records()
    };
}

routes! {
    LoginRoute => sign_in(Login),
    CheckRoute => self_check(Check),
    HomeRoute => work(Home),
    SheetRoute => work(Sheet),
    MeetingRoute => work(Meeting),
    ImportRoute => administration(Import),
    RollupRoute => work(Rollup),
    HoldersRoute => work(Holders),
    CommitmentRoute => work(Commitment),
    AccountRoute => work(Account),
    AccountsRoute => administration(Accounts),
    OrgRoute => administration(Org),
    RosterImportRoute => administration(RosterImport),
    SettingsRoute => administration(Settings),
    AuditRoute => administration(Audit),
    TemplateRoute => administration(Template),
    RoundsRoute => administration(Rounds),
    RoundRoute => administration(Round),
    VerifyRoute => records(Verify),
    TransparencyRoute => records(Transparency),
    HandbookRoute => records(Handbook),
    PublicIndexRoute => records(PublicIndex),
    PublicUnitRoute => records(PublicUnit),
    WarningsRoute => records(Warnings),
    MeasuresRoute => records(Measures),
    WarningRoute => records(Warning),
    NotificationsRoute => records(Notifications),
    EducationRoute => records(Education),
    CatalogueRoute => records(Catalogue),
    PersonRoute => records(Person),
}

/// Marks `<body data-hydrated>` once the page it ends is interactive: its effect runs after the
/// page has hydrated (for a page in a chunk, after the chunk has arrived). It also tells the
/// person when a new version has been deployed and offers to reload into it.
#[component]
pub(crate) fn Hydrated() -> impl IntoView {
    let update = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        mark_hydrated();
        update::watch(update);
    });
    move || {
        update.get().then(|| {
            view! {
                <div class="update-banner" role="status" data-testid="update-ready">
                    <p>"廉防已发布新版本。保存好正在填写的内容后，点击“立即更新”即可使用新版本。"</p>
                    <button type="button" on:click=move |_| {
                        #[cfg(feature = "hydrate")]
                        update::apply();
                    }>"立即更新"</button>
                </div>
            }
        })
    }
}

/// Sets `data-hydrated` on `<body>`; [`Hydrated`] calls it once the page is interactive.
#[cfg(feature = "hydrate")]
fn mark_hydrated() {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// This browser's service workers, where it keeps them (not in an old browser, nor on a site
/// that is not served over HTTPS or from this machine).
#[cfg(feature = "hydrate")]
pub(crate) fn service_worker() -> Option<web_sys::ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::has(&navigator, &"serviceWorker".into())
        .unwrap_or(false)
        .then(|| navigator.service_worker())
}

/// A new version of the app: the service worker of a new deploy installs beside the old one and
/// waits (see `sw.js`); the page shows it and, when the person asks, lets it take over and
/// reloads. A page never runs with files of two versions.
#[cfg(feature = "hydrate")]
mod update {
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast as _};
    use web_sys::{ServiceWorkerRegistration, ServiceWorkerState};

    use super::service_worker as container;

    thread_local! {
        /// This page asked for the new version: reload once it has taken over.
        static REQUESTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Shows the notice when a new worker is waiting, now or later while the page is open.
    pub(super) fn watch(update: RwSignal<bool>) {
        let Some(container) = container() else {
            return;
        };
        // The first version on a device has nothing to replace.
        if container.controller().is_none() {
            return;
        }
        let changed = Closure::<dyn FnMut()>::new(move || {
            if REQUESTED.with(|r| r.get()) {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            } else {
                // Another page took the new version: this one now runs beside it.
                update.set(true);
            }
        });
        // A listener beside others: the self-check's offline mark listens for the same event.
        let _ = container
            .add_event_listener_with_callback("controllerchange", changed.as_ref().unchecked_ref());
        changed.forget();
        let registration = container.get_registration();
        leptos::task::spawn_local(async move {
            let Ok(found) = wasm_bindgen_futures::JsFuture::from(registration).await else {
                return;
            };
            let Ok(registration) = found.dyn_into::<ServiceWorkerRegistration>() else {
                return;
            };
            if registration.waiting().is_some() {
                update.set(true);
            }
            let watched = registration.clone();
            let found = Closure::<dyn FnMut()>::new(move || {
                let Some(installing) = watched.installing() else {
                    return;
                };
                let seen = installing.clone();
                let state = Closure::<dyn FnMut()>::new(move || {
                    if seen.state() == ServiceWorkerState::Installed {
                        update.set(true);
                    }
                });
                installing.set_onstatechange(Some(state.as_ref().unchecked_ref()));
                state.forget();
            });
            registration.set_onupdatefound(Some(found.as_ref().unchecked_ref()));
            found.forget();
            // A page left open for days: ask for a newer worker now.
            let _ = registration.update();
        });
    }

    /// Lets the waiting worker take over; the page reloads when it has.
    pub(super) fn apply() {
        let Some(container) = container() else {
            return;
        };
        REQUESTED.with(|r| r.set(true));
        let registration = container.get_registration();
        leptos::task::spawn_local(async move {
            let waiting = wasm_bindgen_futures::JsFuture::from(registration)
                .await
                .ok()
                .and_then(|r| r.dyn_into::<ServiceWorkerRegistration>().ok())
                .and_then(|r| r.waiting());
            match waiting {
                Some(worker) => {
                    let message = js_sys::Object::new();
                    let _ =
                        js_sys::Reflect::set(&message, &"type".into(), &"lianfang-update".into());
                    let _ = worker.post_message(&message);
                }
                // Already taken over (by another page): a reload is all that is left.
                None => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().reload();
                    }
                }
            }
        });
    }
}
