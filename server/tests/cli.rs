//! The `lianfang` command line, run as a real process against a real database file.

use std::process::Command;

fn lianfang(db: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lianfang"));
    command
        .env("LIANFANG_DATABASE", db)
        .env("LIANFANG_LOG", "warn");
    command
}

#[test]
fn help_lists_every_command() {
    let output = Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for command in ["serve", "migrate", "seed-demo", "create-user"] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn seed_demo_twice_prints_the_accounts_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    for _ in 0..2 {
        let output = lianfang(&db).arg("seed-demo").output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(
            stdout.contains("zhangwei") && stdout.contains("lianfang2026"),
            "{stdout}"
        );
    }
    // Counted with the sqlite3 tool (installed by scripts/setup.sh), outside the server's own code.
    let out = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT COUNT(*) FROM risk_points; SELECT COUNT(*) FROM users;")
        .output()
        .expect("sqlite3 runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "26\n46\n");
}

#[test]
fn create_user_checks_its_input_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    assert!(lianfang(&db)
        .arg("seed-demo")
        .output()
        .unwrap()
        .status
        .success());

    let create = |username: &str, password: &str| {
        lianfang(&db)
            .env("LIANFANG_NEW_PASSWORD", password)
            .args([
                "create-user",
                "--username",
                username,
                "--display-name",
                "新同事",
                "--unit",
                "区卫生局",
            ])
            .args(["--role", "post_holder", "--role", "section_head@区卫生局"])
            .output()
            .unwrap()
    };
    let ok = create("xintongshi", "newcomer2026");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("已创建用户 xintongshi"));

    let again = create("xintongshi", "newcomer2026");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("“xintongshi”已被 新同事 使用"));

    let weak = create("another", "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("密码至少需要 10 个字符"));

    let bad_unit = lianfang(&db)
        .env("LIANFANG_NEW_PASSWORD", "newcomer2026")
        .args([
            "create-user",
            "--username",
            "third",
            "--display-name",
            "某人",
            "--unit",
            "不存在的局",
        ])
        .output()
        .unwrap();
    assert!(!bad_unit.status.success());
    assert!(String::from_utf8_lossy(&bad_unit.stderr).contains("单位“不存在的局”不存在"));
}

#[test]
fn a_district_is_set_up_from_the_command_line_on_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let run = |args: &[&str]| {
        let output = lianfang(&db)
            .env("LIANFANG_NEW_PASSWORD", "Operator2026x")
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // Nothing can sit above the district, and the district comes first.
    let (ok, _, err) = run(&["add-unit", "--name", "区教育局", "--parent", "某某区"]);
    assert!(!ok && err.contains("单位“某某区”不存在"), "{err}");
    let (ok, out, err) = run(&["add-unit", "--name", "某某区"]);
    assert!(ok, "{err}");
    assert!(out.contains("已建立单位“某某区”"), "{out}");
    let (ok, _, err) = run(&[
        "add-unit",
        "--name",
        "区教育局",
        "--parent",
        "某某区",
        "--leader",
        "副区长 李明",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&[
        "add-unit",
        "--name",
        "东村",
        "--parent",
        "区教育局",
        "--kind",
        "村",
    ]);
    assert!(!ok && err.contains("村和社区须设在街道之下"), "{err}");
    let (ok, _, err) = run(&[
        "add-post",
        "--unit",
        "区教育局",
        "--title",
        "财务科科长",
        "--level",
        "中层岗位",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&[
        "create-user",
        "--username",
        "admin",
        "--display-name",
        "管理员",
        "--unit",
        "某某区",
        "--role",
        "admin",
    ]);
    assert!(ok, "{err}");

    let roster = dir.path().join("roster.csv");
    std::fs::write(
        &roster,
        "姓名,用户名,所在单位,岗位,岗位类别,任职日期,角色\n周财,zhoucai,区教育局,财务科科长,,,\n错行,cuohang,区卫生局,,,,\n",
    )
    .unwrap();
    let file = roster.to_str().unwrap();
    let (ok, out, err) = run(&["import-roster", file]);
    assert!(ok, "{err}");
    assert!(
        out.contains("可导入 1 行，拒绝 1 行") && out.contains("第 3 行"),
        "{out}"
    );
    assert!(out.contains("这是试导入"), "{out}");
    let (ok, out, err) = run(&["import-roster", file, "--apply"]);
    assert!(ok, "{err}");
    assert!(out.contains("已新建") && out.contains("zhoucai"), "{out}");
    let (ok, out, _) = run(&["import-roster", file, "--apply"]);
    assert!(ok && out.contains("新建账号 0 个"), "{out}");

    let export = dir.path().join("units.csv");
    let (ok, _, err) = run(&["export-org", export.to_str().unwrap()]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(
        text.starts_with("\u{FEFF}上级单位,单位名称,类型,分管区领导\r\n"),
        "{text}"
    );
    assert!(text.contains("某某区,区教育局,单位,副区长 李明"), "{text}");
    // Every act is in the audit log, and the log verifies.
    let (ok, out, err) = run(&["verify"]);
    assert!(ok, "{err}");
    assert!(out.contains("审计记录链完整"), "{out}");
    let count = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT COUNT(*) FROM audit_log WHERE kind IN ('unit_created', 'post_created', 'account_created', 'roster_imported')")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(count.stdout).unwrap(), "5\n");
}

/// A small district set up from the command line: `units` units under the district, each an
/// audited act.
fn district_with_units(db: &std::path::Path, first: usize, units: usize) {
    let names = (first..first + units).map(|n| format!("区第{n}局"));
    let district = (first == 0).then(|| "某某区".to_owned());
    for name in district.into_iter().chain(names) {
        let mut command = lianfang(db);
        command.args(["add-unit", "--name", &name]);
        if name != "某某区" {
            command.args(["--parent", "某某区"]);
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn verify(db: &std::path::Path, against: Option<&std::path::Path>) -> (bool, String) {
    let mut command = lianfang(db);
    command.arg("verify");
    if let Some(file) = against {
        command.arg("--against").arg(file);
    }
    let out = command.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// The head `verify` prints, as the line to save.
fn printed_head(text: &str) -> String {
    text.lines()
        .find(|l| l.starts_with("当前树头"))
        .unwrap_or_else(|| panic!("no head in {text}"))
        .to_owned()
}

/// The independent Python verifier (scripts/verify-log.py), standard library only.
fn python_verify(db: &std::path::Path, heads: &std::path::Path) -> (bool, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/verify-log.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(db)
        .arg(heads)
        .output()
        .expect("python3 runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn sqlite3(db: &std::path::Path, sql: &str) {
    let out = Command::new("sqlite3").arg(db).arg(sql).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_saved_tree_head_catches_a_truncation_and_a_rewrite_the_chain_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("heads.db");
    district_with_units(&db, 0, 6);
    let (ok, text) = verify(&db, None);
    assert!(ok, "{text}");
    assert!(text.contains("共 7 条记录"), "{text}");
    let heads = dir.path().join("heads.txt");
    std::fs::write(&heads, printed_head(&text) + "\n").unwrap();

    // The log grows: it still extends the saved head, and a second head is saved beside it.
    district_with_units(&db, 6, 3);
    let (ok, text) = verify(&db, Some(&heads));
    assert!(ok, "{text}");
    assert!(text.contains("与保存的 1 个树头一致"), "{text}");
    let both = printed_head(&text);
    let mut saved = std::fs::read_to_string(&heads).unwrap();
    saved.push_str(&both);
    saved.push('\n');
    std::fs::write(&heads, &saved).unwrap();
    let pristine = dir.path().join("pristine.db");
    // A consistent copy (the newest entries may still be in the write-ahead log, beside the file).
    sqlite3(&db, &format!("VACUUM INTO '{}'", pristine.display()));
    // The Python verifier computes the same head from the published format.
    let (ok, py) = python_verify(&db, &heads);
    assert!(ok, "{py}");
    let (_, json) = both.split_once('：').unwrap();
    assert!(py.contains(&format!("head {json}")), "{py} vs {both}");
    assert!(
        py.contains("head 1 (7 entries): extended") && py.contains("head 2 (10 entries): extended"),
        "{py}"
    );

    // Whoever holds the file cuts off the two newest entries. The tree the server keeps for its
    // proofs still holds them, and `verify` says so…
    sqlite3(
        &db,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > 8;",
    );
    let (ok, text) = verify(&db, None);
    assert!(
        !ok && text.contains("服务器保存的默克尔树与审计记录不符"),
        "{text}"
    );
    // …so a careful forger empties it too (the server would rebuild it from the cut log), and
    // then the chain verifies…
    sqlite3(&db, EMPTY_THE_TREE);
    let (ok, text) = verify(&db, None);
    assert!(ok && text.contains("共 8 条记录"), "{text}");
    // …but the saved head of 10 entries does not, and says so; the older head still holds.
    let (ok, text) = verify(&db, Some(&heads));
    assert!(!ok, "{text}");
    assert!(
        text.contains(
            "第 2 个树头（10 条记录）：审计记录被截断：保存的树头含 10 条记录，现只有 8 条"
        ),
        "{text}"
    );
    assert!(!text.contains("第 1 个树头"), "{text}");
    let (ok, py) = python_verify(&db, &heads);
    assert!(!ok && py.contains("head 2 (10 entries): truncated"), "{py}");

    // On the untouched copy, an old entry is rewritten and every later hash recomputed.
    let rewritten = rewrite_entry(&pristine, 3);
    assert!(rewritten > 0);
    sqlite3(&pristine, EMPTY_THE_TREE);
    let (ok, text) = verify(&pristine, None);
    assert!(ok, "the chain alone verifies a recomputed rewrite: {text}");
    let (ok, text) = verify(&pristine, Some(&heads));
    assert!(!ok, "{text}");
    assert!(
        text.contains("第 1 个树头（7 条记录）：前 7 条审计记录与保存的树头不符"),
        "{text}"
    );
    assert!(
        text.contains("第 2 个树头（10 条记录）：前 10 条审计记录"),
        "{text}"
    );
    let (ok, py) = python_verify(&pristine, &heads);
    assert!(!ok && py.contains("head 1 (7 entries): rewritten"), "{py}");
}

/// A signed head whose signature is not its key's (RFC 8032's first test key, a signature of
/// something else).
const BAD_SIGNATURE: &str = concat!(
    "{\"size\":1,\"root\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",",
    "\"issued_at\":1,\"public_key\":\"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\",",
    "\"signature\":\"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b\"}\n"
);

#[test]
fn a_head_file_that_is_not_one_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bad.db");
    district_with_units(&db, 0, 1);
    for (content, says) in [
        ("not a head\n", "第 1 行不是有效的树头"),
        (
            "{\"size\":1,\"root\":\"abc\"}\n",
            "第 1 行的 root 应为 64 位十六进制哈希",
        ),
        ("\n\n", "中没有树头"),
        (
            BAD_SIGNATURE,
            "第 1 行的签名无效：该树头不是公钥 d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a 所签",
        ),
        (
            "{\"size\":1,\"root\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"signature\":\"00\"}\n",
            "第 1 行的签名树头不完整",
        ),
    ] {
        let file = dir.path().join("heads.txt");
        std::fs::write(&file, content).unwrap();
        let (ok, text) = verify(&db, Some(&file));
        assert!(!ok, "{text}");
        assert!(text.contains(says), "{content:?}: {text}");
    }
    let (ok, text) = verify(&db, Some(&dir.path().join("missing.txt")));
    assert!(!ok && text.contains("无法读取树头文件"), "{text}");
}

/// What a forger who knows the format does after altering the log: empties the stored Merkle
/// tree, which the server fills in again from the altered log.
const EMPTY_THE_TREE: &str = "DROP TRIGGER audit_tree_no_delete; DELETE FROM audit_tree;";

/// An audit row as read back: seq, at, kind, actor, subject, payload, prev_hash.
type StoredEntry = (i64, i64, String, Option<i64>, String, String, String);

/// Rewrites entry `seq`'s payload and recomputes the hash and link of it and every entry after
/// it, as someone with the file and the published algorithm could; returns the entries changed.
fn rewrite_entry(db: &std::path::Path, seq: i64) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite:{}", db.display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("DROP TRIGGER audit_log_no_update")
            .execute(&pool)
            .await
            .unwrap();
        let rows: Vec<StoredEntry> = sqlx::query_as(
            "SELECT seq, at, kind, actor, subject, payload, prev_hash FROM audit_log WHERE seq >= ? ORDER BY seq",
        )
        .bind(seq)
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut prev = rows[0].6.clone();
        for (n, (s, at, kind, actor, subject, payload, _)) in rows.iter().enumerate() {
            let payload = if n == 0 {
                payload.replace("区第", "区伪")
            } else {
                payload.clone()
            };
            let hash = domain::audit::entry_hash(*s, *at, kind, *actor, subject, &payload, &prev);
            sqlx::query("UPDATE audit_log SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?")
                .bind(&payload)
                .bind(&prev)
                .bind(&hash)
                .bind(s)
                .execute(&pool)
                .await
                .unwrap();
            prev = hash;
        }
        rows.len()
    })
}
