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
