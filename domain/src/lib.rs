//! Pure rules and types of Lianfang (廉防), shared by the browser and the server.
//!
//! Nothing here does I/O or knows about leptos, sqlx or axum: the same code decides in the browser
//! (to show what a user may do) and on the server (to decide). Values are parsed once at the edge
//! into types that are valid by construction; errors carry a stable code and a Chinese message.

pub mod access;
pub mod account;
pub mod audit;
pub mod catalogue;
pub mod chain;
pub mod commitment;
pub mod dashboard;
pub mod education;
pub mod error;
pub mod ids;
pub mod limits;
pub mod merkle;
pub mod nav;
pub mod org;
pub mod post;
pub mod risk;
pub mod round;
pub mod settings;
pub mod stage;
pub mod sync;
pub mod text;
pub mod time;
pub mod warning;
pub mod webhook;

pub use error::FieldError;
