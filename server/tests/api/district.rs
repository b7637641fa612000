//! Running a real district: the administrator sets up units, posts and accounts, imports the
//! organisation and the roster (a dry run naming every refused row, applying twice adds
//! nothing), and exports them losslessly; the commission owns the notice period with its holiday
//! calendar, the 回头看 cadence, each round's rating matrix and a template per post level.

use std::collections::BTreeSet;

use reqwest::header;
use serde_json::{json, Value};

use super::helpers::{approve, error_code, spawn_app, TestApp};

impl TestApp {
    /// Uploads a file to `path` (an import) as the signed-in `cookie`.
    async fn upload(
        &self,
        path: &str,
        cookie: &str,
        file: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .header(header::ORIGIN, self.origin())
            .header(header::COOKIE, cookie)
            .body(file)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn unit(&self, name: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM org_units WHERE name = ?")
            .bind(name)
            .fetch_one(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("unit {name}: {e}"))
    }
}

/// Every refusal of a report as (row, field, code).
fn refusals(report: &Value) -> Vec<(u64, String, String)> {
    report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
                r["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const UNITS: &str = "上级单位,单位名称,类型,分管区领导
示范区,区民政局,单位,副区长 李明
区民政局,办公室,,
区民政局,社会救助科,科室,
区民政局,东风村,村,
不存在的局,办公室,,
区民政局,办公室,,
清河街道办事处,南湾社区,社区,
区交通局,,科室,
";

#[tokio::test]
async fn the_organisation_table_is_checked_row_by_row_and_applying_it_twice_adds_nothing() {
    let app = spawn_app().await;
    let admin = app.session_cookie("admin").await;
    let dry = "/api/org/import?table=units&dry_run=true";
    let (status, report) = app.upload(dry, &admin, UNITS).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["total_rows"], 8, "{report}");
    assert_eq!(
        refusals(&report),
        [
            (5, "kind".to_owned(), "misplaced_unit".to_owned()),
            (6, "parent".to_owned(), "unknown_parent".to_owned()),
            (7, "name".to_owned(), "duplicate_row".to_owned()),
            (9, "name".to_owned(), "required".to_owned()),
        ],
        "{report}"
    );
    assert_eq!(report["accepted_rows"], 4);
    assert_eq!(report["new_units"], 4, "{report}");
    let units_before = app.count("SELECT COUNT(*) FROM org_units").await;

    let apply = "/api/org/import?table=units&offset=0";
    let (status, done) = app.upload(apply, &admin, UNITS).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["new_units"], 4);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM org_units").await,
        units_before + 4
    );
    let leader: String =
        sqlx::query_scalar("SELECT district_leader FROM org_units WHERE name = '区民政局'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(leader, "副区长 李明");
    let office_kind: String = sqlx::query_scalar(
        "SELECT u.kind FROM org_units u JOIN org_units p ON p.id = u.parent_id WHERE p.name = '区民政局' AND u.name = '办公室'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(office_kind, "section", "guessed under a unit");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'org_imported'")
            .await,
        1
    );

    let (_, again) = app.upload(apply, &admin, UNITS).await;
    assert_eq!(again["new_units"], 0, "{again}");
    assert_eq!(again["unchanged_rows"], 4);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM org_units").await,
        units_before + 4
    );

    // Nobody but an administrator imports, and a dry run by them changes nothing either.
    for who in ["shenhe", "lianluo", "chenjing"] {
        let cookie = app.session_cookie(who).await;
        let (status, body) = app.upload(dry, &cookie, UNITS).await;
        assert_eq!(status, 403, "{who}: {body}");
    }
}

fn roster(rows: &[&str]) -> String {
    let mut file = String::from("姓名,用户名,所在单位,岗位,岗位类别,任职日期,角色\n");
    for row in rows {
        file.push_str(row);
        file.push('\n');
    }
    file
}

#[tokio::test]
async fn a_roster_makes_accounts_with_temporary_passwords_and_a_second_import_adds_nothing() {
    let app = spawn_app().await;
    let admin = app.session_cookie("admin").await;
    let file = roster(&[
        // 2: a new person holding a new post, with a role of their own.
        "赵敏,zhaomin,区卫生局,疾控科科长,中层岗位,2026-11-02,科室负责人",
        // 3: the same person with a second post; roles repeat harmlessly.
        "赵敏,zhaomin,区卫生局,卫生监督员,,,科室负责人",
        // 4: a unit that does not exist.
        "钱进,qianjin,不存在的局,科员,,,",
        // 5: a username someone else has.
        "孙立,zhangwei,区卫生局,,,,",
        // 6: an unknown role.
        "李青,liqing,区卫生局,,,,局长",
        // 7: a vacant post with no person.
        ",,区卫生局/医政科,医政科副科长,中层岗位,,",
        // 8: a name without a username.
        "周到,,区卫生局,,,,",
        // 9: a role reaching another unit.
        "吴用,wuyong,区卫生局,,,,分管领导@区卫生局",
        // 10: a start in the future.
        "郑重,zhengzhong,区卫生局,科员,,2099-01-01,",
    ]);
    let (status, report) = app
        .upload(
            "/api/org/import?table=staff&dry_run=true",
            &admin,
            file.clone(),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        refusals(&report),
        [
            (4, "unit".to_owned(), "unknown_unit".to_owned()),
            (5, "username".to_owned(), "username_taken".to_owned()),
            (6, "roles".to_owned(), "unknown_value".to_owned()),
            (8, "username".to_owned(), "required".to_owned()),
            (10, "started_on".to_owned(), "in_the_future".to_owned()),
        ],
        "{report}"
    );
    let message = report["rejected"][1]["message"].as_str().unwrap();
    assert!(message.contains("已被 张伟（区交通局）使用"), "{message}");
    assert_eq!(report["new_accounts"], 2, "{report}");
    assert_eq!(report["new_posts"], 3, "{report}");
    assert_eq!(report["new_holdings"], 2, "{report}");
    assert!(
        report["accounts"].as_array().unwrap().is_empty(),
        "no passwords in a dry run"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE username = 'zhaomin'")
            .await,
        0
    );

    // Applied in slices of two accepted rows, as the page does.
    let mut slips = Vec::new();
    let mut offset = Some(0);
    while let Some(at) = offset {
        let (status, slice) = app
            .upload(
                &format!("/api/org/import?table=staff&offset={at}&limit=2"),
                &admin,
                file.clone(),
            )
            .await;
        assert_eq!(status, 200, "{slice}");
        slips.extend(slice["accounts"].as_array().unwrap().iter().cloned());
        offset = slice["next_offset"].as_u64();
    }
    assert_eq!(slips.len(), 2);
    let zhaomin = slips.iter().find(|s| s["username"] == "zhaomin").unwrap();
    assert_eq!(zhaomin["unit"], "区卫生局");
    let temporary = zhaomin["temporary_password"].as_str().unwrap();

    // The temporary password signs in, and must be changed before anything else.
    let login = app.login_json("zhaomin", temporary).await;
    assert_eq!(login.status(), 200);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["user"]["must_change_password"], true, "{body}");
    // The person holds both posts, from the day the roster gave for the first, with the roles.
    let holdings: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT p.title, h.started_on FROM post_holdings h JOIN posts p ON p.id = h.post_id JOIN users u ON u.id = h.user_id WHERE u.username = 'zhaomin' ORDER BY p.title",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        holdings,
        [
            ("卫生监督员".to_owned(), None),
            ("疾控科科长".to_owned(), Some("2026-11-02".to_owned()))
        ]
    );
    let roles: BTreeSet<String> = sqlx::query_scalar(
        "SELECT r.role FROM role_assignments r JOIN users u ON u.id = r.user_id WHERE u.username = 'zhaomin'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(
        roles,
        BTreeSet::from(["post_holder".to_owned(), "section_head".to_owned()])
    );
    let level: String = sqlx::query_scalar("SELECT level FROM posts WHERE title = '医政科副科长'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(level, "middle");
    // The log says who was created, never a password.
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM audit_log WHERE kind = 'roster_imported'")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert!(
        payloads.iter().any(|p| p.contains("zhaomin")),
        "{payloads:?}"
    );
    // With the file's hash: which file was imported stays provable.
    assert!(
        payloads
            .iter()
            .all(|p| serde_json::from_str::<Value>(p).unwrap()["file_sha256"]
                .as_str()
                .is_some_and(|h| h.len() == 64)),
        "{payloads:?}"
    );
    assert!(payloads.iter().all(|p| !p.contains(temporary)));

    // Applying the same file again adds nothing.
    let (users, holdings, roles) = (
        app.count("SELECT COUNT(*) FROM users").await,
        app.count("SELECT COUNT(*) FROM post_holdings").await,
        app.count("SELECT COUNT(*) FROM role_assignments").await,
    );
    let (_, again) = app
        .upload("/api/org/import?table=staff&offset=0", &admin, file)
        .await;
    assert_eq!(again["new_accounts"], 0, "{again}");
    assert_eq!(again["unchanged_rows"], again["accepted_rows"], "{again}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post_holdings").await,
        holdings
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM role_assignments").await,
        roles
    );
}

/// The organisation as comparable rows: every stored field by natural key.
async fn organisation(db: &server::db::Db) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "WITH RECURSIVE path(id, text) AS (
             SELECT id, name FROM org_units WHERE parent_id IS NULL
             UNION ALL SELECT u.id, path.text || '/' || u.name FROM org_units u JOIN path ON u.parent_id = path.id)
         SELECT 'unit ' || path.text || ' ' || u.kind || ' ' || COALESCE(u.district_leader, '-') FROM org_units u JOIN path USING (id)
         UNION ALL
         SELECT 'post ' || path.text || ' ' || p.title || ' ' || p.level FROM posts p JOIN path ON path.id = p.unit_id
         UNION ALL
         SELECT 'user ' || u.username || ' ' || u.display_name || ' ' || path.text || ' ' || u.active FROM users u JOIN path ON path.id = u.unit_id
         UNION ALL
         SELECT 'role ' || u.username || ' ' || r.role || ' ' || path.text FROM role_assignments r JOIN users u ON u.id = r.user_id JOIN path ON path.id = r.scope_unit_id
         UNION ALL
         SELECT 'holds ' || u.username || ' ' || path.text || '/' || p.title || ' ' || COALESCE(h.started_on, '-')
           FROM post_holdings h JOIN users u ON u.id = h.user_id JOIN posts p ON p.id = h.post_id JOIN path ON path.id = p.unit_id
           WHERE h.ended_on IS NULL
         ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.into_iter().map(|(r,)| r).collect()
}

#[tokio::test]
async fn the_organisation_and_roster_go_out_and_come_back_into_an_empty_database_whole() {
    let app = spawn_app().await;
    let admin = app.session_cookie("admin").await;
    // Fields the seed leaves empty: a leader, a holding's start, a role reaching another unit, a
    // vacant post, a village's post.
    let unit = app.unit("区卫生局").await;
    let r = app
        .post_json(
            &format!("/api/org/units/{unit}"),
            Some(&admin),
            &json!({ "name": "区卫生局", "district_leader": "副区长 王强" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let extra = roster(&[
        "赵敏,zhaomin,区卫生局,疾控科科长,中层岗位,2026-11-02,科室负责人、分管领导@清河街道办事处/东村",
        ",,清河街道办事处/东村,村文书,其它岗位,,",
    ]);
    let (status, report) = app
        .upload("/api/org/import?table=staff&offset=0", &admin, extra)
        .await;
    assert_eq!(status, 200, "{report}");
    assert!(
        report["rejected"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let before = organisation(&app.db).await;
    assert!(before.iter().any(|r| r.contains("副区长 王强")));
    assert!(before
        .iter()
        .any(|r| r.starts_with("role zhaomin leader_in_charge 示范区/清河街道办事处/东村")));

    for format in ["xlsx", "csv"] {
        let mut files = Vec::new();
        for table in ["units", "staff"] {
            let response = app
                .client
                .get(app.url(&format!("/api/org/export/{table}.{format}")))
                .header(header::COOKIE, &admin)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            files.push(response.bytes().await.unwrap().to_vec());
        }
        let dir = tempfile::tempdir().unwrap();
        let target = server::db::Db::open(&dir.path().join("target.db"))
            .await
            .unwrap();
        for (table, file) in [
            (app::api::district::OrgTable::Units, &files[0]),
            (app::api::district::OrgTable::Staff, &files[1]),
        ] {
            let report = server::roster::import(
                &target,
                server::actor::Actor::Operator,
                table,
                file,
                server::exchange::ImportMode::APPLY_ALL,
            )
            .await
            .unwrap_or_else(|e| panic!("{format} {table:?}: {e}"));
            assert!(
                report.rejected.is_empty(),
                "{format} {table:?}: {:?}",
                report.rejected
            );
        }
        assert_eq!(organisation(&target).await, before, "{format}");
    }
}

#[tokio::test]
async fn an_administrator_sets_up_units_posts_and_accounts_and_nobody_else_may() {
    let app = spawn_app().await;
    let admin = app.session_cookie("admin").await;
    let district = app.unit("示范区").await;
    let r = app
        .post_json(
            "/api/org/units",
            Some(&admin),
            &json!({ "parent_id": district, "name": "区民政局", "district_leader": "副区长 李明" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let bureau: Value = r.json().await.unwrap();
    let bureau = bureau["id"].as_i64().unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM org_units WHERE id = {bureau} AND kind = 'unit'"
        ))
        .await,
        1
    );

    // A village belongs under a sub-district, a second district is refused, names are unique.
    let (status, code, body) = error_code(
        app.post_json(
            "/api/org/units",
            Some(&admin),
            &json!({ "parent_id": bureau, "name": "新村", "kind": "village" }),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "misplaced_unit"), "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("村和社区须设在街道之下"));
    let (_, code, _) = error_code(
        app.post_json(
            "/api/org/units",
            Some(&admin),
            &json!({ "parent_id": null, "name": "另一个区" }),
        )
        .await,
    )
    .await;
    assert_eq!(code, "district_exists");
    let (_, code, _) = error_code(
        app.post_json(
            "/api/org/units",
            Some(&admin),
            &json!({ "parent_id": district, "name": "区民政局" }),
        )
        .await,
    )
    .await;
    assert_eq!(code, "duplicate");

    let r = app
        .post_json(
            "/api/org/posts",
            Some(&admin),
            &json!({ "unit_id": bureau, "title": "社会救助科科长", "level": "中层岗位" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let post: Value = r.json().await.unwrap();
    let post = post["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/org/posts/{post}"),
            Some(&admin),
            &json!({ "title": "社会救助科负责人", "level": "middle" }),
        )
        .await;
    assert_eq!(r.status(), 200);

    let account = json!({ "username": "minzheng", "display_name": "冯民", "unit_id": bureau,
        "roles": [{ "role": "SectionHead", "scope_id": bureau }], "temporary_password": "Welcome2026x" });
    let r = app.post_json("/api/users", Some(&admin), &account).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (_, code, body) =
        error_code(app.post_json("/api/users", Some(&admin), &account).await).await;
    assert_eq!(code, "duplicate_username", "{body}");
    assert!(body["message"].as_str().unwrap().contains("已被 冯民 使用"));
    let login: Value = app
        .login_json("minzheng", "Welcome2026x")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(login["user"]["must_change_password"], true);

    // The log has every act, with who did it.
    for kind in [
        "unit_created",
        "post_created",
        "post_updated",
        "account_created",
    ] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE kind = '{kind}' AND actor IS NOT NULL"
            ))
            .await,
            1,
            "{kind}"
        );
    }
    // The commission reads the tree but does not change it; others do neither.
    let shenhe = app.session_cookie("shenhe").await;
    let r = app.server_fn("org", Some(&shenhe), "").await;
    assert_eq!(r.status(), 200);
    let org: Value = r.json().await.unwrap();
    assert_eq!(org["may_manage"], false);
    assert!(org["units"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "区民政局"));
    let r = app
        .post_json(
            "/api/org/units",
            Some(&shenhe),
            &json!({ "parent_id": district, "name": "区统计局" }),
        )
        .await;
    assert_eq!(r.status(), 403);
    let liaison = app.session_cookie("lianluo").await;
    assert_eq!(app.server_fn("org", Some(&liaison), "").await.status(), 403);
}

#[tokio::test]
async fn roles_are_set_by_an_administrator_who_never_takes_away_the_last_administrators() {
    let app = spawn_app().await;
    let admin = app.session_cookie("admin").await;
    let health = app.unit("区卫生局").await;
    let district = app.unit("示范区").await;
    let set = |username: &str, roles: Value| json!({ "username": username, "roles": roles });
    let r = app
        .post_json("/api/users/roles", Some(&admin), &set("xujun", json!([
            { "role": "PostHolder", "scope_id": health }, { "role": "UnitLiaison", "scope_id": health }])))
        .await;
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(
        (done["granted"].as_u64(), done["revoked"].as_u64()),
        (Some(1), Some(0)),
        "{done}"
    );
    // The new role counts at once: xujun may now record the unit's meetings.
    let xujun = app.session_cookie("xujun").await;
    let r = app
        .server_fn("unit_posts", Some(&xujun), &format!("unit_id={health}"))
        .await;
    assert_eq!(r.status(), 200);

    let (_, code, _) = error_code(
        app.post_json("/api/users/roles", Some(&admin), &set("admin", json!([])))
            .await,
    )
    .await;
    assert_eq!(code, "own_account");
    let (_, code, _) = error_code(
        app.post_json(
            "/api/users/roles",
            Some(&admin),
            &set("xujun", json!([{ "role": "Admin", "scope_id": 999_999 }])),
        )
        .await,
    )
    .await;
    assert_eq!(code, "unknown_unit");
    let shenhe = app.session_cookie("shenhe").await;
    let r = app
        .post_json(
            "/api/users/roles",
            Some(&shenhe),
            &set("shenhe", json!([{ "role": "Admin", "scope_id": district }])),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'roles_changed'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_notice_runs_the_commissions_working_days_on_the_holiday_calendar() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    // The next ten days are holidays, and the notice is three working days.
    let today = domain::risk::IsoDate::of_instant(server::db::now_ms());
    let holidays: Vec<String> = (1..=10)
        .map(|d| {
            let day = domain::risk::IsoDate::of_instant(server::db::now_ms() + d * 86_400_000);
            format!("{day} 放假 测试假期")
        })
        .collect();
    let r = app
        .post_json(
            "/api/settings/calendar",
            Some(&shenhe),
            &json!({ "days": holidays.join("\n") }),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .post_json("/api/settings", Some(&shenhe), &json!({ "notice_days": 3, "cadence_first": 6, "cadence_second": 12, "cadence_third": 24 }))
        .await;
    assert_eq!(r.status(), 200);

    let post = app.post_id("区交通局", "驾驶员").await;
    sqlx::query("UPDATE risk_sheets SET stage = 'collective_review' WHERE post_id = ?")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    let liaison = app.session_cookie("lianluo").await;
    let unit = app.unit("区交通局").await;
    let r = app
        .post_json("/api/meetings", Some(&liaison), &json!({ "unit_id": unit, "post_ids": [post],
            "held_on": today.to_string(), "attendees": "局长、分管副局长", "decision": "同意公示", "minutes_ref": "〔2026〕1号" }))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (until, at): (i64, i64) = sqlx::query_as(
        "SELECT rs.notice_until, t.at FROM risk_sheets rs JOIN sheet_transitions t ON t.sheet_id = rs.id AND t.to_stage = 'public_notice' WHERE rs.post_id = ?",
    )
    .bind(post)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let days = (until - at) / 86_400_000;
    assert!(
        days >= 13,
        "three working days after ten days off run at least 13 days: {days}"
    );
    let mut conn = app.db.pool().acquire().await.unwrap();
    let settings = server::store::settings::load(&mut conn).await.unwrap();
    assert_eq!(until, settings.notice_until(at));
    // Bad input is refused with the field named; the settings stay.
    let (status, code, body) = error_code(
        app.post_json("/api/settings", Some(&shenhe), &json!({ "notice_days": 0, "cadence_first": 6, "cadence_second": 12, "cadence_third": 24 })).await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "out_of_range"), "{body}");
    assert_eq!(body["field"], "notice_days");
    let (_, code, body) = error_code(
        app.post_json(
            "/api/settings/calendar",
            Some(&shenhe),
            &json!({ "days": "2027-02-30 放假" }),
        )
        .await,
    )
    .await;
    assert_eq!(code, "invalid_date", "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("第 1 行："));
    // Only the commission sets them.
    let admin = app.session_cookie("admin").await;
    let r = app
        .post_json("/api/settings", Some(&admin), &json!({ "notice_days": 5, "cadence_first": 6, "cadence_second": 12, "cadence_third": 24 }))
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind IN ('settings_changed', 'calendar_imported')").await,
        2
    );
}

#[tokio::test]
async fn a_re_review_falls_due_by_the_cadence_the_commission_set() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    approve(&app, post).await;
    sqlx::query("UPDATE posts SET key_post = 1, supervision_grade = 'first' WHERE id = ?")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    let shenhe = app.session_cookie("shenhe").await;
    let r = app
        .post_json("/api/settings", Some(&shenhe), &json!({ "notice_days": 5, "cadence_first": 2, "cadence_second": 12, "cadence_third": 24 }))
        .await;
    assert_eq!(r.status(), 200);
    let org = app.db.directory().org().await.unwrap();
    let today = domain::risk::IsoDate::of_instant(server::db::now_ms());
    // Due two months after approval: listed when due, overdue after, not two months ahead.
    let in_months = |m: u32| today.add_months(m);
    let due = server::rounds::re_reviews(&app.db, &org, in_months(2))
        .await
        .unwrap();
    let entry = due
        .iter()
        .find(|r| r.post_id == post)
        .expect("listed when due");
    assert_eq!(entry.due_on, in_months(2).to_string());
    assert!(!entry.overdue);
    let late = server::rounds::re_reviews(&app.db, &org, in_months(3))
        .await
        .unwrap();
    assert!(late.iter().any(|r| r.post_id == post && r.overdue));
    let early = server::rounds::re_reviews(&app.db, &org, today)
        .await
        .unwrap();
    assert!(
        !early.iter().any(|r| r.post_id == post),
        "not yet within a month of due"
    );
}

#[tokio::test]
async fn a_rounds_matrix_rates_its_drafts_again_and_leaves_sheets_in_review_as_they_were() {
    let app = spawn_app().await;
    let draft = app.post_id("区交通局", "驾驶员").await;
    let submitted = app.post_id("区交通局", "工程计量支付岗").await;
    sqlx::query("UPDATE risk_sheets SET stage = 'section_review' WHERE post_id = ?")
        .bind(submitted)
        .execute(app.db.pool())
        .await
        .unwrap();
    let levels = |post: i64| {
        let pool = app.db.pool().clone();
        async move {
            sqlx::query_as::<_, (i64, i64, String)>(
                "SELECT p.likelihood, p.impact, p.level FROM risk_points p JOIN current_sheets s ON s.id = p.sheet_id WHERE s.post_id = ? ORDER BY p.position",
            )
            .bind(post)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let submitted_before = levels(submitted).await;
    let round = app.count("SELECT id FROM current_round").await;
    let changes_before = app.count("SELECT COUNT(*) FROM changes").await;
    let shenhe = app.session_cookie("shenhe").await;
    let r = app
        .post_json(
            &format!("/api/rounds/{round}/matrix"),
            Some(&shenhe),
            &json!({ "high_min": 4, "medium_min": 2 }),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let done: Value = r.json().await.unwrap();
    assert!(done["drafts"].as_u64().unwrap() >= 1, "{done}");
    for (l, i, level) in levels(draft).await {
        let expected = if l * i >= 4 {
            "high"
        } else if l * i >= 2 {
            "medium"
        } else {
            "low"
        };
        assert_eq!(level, expected, "{l} × {i}");
    }
    assert_eq!(levels(submitted).await, submitted_before);
    assert!(
        app.count("SELECT COUNT(*) FROM changes").await > changes_before,
        "devices pull the new levels"
    );
    let (_, code, _) = error_code(
        app.post_json(
            &format!("/api/rounds/{round}/matrix"),
            Some(&shenhe),
            &json!({ "high_min": 5, "medium_min": 9 }),
        )
        .await,
    )
    .await;
    assert_eq!(code, "invalid_matrix");
    let liaison = app.session_cookie("lianluo").await;
    let r = app
        .post_json(
            &format!("/api/rounds/{round}/matrix"),
            Some(&liaison),
            &json!({ "high_min": 15, "medium_min": 8 }),
        )
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_leadership_post_is_promised_on_the_leadership_template_and_others_on_the_general_one() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let body = "本人{{姓名}}作为{{单位}}{{岗位}}，对班子成员廉洁从政负主体责任：\n{{风险点及防控措施}}\n{{日期}}";
    let r = app
        .post_json(
            "/api/commitment-template",
            Some(&shenhe),
            &json!({ "post_level": "Leadership", "title": "领导干部廉政承诺书", "body": body }),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let leader = app.post_id("区交通局", "局长").await;
    let general = app.post_id("区交通局", "驾驶员").await;
    approve(&app, leader).await;
    approve(&app, general).await;
    let title = |post: i64| {
        let pool = app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT title FROM commitments WHERE post_id = ?")
                .bind(post)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(title(leader).await, "领导干部廉政承诺书");
    assert_eq!(title(general).await, "廉政风险防范承诺书");
    // The page shows the leadership template, and says the middle level uses the general one.
    let r = app
        .server_fn("template", Some(&shenhe), "post_level=Middle")
        .await;
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["inherited"], true, "{view}");
}

#[tokio::test]
async fn an_import_into_a_database_without_a_district_or_a_round_says_what_to_set_up_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = server::db::Db::open(&dir.path().join("empty.db"))
        .await
        .unwrap();
    let table = "unit,post,post_level,duty,risk_point,category,power_type,likelihood,impact,level,measures\n\
                 区交通局,驾驶员,其它岗位,驾驶车辆,公车私用或虚报油耗,岗位职责风险,财务报销权,3,3,二级,制度防范：车辆使用登记";
    let import = |db: server::db::Db| async move {
        server::exchange::import(
            &db,
            table.as_bytes(),
            &server::exchange::ImportScope::District,
            server::exchange::ImportMode::DryRun,
        )
        .await
        .unwrap()
    };
    let report = import(db.clone()).await;
    assert_eq!(report.rejected[0].code, "no_district");
    let district = server::org::NewUnit {
        parent_id: None,
        name: "某某区",
        kind: None,
        district_leader: "",
    };
    server::org::create_unit(&db, server::actor::Actor::Operator, &district)
        .await
        .unwrap();
    let report = import(db.clone()).await;
    assert_eq!(report.rejected[0].code, "no_round");
    assert!(report.rejected[0]
        .message
        .contains("请区纪委先在“排查批次”中启动"));
    assert_eq!(report.accepted_rows, 0);
}

#[tokio::test]
async fn the_district_pages_render_on_the_server_for_those_who_use_them() {
    let app = spawn_app().await;
    for (who, page, text) in [
        ("admin", "/admin/org", "组织机构"),
        ("admin", "/admin/org/import", "导入组织机构与花名册"),
        ("shenhe", "/settings", "区纪委设置"),
        ("shenhe", "/admin/org", "组织机构"),
    ] {
        let cookie = app.session_cookie(who).await;
        let response = app
            .client
            .get(app.url(page))
            .header(header::COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{who} {page}");
        let html = response.text().await.unwrap();
        assert!(html.contains(text), "{who} {page}");
    }
}
