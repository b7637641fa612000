//! Server tests through the real router, on a random port, with a fresh SQLite file per test.

mod api {
    mod access;
    mod accounts;
    mod auth;
    mod authz;
    mod backup;
    mod catalogue;
    mod chain;
    mod commitments;
    mod district;
    mod education;
    mod exchange;
    mod hardening;
    pub mod helpers;
    mod holders;
    mod measures;
    mod offline_signing;
    mod pages;
    mod replica_scale;
    mod robots;
    mod rounds;
    mod seed;
    mod sync;
    mod transparency;
    mod warning_rules;
    mod warnings;
}
