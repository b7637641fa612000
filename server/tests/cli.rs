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
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "26\n31\n");
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
    assert!(String::from_utf8_lossy(&again.stderr).contains("用户名 xintongshi 已存在"));

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
