//! The wasm entry point: hydrates the server-rendered page. The page marks
//! `<body data-hydrated>` itself once it is interactive (its code may arrive later, in a chunk of
//! its own), so that tests and scripts know when it is.
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
