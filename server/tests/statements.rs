//! Pages and pushes that must cost a fixed number of SQL statements, whatever the size of what
//! they read. Counted from sqlx's own record of each statement it runs
//! (`server::db::statements`), in a test binary of their own so no other test's statements mix
//! in. One test, so nothing else runs meanwhile.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use server::db::statements;

#[tokio::test]
async fn a_handbook_costs_the_same_statements_for_one_unit_and_for_the_whole_district() {
    statements::install();
    let app = helpers::spawn_app().await;
    let cookie = app.session_cookie("shenhe").await;
    let unit = |name: &'static str| {
        let pool = app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM org_units WHERE name = ?")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // One request first, so that the directory (the org tree and the reader's roles, kept in
    // memory) is loaded: what is compared is the handbook's own cost.
    let warm = unit("区招标办").await;
    let response = app
        .server_fn("handbook", Some(&cookie), &format!("unit_id={warm}"))
        .await;
    assert_eq!(response.status(), 200);
    let mut costs = Vec::new();
    for name in ["区招标办", "清河街道办事处", "示范区"] {
        let id = unit(name).await;
        let (posts, statements) = statements::record(async {
            let response = app
                .server_fn("handbook", Some(&cookie), &format!("unit_id={id}"))
                .await;
            assert_eq!(response.status(), 200);
            let book: serde_json::Value = response.json().await.unwrap();
            book["posts"].as_array().unwrap().len()
        })
        .await;
        costs.push((name, posts, statements.len(), statements));
    }
    // 3 posts, 7 posts (villages included), 26 posts: the same number of statements.
    assert_eq!(
        costs.iter().map(|c| c.1).collect::<Vec<_>>(),
        [3, 7, 26],
        "{costs:?}"
    );
    assert!(
        costs.iter().all(|c| c.2 == costs[0].2 && c.2 > 0),
        "{costs:?}"
    );
}
