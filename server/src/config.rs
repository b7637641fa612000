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
    /// Re-compute the audit log's hash chain and its Merkle tree head; exits 1 naming the first
    /// entry that does not match, or a saved tree head (--against) the log no longer extends.
    Verify(VerifyArgs),
    /// Write a consistent copy of the database to FILE while the server runs, and check it.
    Backup(BackupArgs),
    /// Replace the database with the backup FILE after checking it (its audit chain included).
    Restore(RestoreArgs),
    /// Set a temporary password (from LIANFANG_NEW_PASSWORD or standard input) that the user must
    /// change at the next sign-in; the account's sessions end. Audited.
    ResetPassword(UnlockArgs),
    /// Deactivate an account: its sessions end at once, its history stays. Audited.
    Deactivate(UnlockArgs),
    /// Reactivate a deactivated account. Audited.
    Reactivate(UnlockArgs),
    /// Lift the failed-password delays of an account (an administrator's unlock); recorded in
    /// the audit log.
    Unlock(UnlockArgs),
    /// Create a unit: the district itself (no --parent) on a new database, or a unit, section,
    /// village or community under --parent. Audited.
    AddUnit(AddUnitArgs),
    /// Create a post in a unit. Audited.
    AddPost(AddPostArgs),
    /// Import the organisation table (组织机构表) from XLSX/CSV: a dry run unless --apply.
    ImportOrg(ImportOrgArgs),
    /// Import the staff roster (人员花名册) from XLSX/CSV: a dry run unless --apply; prints the
    /// temporary passwords of new accounts.
    ImportRoster(ImportOrgArgs),
    /// Export the organisation table to FILE (.xlsx or .csv).
    ExportOrg(ExportOrgArgs),
    /// Export the staff roster to FILE (.xlsx or .csv).
    ExportRoster(ExportOrgArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AddUnitArgs {
    /// The unit's name, e.g. 区教育局.
    #[arg(long)]
    pub name: String,
    /// The unit above it, as a path from the district (区教育局/办公室); none for the district.
    #[arg(long)]
    pub parent: Option<String>,
    /// 单位, 科室, 街道, 村 or 社区 (guessed from the name when left out).
    #[arg(long)]
    pub kind: Option<String>,
    /// 分管区领导, e.g. "副区长 李明".
    #[arg(long, default_value = "")]
    pub leader: String,
}

#[derive(Debug, Clone, Args)]
pub struct AddPostArgs {
    /// The unit, as a path from the district (区教育局/办公室).
    #[arg(long)]
    pub unit: String,
    /// The post's title, e.g. 财务科科长.
    #[arg(long)]
    pub title: String,
    /// 领导岗位, 中层岗位 or 其它岗位.
    #[arg(long, default_value = "其它岗位")]
    pub level: String,
}

#[derive(Debug, Clone, Args)]
pub struct ImportOrgArgs {
    /// The file: XLSX, CSV or tab-separated text.
    pub file: PathBuf,
    /// Write the accepted rows (without it: report only).
    #[arg(long)]
    pub apply: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportOrgArgs {
    /// Where to write: its extension (.xlsx or .csv) gives the format.
    pub file: PathBuf,
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
    /// Minutes without use after which a session ends (the user signs in again; queued offline
    /// work stays on the device).
    #[arg(long, env = "LIANFANG_SESSION_IDLE_MINUTES", default_value_t = 120)]
    pub session_idle_minutes: u32,
    /// The proxies in front of this server: a hop count (`1` for one reverse proxy) or their
    /// addresses and networks (`10.0.0.0/8,192.168.1.1`). The client's address, which login and
    /// objection limits count, is read from the right of `X-Forwarded-For` past them. Unset: no
    /// proxy is trusted and the socket's peer is the client.
    #[arg(long, env = "LIANFANG_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<crate::net::TrustedProxies>,
    /// Same as `--trusted-proxies 1` (kept for existing deployments).
    #[arg(
        long,
        env = "LIANFANG_TRUST_PROXY",
        default_value_t = false,
        hide = true
    )]
    pub trust_proxy: bool,
    /// This site's address as users reach it (`https://lianfang.example`), for the links and QR
    /// codes printed on commitments. Set it in production; without it the request's `Host` is used.
    #[arg(long, env = "LIANFANG_PUBLIC_ORIGIN", value_parser = parse_origin)]
    pub public_origin: Option<String>,
    /// The server's key file (created on first start, owner-only). Keyed hashes in the audit log
    /// depend on it: back it up with the database. Default: `lianfang.key` beside the database.
    #[arg(long, env = "LIANFANG_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,
    /// The Ed25519 key that signs the audit log's tree heads (PKCS#8 PEM; created on first start,
    /// owner-only). Back it up with the database; its public key is printed on every printout.
    /// Default: `lianfang-head.pem` beside the database.
    #[arg(long, env = "LIANFANG_HEAD_KEY_FILE")]
    pub head_key_file: Option<PathBuf>,
    /// Minutes between scheduled tree heads (one is also issued after every signature).
    #[arg(long, env = "LIANFANG_HEAD_INTERVAL_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=10080))]
    pub head_interval_minutes: u32,
    /// A file (on another disk) to which every signed tree head is appended as one JSON line, for
    /// `lianfang verify --against` later.
    #[arg(long, env = "LIANFANG_HEAD_WITNESS_FILE")]
    pub head_witness_file: Option<PathBuf>,
    /// Post every tree head that covers new entries to the district root unit's group robot
    /// (the commission's 企业微信 / 钉钉 group), where it stays in the group's history.
    #[arg(long, env = "LIANFANG_HEADS_TO_ROBOT", default_value_t = false)]
    pub heads_to_robot: bool,
    /// The most risk points one sheet may hold.
    #[arg(
        long,
        env = "LIANFANG_MAX_RISK_POINTS_PER_SHEET",
        default_value_t = 200
    )]
    pub max_risk_points_per_sheet: usize,
    /// The most suggested risk points one sheet may receive in peer review.
    #[arg(
        long,
        env = "LIANFANG_MAX_SUGGESTIONS_PER_SHEET",
        default_value_t = 100
    )]
    pub max_suggestions_per_sheet: usize,
    /// The most objections one sheet may receive during its public notice.
    #[arg(long, env = "LIANFANG_MAX_OBJECTIONS_PER_SHEET", default_value_t = 200)]
    pub max_objections_per_sheet: usize,
    /// Sync requests one user may make per minute (0: no limit); over it, 429 with Retry-After.
    #[arg(long, env = "LIANFANG_SYNC_REQUESTS_PER_MINUTE", default_value_t = 120)]
    pub sync_requests_per_minute: u32,
    /// Operations one user may push per minute (0: no limit).
    #[arg(
        long,
        env = "LIANFANG_SYNC_OPERATIONS_PER_MINUTE",
        default_value_t = 6000
    )]
    pub sync_operations_per_minute: u32,
    /// Seed the demo district before serving (idempotent).
    #[arg(long, env = "LIANFANG_SEED_DEMO", default_value_t = false)]
    pub seed_demo: bool,
    /// The demo data file used by --seed-demo.
    #[arg(long, env = "LIANFANG_DEMO_DATA", default_value = crate::seed::DEFAULT_DEMO_DATA)]
    pub demo_data: PathBuf,
}

/// An origin: `http(s)://host[:port]`, nothing after it.
fn parse_origin(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let host = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("须以 https:// 或 http:// 开头")?;
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return Err("须为 协议://主机[:端口]，不含路径".to_owned());
    }
    Ok(s.to_owned())
}

impl ServeArgs {
    /// The sheet limits these settings ask for.
    pub fn limits(&self) -> domain::limits::Limits {
        domain::limits::Limits {
            risk_points_per_sheet: self.max_risk_points_per_sheet.max(1),
            suggestions_per_sheet: self.max_suggestions_per_sheet,
            objections_per_sheet: self.max_objections_per_sheet,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// The demo risk table (tab-separated, with the columns of risk-points-demo.tsv).
    #[arg(long, env = "LIANFANG_DEMO_DATA", default_value = crate::seed::DEFAULT_DEMO_DATA)]
    pub demo_data: PathBuf,
    /// Also add this many generated posts (about 7 risk points each, 3 measures per point) in
    /// generated bureaus, to try the system at a real district's scale (1226).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub generated_posts: u32,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Where to write the copy; an existing file is never overwritten.
    pub file: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup to restore.
    pub file: PathBuf,
    /// Replace an existing database (stop the server first).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// A file of tree heads saved earlier, one JSON object `{"size":…,"root":"…"}` per line (as
    /// `verify` prints them): the log must still extend every one, or it was cut short or
    /// rewritten since.
    #[arg(long, value_name = "HEAD_FILE")]
    pub against: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct UnlockArgs {
    /// The account's login name.
    pub username: String,
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
