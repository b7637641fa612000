//! Configuration from flags and `LIANFANG_*` environment variables.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

/// 廉防 Lianfang — post integrity-risk identification and prevention.
#[derive(Debug, Parser)]
#[command(name = "lianfang", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application (the default).
    Serve(ServeArgs),
    /// Create the database file if needed and apply pending migrations.
    Migrate,
    /// Load the demo district (units, posts, risk points, users for every role). Safe to repeat.
    SeedDemo(SeedArgs),
    /// Create a user account; the password is read from LIANFANG_NEW_PASSWORD or standard input.
    CreateUser(CreateUserArgs),
    /// Re-compute the audit log's hash chain; exits 1 naming the first entry that does not match.
    Verify,
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Path of the SQLite database file.
    #[arg(
        long,
        env = "LIANFANG_DATABASE",
        default_value = "data/lianfang.db",
        global = true
    )]
    pub database: PathBuf,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on; overrides LEPTOS_SITE_ADDR.
    #[arg(long, env = "LIANFANG_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a TLS proxy).
    #[arg(long, env = "LIANFANG_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Session lifetime in hours.
    #[arg(long, env = "LIANFANG_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,
    /// Trust the first address of `X-Forwarded-For` as the client's (only behind a proxy you run).
    #[arg(long, env = "LIANFANG_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,
    /// Seed the demo district before serving (idempotent).
    #[arg(long, env = "LIANFANG_SEED_DEMO", default_value_t = false)]
    pub seed_demo: bool,
    /// The demo data file used by --seed-demo.
    #[arg(long, env = "LIANFANG_DEMO_DATA", default_value = crate::seed::DEFAULT_DEMO_DATA)]
    pub demo_data: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// The demo risk table (tab-separated, with the columns of risk-points-demo.tsv).
    #[arg(long, env = "LIANFANG_DEMO_DATA", default_value = crate::seed::DEFAULT_DEMO_DATA)]
    pub demo_data: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct CreateUserArgs {
    /// Login name: 3–32 lower-case letters, digits, `.`, `_`, `-`.
    #[arg(long)]
    pub username: String,
    /// Name shown in the UI, e.g. 张三.
    #[arg(long)]
    pub display_name: String,
    /// The unit the user belongs to, by name (e.g. 区交通局).
    #[arg(long)]
    pub unit: String,
    /// Roles as ROLE or ROLE@UNIT (e.g. section_head@区交通局); the scope defaults to --unit.
    #[arg(long = "role")]
    pub roles: Vec<String>,
}
