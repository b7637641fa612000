//! The Lianfang server. Layers point one way: `http` (the router, handlers and middleware) calls
//! the engines (`sync`, `review`, `exchange`, `commitments`, `chain`, `audit`, `auth`) and the
//! read model (`backend`); they call the `store`, the one place SQL lives; all of them use the
//! pure rules of `domain`. `main.rs` only calls [`cli::run`].
#![recursion_limit = "256"]

pub mod accounts;
pub mod actor;
pub mod audit;
pub mod auth;
pub mod backend;
pub mod backup;
pub mod catalogue;
pub mod chain;
pub mod cli;
pub mod commitments;
pub mod config;
pub mod db;
pub mod directory;
pub mod education;
pub mod error;
pub mod exchange;
pub mod holders;
pub mod http;
pub mod measures;
pub mod net;
pub mod notifications;
pub mod org;
pub mod people;
pub mod review;
pub mod robots;
pub mod roster;
pub mod rounds;
pub mod secret;
pub mod seed;
pub mod settings;
pub mod store;
pub mod sync;
pub mod transparency;
pub mod warnings;
