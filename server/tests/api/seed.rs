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
    assert_eq!(get("users"), 31);
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
