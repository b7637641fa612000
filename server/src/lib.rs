//! The Lianfang server: configuration, the SQLite store, accounts and the HTTP router. `main.rs`
//! only parses the command line and calls [`cli::run`].
#![recursion_limit = "256"]

pub mod audit;
pub mod auth;
pub mod backend;
pub mod cli;
pub mod commitments;
pub mod config;
pub mod db;
pub mod exchange;
pub mod http;
pub mod seed;
pub mod sync;
