//! The demo district.

use server::seed;

use super::helpers::spawn_app;

async fn counts(app: &super::helpers::TestApp) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for table in [
        "org_units",
        "users",
        "role_assignments",
        "posts",
        "post_holders",
        "duties",
        "rounds",
        "round_scope",
        "risk_sheets",
        "risk_points",
        "measures",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        out.push((table.to_owned(), n));
    }
    out
}

#[tokio::test]
async fn seeding_the_demo_district_twice_duplicates_nothing() {
    let app = spawn_app().await; // seeded once
    let before = counts(&app).await;
    seed::seed_demo(&app.db, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    assert_eq!(counts(&app).await, before);
    let get = |t: &str| before.iter().find(|(n, _)| n == t).unwrap().1;
    assert_eq!(get("risk_points"), 26);
    assert_eq!(get("posts"), 26);
    assert_eq!(
        get("users"),
        46,
        "30 holders, 3 reviewers in each of 6 units, 2 district staff"
    );
    assert!(get("measures") >= 78);
}

#[tokio::test]
async fn the_demo_tree_puts_villages_under_their_sub_district() {
    let app = spawn_app().await;
    let row: (String, String) = sqlx::query_as(
        "SELECT c.kind, p.name FROM org_units c JOIN org_units p ON p.id = c.parent_id WHERE c.name = '东村'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(row, ("village".to_owned(), "清河街道办事处".to_owned()));
}

#[tokio::test]
async fn every_demo_unit_has_its_sections_and_its_three_reviewers() {
    let app = spawn_app().await;
    for unit in [
        "区交通局",
        "区招标办",
        "区卫生局",
        "区教育局",
        "区城管执法局",
        "清河街道办事处",
    ] {
        let sections = app
            .count(&format!(
                "SELECT COUNT(*) FROM org_units c JOIN org_units u ON u.id = c.parent_id WHERE u.name = '{unit}' AND c.kind = 'section'"
            ))
            .await;
        assert!(sections >= 2, "{unit} has sections");
        for role in ["section_head", "leader_in_charge", "unit_liaison"] {
            let n = app
                .count(&format!(
                    "SELECT COUNT(*) FROM role_assignments r JOIN org_units u ON u.id = r.scope_unit_id WHERE u.name = '{unit}' AND r.role = '{role}'"
                ))
                .await;
            assert_eq!(n, 1, "{unit} has a {role}");
        }
    }
    let beneath = app
        .count(
            "SELECT COUNT(*) FROM org_units c JOIN org_units p ON p.id = c.parent_id WHERE p.name = '清河街道办事处' AND c.kind IN ('village', 'community')",
        )
        .await;
    assert_eq!(beneath, 2, "东村 and 西苑社区");
}
