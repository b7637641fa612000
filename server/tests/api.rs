//! Server tests through the real router, on a random port, with a fresh SQLite file per test.

mod api {
    pub mod helpers;
    mod auth;
    mod access;
    mod pages;
    mod seed;
}
