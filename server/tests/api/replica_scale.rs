//! A replica that fits at any scale (issue 14): on a generated district of the measured size
//! (1,226 more posts, 8,426 more risk points, 25,278 more measures, through the importer), each
//! demo role's replica, pulled to the end as a browser pulls it, with every sheet it may read
//! awaiting it at once (the worst case for a reviewer). Prints the sizes beside the baseline of
//! this same run: the whole district the commission may read, which is what a replica held
//! before it was scoped (7.4 MB, more than local storage holds).

use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::{spawn_app, TestApp};

/// What local storage may hold for one replica: well inside the ~5 MB browsers give a site.
const LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// Bytes as local storage counts them (UTF-16).
fn stored_bytes(v: &Value) -> usize {
    v.to_string().encode_utf16().count() * 2
}

/// A replica pulled as the browser pulls it: pages until `more` is false, each saying what it
/// holds.
#[derive(Default)]
struct Pulled {
    sheets: std::collections::BTreeMap<i64, Value>,
    points: std::collections::BTreeMap<String, Value>,
    cursor: Value,
}

impl Pulled {
    async fn sync(&mut self, app: &TestApp, cookie: &str, user: &str) {
        let mut resume = Value::Null;
        loop {
            let have: Vec<i64> = self.sheets.keys().copied().collect();
            let body = json!({ "user": user, "client_id": Uuid::new_v4(), "cursor": self.cursor,
                               "resume_after_post": resume, "have": have });
            let page: Value = app.sync(cookie, &body).await.json().await.unwrap();
            assert!(page["cursor"].is_i64(), "{page}");
            if page["full"] == true {
                self.sheets.clear();
                self.points.clear();
            }
            for post in page["dropped"].as_array().into_iter().flatten() {
                self.sheets.remove(&post.as_i64().unwrap());
                self.points.retain(|_, p| p["post_id"] != *post);
            }
            for s in page["sheets"].as_array().unwrap() {
                self.sheets
                    .insert(s["post_id"].as_i64().unwrap(), s.clone());
            }
            for p in page["risk_points"].as_array().unwrap() {
                self.points
                    .insert(p["id"].as_str().unwrap().to_owned(), p.clone());
            }
            self.cursor = page["cursor"].clone();
            resume = page["resume_after_post"].clone();
            if page["more"] != true {
                break;
            }
        }
    }

    fn bytes(&self) -> usize {
        let sheets: Vec<&Value> = self.sheets.values().collect();
        let points: Vec<&Value> = self.points.values().collect();
        stored_bytes(&json!({ "sheets": sheets, "points": points }))
    }
}

async fn all_at(app: &TestApp, stage: &str) {
    sqlx::query("UPDATE risk_sheets SET stage = ?")
        .bind(stage)
        .execute(app.db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn at_district_scale_every_demo_roles_replica_fits_well_inside_the_quota() {
    let app = spawn_app().await;
    let written = server::seed::seed_generated(&app.db, 1_226).await.unwrap();
    assert_eq!(written, 8_426);
    let posts: Vec<i64> = sqlx::query_scalar("SELECT post_id FROM current_sheets ORDER BY post_id")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(posts.len() > 1_226);

    // The baseline: every sheet the commission may read (all of them, whatever their stage),
    // brought in twenty at a time as sheets it opened. Then none stays opened.
    all_at(&app, "self_check").await;
    let commission = app.session_cookie("shenhe").await;
    let mut district_bytes = 0;
    let mut district = Pulled::default();
    for chunk in posts.chunks(20) {
        for post in chunk {
            app.open_sheet(&commission, *post).await;
        }
        let mut part = Pulled::default();
        part.sync(&app, &commission, "shenhe").await;
        district_bytes += part.bytes();
        district.points.extend(part.points);
    }
    assert_eq!(
        district.points.len() as i64,
        app.count("SELECT COUNT(*) FROM risk_points").await
    );
    sqlx::query("DELETE FROM sheet_views")
        .execute(app.db.pool())
        .await
        .unwrap();
    println!(
        "replica: baseline, the whole district: {} sheets, {} points, {} KB",
        posts.len(),
        district.points.len(),
        district_bytes / 1024
    );

    let roles = [
        ("zhangwei", "self_check", "post holder"),
        ("kezhang", "section_review", "section head"),
        ("fenguan", "leader_confirmation", "leader in charge"),
        ("lianluo", "collective_review", "unit liaison"),
        ("shenhe", "commission_audit", "commission reviewer"),
    ];
    for (user, stage, what) in roles {
        all_at(&app, stage).await;
        let cookie = app.session_cookie(user).await;
        let mut replica = Pulled::default();
        replica.sync(&app, &cookie, user).await;
        let bytes = replica.bytes();
        println!(
            "replica: {what} ({user}), every sheet at {stage}: {} sheets, {} points, {} KB ({:.1}% of the district)",
            replica.sheets.len(),
            replica.points.len(),
            bytes / 1024,
            100.0 * bytes as f64 / district_bytes as f64
        );
        assert!(
            !replica.sheets.is_empty(),
            "{user} has something to read offline"
        );
        assert!(bytes < LIMIT_BYTES, "{user}: {bytes} bytes");
    }
    assert!(
        district_bytes > LIMIT_BYTES,
        "the baseline would not fit: {district_bytes} bytes"
    );
}
