//! The command line: `serve` (default), `migrate`, `seed-demo`, accounts, the organisation and
//! its roster, backups.

use std::{io::BufRead as _, process::ExitCode};

use anyhow::Context as _;
use app::api::district::{OrgTable, RoleGrant};
use clap::Parser as _;
use domain::account::{NewPassword, Role};

use crate::{
    accounts::Actor,
    auth::session::CookiePolicy,
    config::{Cli, Command, CreateUserArgs, ServeArgs},
    db::Db,
    http::{router, serve, throttle::SyncRate, AppState, Settings},
    net::TrustedProxies,
    secret::ServerSecret,
    seed,
    transparency::HeadKey,
};

/// Parses the command line, runs the command and turns any error into a message and exit code 1.
pub async fn run() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LIANFANG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli
        .command
        .unwrap_or(Command::Serve(ServeArgs::default_from_env()))
    {
        Command::Serve(args) => {
            let db = Db::open(&cli.db.database).await?.with_limits(args.limits());
            if args.seed_demo {
                let accounts = seed::seed_demo(&db, &seed::load_table(&args.demo_data)?).await?;
                print_accounts(&accounts);
            }
            run_server(db, &cli.db.database, args).await
        }
        Command::Verify(args) => {
            let heads = match &args.against {
                Some(file) => read_heads(file)?,
                None => Vec::new(),
            };
            let db = Db::open(&cli.db.database).await?;
            let started = std::time::Instant::now();
            let (v, verdicts) = crate::audit::verify_against(db.pool(), &heads).await?;
            let secs = started.elapsed().as_secs_f64();
            if let Some(broken) = v.broken {
                anyhow::bail!(
                    "审计记录链校验失败：{broken}（此前 {} 条记录无误）",
                    v.entries
                );
            }
            println!(
                "审计记录链完整：共 {} 条记录，末条哈希 {}（用时 {secs:.2} 秒）",
                v.entries,
                v.head.unwrap_or_default()
            );
            if let Some(tree) = &v.tree {
                let line = serde_json::to_string(tree)?;
                println!("当前树头（可另存备查，日后用 verify --against 核对）：{line}");
                // The tree the server keeps for proofs must be the tree of the log: else its
                // proofs would vouch for entries that are no longer there.
                let mut conn = db.pool().acquire().await?;
                if let Some(why) = crate::audit::check_stored_tree(&mut conn, tree).await? {
                    anyhow::bail!(
                        "服务器保存的默克尔树与审计记录不符：{why}；其证明不可信，请从备份恢复"
                    );
                }
            }
            let failed: Vec<String> = heads
                .iter()
                .zip(&verdicts)
                .enumerate()
                .filter_map(|(i, (head, verdict))| {
                    verdict
                        .as_ref()
                        .err()
                        .map(|why| format!("第 {} 个树头（{} 条记录）：{why}", i + 1, head.size))
                })
                .collect();
            if !heads.is_empty() && failed.is_empty() {
                println!("与保存的 {} 个树头一致：记录未被截断或改写", heads.len());
            }
            if !failed.is_empty() {
                anyhow::bail!("审计记录与保存的树头不一致：\n{}", failed.join("\n"));
            }
            Ok(())
        }
        Command::Migrate => {
            Db::open(&cli.db.database).await?;
            println!("数据库已是最新结构：{}", cli.db.database.display());
            Ok(())
        }
        Command::SeedDemo(args) => {
            let db = Db::open(&cli.db.database).await?;
            let accounts = seed::seed_demo(&db, &seed::load_table(&args.demo_data)?).await?;
            print_accounts(&accounts);
            if args.generated_posts > 0 {
                let started = std::time::Instant::now();
                let points = seed::seed_generated(&db, args.generated_posts as usize).await?;
                println!(
                    "示范区已含生成的 {} 个岗位、{points} 个风险点（用时 {:.1} 秒）",
                    args.generated_posts,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Command::CreateUser(args) => {
            let db = Db::open(&cli.db.database).await?;
            create_user(&db, args).await
        }
        Command::Backup(args) => {
            let db = Db::open(&cli.db.database).await?;
            let started = std::time::Instant::now();
            let checked = crate::backup::backup(&db, &args.file).await?;
            println!(
                "已备份到 {}：{} KB，审计记录 {} 条（链完整），同步操作 {} 条，用时 {:.2} 秒。\n请同时妥善保管密钥文件（--secret-file，默认为数据库旁的 lianfang.key）。",
                args.file.display(),
                checked.bytes / 1024,
                checked.audit_entries,
                checked.sync_operations,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore(args) => {
            let checked = crate::backup::restore(&args.file, &cli.db.database, args.force).await?;
            println!(
                "已从 {} 恢复到 {}：审计记录 {} 条（链完整），同步操作 {} 条。",
                args.file.display(),
                cli.db.database.display(),
                checked.audit_entries,
                checked.sync_operations
            );
            Ok(())
        }
        Command::ResetPassword(args) => {
            let db = Db::open(&cli.db.database).await?;
            let password = read_password(
                "请输入临时密码（至少 10 位，含字母和数字；用户下次登录时须修改），回车结束：",
            )?;
            crate::accounts::reset_password(&db, Actor::Operator, &args.username, &password)
                .await
                .map_err(cli_error)?;
            println!(
                "已重置 {} 的密码，其登录已全部退出；用户下次登录时须修改密码。",
                args.username
            );
            Ok(())
        }
        Command::Deactivate(args) => set_active(&cli.db.database, &args.username, false).await,
        Command::Reactivate(args) => set_active(&cli.db.database, &args.username, true).await,
        Command::AddUnit(args) => {
            let db = Db::open(&cli.db.database).await?;
            let parent = match &args.parent {
                None => None,
                Some(path) => Some(find_unit(&db, path).await?),
            };
            let new = crate::org::NewUnit {
                parent_id: parent,
                name: &args.name,
                kind: args.kind.as_deref(),
                district_leader: &args.leader,
            };
            let id = crate::org::create_unit(&db, Actor::Operator, &new)
                .await
                .map_err(cli_error)?;
            println!("已建立单位“{}”，编号 {id}", args.name.trim());
            Ok(())
        }
        Command::AddPost(args) => {
            let db = Db::open(&cli.db.database).await?;
            let unit = find_unit(&db, &args.unit).await?;
            let id = crate::org::create_post(&db, Actor::Operator, unit, &args.title, &args.level)
                .await
                .map_err(cli_error)?;
            println!("已建立岗位“{}”，编号 {id}", args.title.trim());
            Ok(())
        }
        Command::ImportOrg(args) => import_org(&cli.db.database, OrgTable::Units, &args).await,
        Command::ImportRoster(args) => import_org(&cli.db.database, OrgTable::Staff, &args).await,
        Command::ExportOrg(args) => export_org(&cli.db.database, OrgTable::Units, &args).await,
        Command::ExportRoster(args) => export_org(&cli.db.database, OrgTable::Staff, &args).await,
        Command::Unlock(args) => {
            let db = Db::open(&cli.db.database).await?;
            let forgotten = crate::accounts::unlock(&db, Actor::Operator, &args.username)
                .await
                .map_err(cli_error)?;
            println!(
                "已解除账号 {} 的登录限制（清除失败记录 {forgotten} 条）",
                args.username
            );
            Ok(())
        }
    }
}

impl ServeArgs {
    /// `lianfang` with no subcommand serves, still honouring the `LIANFANG_*` variables.
    fn default_from_env() -> Self {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::try_parse_from(["lianfang"])
            .map(|o| o.serve)
            .unwrap_or_default()
    }
}

async fn run_server(db: Db, database: &std::path::Path, args: ServeArgs) -> anyhow::Result<()> {
    let mut conf = leptos::config::get_configuration(None)
        .context("Failed to read the Leptos configuration")?;
    if let Some(addr) = args.addr {
        conf.leptos_options.site_addr = addr;
    }
    let addr = conf.leptos_options.site_addr;
    let cookies = CookiePolicy {
        secure: args.secure_cookies,
        lifetime_secs: i64::from(args.session_hours.max(1)) * 3600,
        idle_secs: i64::from(args.session_idle_minutes.max(1)) * 60,
    };
    let secret_path = args
        .secret_file
        .clone()
        .unwrap_or_else(|| crate::secret::default_path(database));
    let head_key_path = args
        .head_key_file
        .clone()
        .unwrap_or_else(|| crate::transparency::default_path(database));
    let proxies = match (args.trusted_proxies, args.trust_proxy) {
        (Some(proxies), _) => proxies,
        (None, true) => TrustedProxies::Hops(1),
        (None, false) => TrustedProxies::None,
    };
    if args.public_origin.is_none() {
        tracing::warn!(
            "--public-origin is not set: links on printed commitments use the request's Host"
        );
    }
    let settings = Settings {
        cookies,
        proxies,
        public_origin: args.public_origin,
        secret: ServerSecret::load_or_create(&secret_path)?,
        head_key: HeadKey::load_or_create(&head_key_path)?,
        head_witnesses: crate::transparency::Witnesses {
            file: args.head_witness_file.clone(),
            robot: args.heads_to_robot,
        },
        sync_rate: SyncRate {
            requests_per_minute: args.sync_requests_per_minute,
            operations_per_minute: args.sync_operations_per_minute,
        },
        pull_page: crate::sync::PullPage::default(),
    };
    // The warnings' overdue check runs beside the server, the first time at once.
    crate::warnings::spawn_schedule(db.clone());
    // The audit log's tree: filled in for entries from before it, then signed heads on a
    // schedule and after every signature.
    let added = crate::audit::catch_up_tree(&db).await?;
    if added > 0 {
        tracing::info!(added, "filled in the audit log's Merkle tree");
    }
    tracing::info!(public_key = %settings.head_key.public_hex(), "tree heads are signed with this key");
    crate::transparency::spawn_schedule(
        db.clone(),
        settings.head_key.clone(),
        settings.head_witnesses.clone(),
        std::time::Duration::from_secs(u64::from(args.head_interval_minutes) * 60),
    );
    // The group robots' queue is handed on beside the server too.
    crate::robots::spawn_deliveries(db.clone(), settings.public_origin.clone())?;
    let state = AppState::new(conf.leptos_options, db, settings);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("Failed to listen on {addr}"))?;
    let bound = listener
        .local_addr()
        .context("Failed to read the bound address")?;
    tracing::info!("listening on http://{bound}");
    println!("廉防已启动：http://{bound}");
    serve(listener, router(state))
        .await
        .context("The server stopped with an error")
}

/// A refusal of the core as its Chinese message; a fault as it is.
fn cli_error(e: crate::error::Error) -> anyhow::Error {
    match e {
        crate::error::Error::Refused(api) => anyhow::anyhow!(api.message),
        other => anyhow::anyhow!(other),
    }
}

async fn set_active(
    database: &std::path::Path,
    username: &str,
    active: bool,
) -> anyhow::Result<()> {
    let db = Db::open(database).await?;
    crate::accounts::set_active(&db, Actor::Operator, username, active)
        .await
        .map_err(cli_error)?;
    if active {
        println!("已恢复账号 {username}。");
    } else {
        println!("已停用账号 {username}，其登录已全部退出；历史记录保留。");
    }
    Ok(())
}

/// A password from LIANFANG_NEW_PASSWORD, or else one line of standard input after `prompt`.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("LIANFANG_NEW_PASSWORD") {
        return Ok(p);
    }
    eprintln!("{prompt}");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("Failed to read the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn print_accounts(accounts: &[seed::DemoAccount]) {
    println!(
        "示范区数据已就绪。演示账号（密码均为 {}，仅供演示）：",
        seed::DEMO_PASSWORD
    );
    for a in accounts {
        println!("  {:<10} {:<6} {}", a.username, a.display_name, a.what);
    }
}

async fn create_user(db: &Db, args: CreateUserArgs) -> anyhow::Result<()> {
    let password = read_password(&format!(
        "请输入新用户的密码（至少 {} 位，含字母和数字），回车结束：",
        NewPassword::MIN_CHARS
    ))?;
    let unit = find_unit(db, &args.unit).await?;
    let mut roles = Vec::new();
    for spec in &args.roles {
        let (role, scope) = match spec.split_once('@') {
            Some((role, scope)) => (Role::parse(role)?, find_unit(db, scope).await?),
            None => (Role::parse(spec)?, unit),
        };
        roles.push(RoleGrant {
            role,
            scope_id: scope,
        });
    }
    let new = crate::accounts::NewAccount {
        username: &args.username,
        display_name: &args.display_name,
        unit_id: unit,
        roles: &roles,
        password: &password,
        temporary: false,
    };
    let id = crate::accounts::create(db, Actor::Operator, &new)
        .await
        .map_err(cli_error)?;
    println!(
        "已创建用户 {}（{}），编号 {id}",
        args.username.trim().to_ascii_lowercase(),
        args.display_name.trim()
    );
    Ok(())
}

/// A unit by its name, when only one unit has it (`区卫生局`), or by its path from the district
/// (`清河街道办事处/东村`).
async fn find_unit(db: &Db, written: &str) -> anyhow::Result<i64> {
    let view = crate::org::view(db, Actor::Operator)
        .await
        .map_err(cli_error)?;
    let path = domain::org::parse_path(written, "unit", "单位")?;
    let matches: Vec<i64> = view
        .units
        .iter()
        .filter(|u| match path.as_slice() {
            [only] => u.name == only.as_str(),
            _ => view.path(u.id).replace(" / ", "/") == written.trim().replace(['／', '·'], "/"),
        })
        .map(|u| u.id)
        .collect();
    match matches.as_slice() {
        [id] => Ok(*id),
        [] => anyhow::bail!("单位“{}”不存在", written.trim()),
        _ => anyhow::bail!(
            "有多个名为“{}”的单位，请写出上级单位，如“清河街道办事处/东村”",
            written.trim()
        ),
    }
}

async fn import_org(
    database: &std::path::Path,
    table: OrgTable,
    args: &crate::config::ImportOrgArgs,
) -> anyhow::Result<()> {
    let db = Db::open(database).await?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("无法读取文件 {}", args.file.display()))?;
    let mode = if args.apply {
        crate::exchange::ImportMode::APPLY_ALL
    } else {
        crate::exchange::ImportMode::DryRun
    };
    let report = match crate::roster::import(&db, Actor::Operator, table, &bytes, mode).await {
        Ok(report) => report,
        Err(crate::roster::RosterError::Refused(e)) => return Err(cli_error(e)),
    };
    println!(
        "{}：共 {} 行，可导入 {} 行，拒绝 {} 行。",
        table.label(),
        report.total_rows,
        report.accepted_rows,
        report.rejected_rows
    );
    for r in &report.rejected {
        println!("  第 {} 行 [{}] {}", r.row, r.field, r.message);
    }
    let verb = if args.apply { "已" } else { "将" };
    println!(
        "{verb}新建单位 {} 个、更新单位 {} 个、新建岗位 {} 个、新建账号 {} 个、授予角色 {} 项、登记任职 {} 项；{} 行无需更改。",
        report.counts.new_units,
        report.counts.updated_units,
        report.counts.new_posts,
        report.counts.new_accounts,
        report.counts.new_roles,
        report.counts.new_holdings,
        report.counts.unchanged_rows
    );
    if !args.apply {
        println!("这是试导入，未写入任何内容；确认无误后加 --apply 导入。");
    }
    if !report.accounts.is_empty() {
        println!("新账号的临时密码（仅显示这一次，请分发给本人，首次登录须修改）：");
        for a in &report.accounts {
            println!(
                "  {}\t{}\t{}\t{}",
                a.username, a.display_name, a.unit, a.temporary_password
            );
        }
    }
    Ok(())
}

async fn export_org(
    database: &std::path::Path,
    table: OrgTable,
    args: &crate::config::ExportOrgArgs,
) -> anyhow::Result<()> {
    let db = Db::open(database).await?;
    let format = args
        .file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !matches!(format.as_str(), "xlsx" | "csv") {
        anyhow::bail!("导出文件须以 .xlsx 或 .csv 结尾");
    }
    let exported = crate::roster::export(&db, Actor::Operator, table, &format)
        .await
        .map_err(cli_error)?;
    std::fs::write(&args.file, &exported.bytes)
        .with_context(|| format!("无法写入文件 {}", args.file.display()))?;
    println!(
        "已导出{}到 {}（{} KB）",
        table.label(),
        args.file.display(),
        exported.bytes.len() / 1024
    );
    Ok(())
}

/// The tree heads saved in `file`, one JSON object per line (blank lines skipped); a line that is
/// not a head is an error naming it, so a damaged witness file is never half read.
fn read_heads(file: &std::path::Path) -> anyhow::Result<Vec<domain::merkle::TreeHead>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("无法读取树头文件 {}", file.display()))?;
    let mut heads = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        // `verify` prints the head after a label; accept the line as printed or the bare JSON.
        let json = line.find('{').map_or(line, |at| &line[at..]);
        let head: domain::merkle::TreeHead = serde_json::from_str(json).map_err(|e| {
            anyhow::anyhow!(
                "树头文件 {} 第 {} 行不是有效的树头（应为 {{\"size\":记录数,\"root\":\"64 位十六进制\"}}）：{e}",
                file.display(),
                n + 1
            )
        })?;
        let hex_ok = head.root.len() == 64 && head.root.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex_ok {
            anyhow::bail!(
                "树头文件 {} 第 {} 行的 root 应为 64 位十六进制哈希",
                file.display(),
                n + 1
            );
        }
        // A signed head (as /api/transparency publishes it, or a witness saves it) must carry a
        // valid signature: a forged head proves nothing.
        if json.contains("\"signature\"") {
            let signed: crate::transparency::SignedHead =
                serde_json::from_str(json).map_err(|e| {
                    anyhow::anyhow!(
                        "树头文件 {} 第 {} 行的签名树头不完整（应含 size、root、issued_at、public_key、signature）：{e}",
                        file.display(),
                        n + 1
                    )
                })?;
            if !signed.verifies() {
                anyhow::bail!(
                    "树头文件 {} 第 {} 行的签名无效：该树头不是公钥 {} 所签，或已被改动",
                    file.display(),
                    n + 1,
                    signed.public_key
                );
            }
        }
        heads.push(head);
    }
    if heads.is_empty() {
        anyhow::bail!("树头文件 {} 中没有树头", file.display());
    }
    Ok(heads)
}
