//! Accounts: argon2id password hashes, cookie sessions that expire, rate-limited logins.

pub mod password;
pub mod ratelimit;
pub mod session;
