//! 风险库 through the real router: the commission reads the proposals the grouping makes from the
//! demo district's points, confirms one as an entry with its wording and measures, and the links
//! survive a new grouping (the linked points are proposed no more, a new similar point is proposed
//! for the entry); the wording is edited and a point taken out again; bad confirmations (no
//! points, a point on no current sheet, points of two kinds of power, a point already in an entry,
//! a wording too short, measures without a kind) are refused with their field or rule and change
//! nothing. Every act is in the audit log.

use serde_json::{json, Value};

use super::helpers::{error_code, push, spawn_app, TestApp};

async fn catalogue(app: &TestApp, cookie: &str) -> Value {
    let response = app.server_fn("catalogue", Some(cookie), "").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The points of the first proposal of `kind`.
fn proposal_of(view: &Value, kind: &str) -> Option<Value> {
    view["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == kind)
        .cloned()
}

fn points_of(proposal: &Value) -> Vec<String> {
    proposal["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["point"].as_str().unwrap().to_owned())
        .collect()
}

async fn confirm(app: &TestApp, cookie: &str, body: Value) -> reqwest::Response {
    app.post_json("/api/catalogue/entries", Some(cookie), &body)
        .await
}

#[tokio::test]
async fn a_confirmed_group_links_its_points_and_survives_a_new_grouping() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let view = catalogue(&app, &shenhe).await;
    assert_eq!(view["linked"], 0);
    assert!(view["points"].as_u64().unwrap() >= 26, "{view}");
    // The demo's three procurement points (medicines, school supplies, the canteen) all take
    // kickbacks from suppliers: one proposal.
    let proposal = proposal_of(&view, "物资采购").expect("a procurement proposal");
    let points = points_of(&proposal);
    assert_eq!(points.len(), 3, "{proposal}");
    assert!(proposal["score"].as_u64().unwrap() >= 20, "{proposal}");
    assert!(proposal["entry"].is_null());

    let response = confirm(
        &app,
        &shenhe,
        json!({ "wording": "物资采购中指定供应商、收受回扣", "measures": "制度防范:三家以上比价;监督预警：纪检季度抽查",
                "points": points }),
    )
    .await;
    assert_eq!(response.status(), 200);
    let saved: Value = response.json().await.unwrap();
    assert_eq!(saved["linked"], 3);
    let entry = saved["id"].as_i64().unwrap();

    let view = catalogue(&app, &shenhe).await;
    assert_eq!(view["linked"], 3);
    assert!(
        proposal_of(&view, "物资采购").is_none(),
        "linked points are proposed no more: {view}"
    );
    let stored = &view["entries"][0];
    assert_eq!(stored["id"], entry);
    assert_eq!(stored["kind"], "物资采购");
    assert_eq!(stored["wording"], "物资采购中指定供应商、收受回扣");
    assert_eq!(
        stored["measures"], "制度防范：三家以上比价；监督预警：纪检季度抽查",
        "measures stored in one form"
    );
    let mut linked: Vec<String> = stored["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["point"].as_str().unwrap().to_owned())
        .collect();
    let mut expected = points.clone();
    linked.sort();
    expected.sort();
    assert_eq!(linked, expected);

    // A holder writes a similar point: the next grouping proposes adding it to the entry.
    let chenjing = app.session_cookie("chenjing").await;
    let post = app.post_id("区交通局", "驾驶员").await;
    let new_point = uuid::Uuid::new_v4();
    let op = json!({
        "id": uuid::Uuid::new_v4(), "seq": 1, "type": "upsert_risk_point", "post_id": post,
        "risk_point_id": new_point,
        "risk_point": {
            "duty": "负责车辆维修配件的采购", "description": "采购维修配件时指定供应商，收受回扣",
            "category": "duty", "power_type": "物资采购权", "likelihood": 3, "impact": 3, "frequency": 2,
            "measures": [{ "kind": "institutional", "text": "配件采购三家比价" }]
        }
    });
    let pushed: Value = app
        .sync(&chenjing, &push("chenjing", uuid::Uuid::new_v4(), &[op]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed["results"][0]["status"], "applied", "{pushed}");
    let view = catalogue(&app, &shenhe).await;
    let proposal = proposal_of(&view, "物资采购").expect("the new point is proposed");
    assert_eq!(proposal["entry"]["id"], entry, "{proposal}");
    assert_eq!(points_of(&proposal), vec![new_point.to_string()]);
    let response = confirm(
        &app,
        &shenhe,
        json!({ "entry": entry, "points": [new_point.to_string()] }),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(catalogue(&app, &shenhe).await["linked"], 4);
    // Editing the point keeps its link (points are updated in place).
    let edit = json!({
        "id": uuid::Uuid::new_v4(), "seq": 2, "type": "upsert_risk_point", "post_id": post,
        "risk_point_id": new_point, "base_version": 1,
        "risk_point": {
            "duty": "负责车辆维修配件的采购", "description": "采购维修配件时指定供应商，收受回扣和好处费",
            "category": "duty", "power_type": "物资采购权", "likelihood": 3, "impact": 3, "frequency": 2,
            "measures": [{ "kind": "institutional", "text": "配件采购三家比价" }]
        }
    });
    let pushed: Value = app
        .sync(&chenjing, &push("chenjing", uuid::Uuid::new_v4(), &[edit]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed["results"][0]["status"], "applied", "{pushed}");
    assert_eq!(catalogue(&app, &shenhe).await["linked"], 4);

    // The wording is edited; a point is taken out and is proposed again.
    let response = app
        .post_json(
            &format!("/api/catalogue/entries/{entry}"),
            Some(&shenhe),
            &json!({ "wording": "物资采购中收受供应商回扣", "measures": "" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .post_json(
            "/api/catalogue/unlink",
            Some(&shenhe),
            &json!({ "point": new_point.to_string() }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let view = catalogue(&app, &shenhe).await;
    assert_eq!(view["entries"][0]["wording"], "物资采购中收受供应商回扣");
    assert_eq!(view["entries"][0]["measures"], "");
    assert_eq!(view["linked"], 3);
    assert_eq!(
        points_of(&proposal_of(&view, "物资采购").unwrap()),
        vec![new_point.to_string()]
    );

    for kind in [
        "catalogue_entry_created",
        "catalogue_points_linked",
        "catalogue_entry_edited",
        "catalogue_point_unlinked",
    ] {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE kind = '{kind}'"
            ))
            .await;
        assert!(n >= 1, "{kind} is audited");
    }
}

#[tokio::test]
async fn bad_confirmations_are_refused_by_their_rule_and_change_nothing() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let view = catalogue(&app, &shenhe).await;
    let procurement = points_of(&proposal_of(&view, "物资采购").unwrap());
    let other = view["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] != "物资采购")
        .map(points_of)
        .expect("a proposal of another kind");
    let links = || app.count("SELECT COUNT(*) FROM catalogue_links");
    let entries = || app.count("SELECT COUNT(*) FROM catalogue_entries");

    let cases = [
        (
            json!({ "wording": "采购收受回扣", "points": [] }),
            "required",
            "points",
        ),
        (
            json!({ "wording": "采购收受回扣", "points": ["00000000-0000-0000-0000-000000000000"] }),
            "unknown_point",
            "",
        ),
        (
            json!({ "wording": "采购收受回扣", "points": [procurement[0], other[0]] }),
            "kind_mismatch",
            "",
        ),
        (
            json!({ "wording": "回扣", "points": procurement }),
            "too_short",
            "wording",
        ),
        (
            json!({ "wording": "采购收受回扣", "measures": "没有类别的措施", "points": procurement }),
            "",
            "measures",
        ),
        (
            json!({ "entry": 999, "points": procurement }),
            "not_found",
            "",
        ),
    ];
    for (body, code, field) in cases {
        let (status, got, error) = error_code(confirm(&app, &shenhe, body.clone()).await).await;
        assert!(status == 400 || status == 404, "{body}: {status} {error}");
        if !code.is_empty() {
            assert_eq!(got, code, "{body}: {error}");
        }
        if !field.is_empty() {
            assert_eq!(error["field"], field, "{body}: {error}");
        }
        assert!(!error["message"].as_str().unwrap_or_default().is_empty());
        assert_eq!(links().await, 0, "{body} linked nothing");
        assert_eq!(entries().await, 0, "{body} created nothing");
    }

    // A point already in an entry is refused with the entry's wording, and the whole second
    // confirmation (its other point too) is undone.
    let first = confirm(
        &app,
        &shenhe,
        json!({ "wording": "采购中收受回扣", "points": [procurement[0]] }),
    )
    .await;
    assert_eq!(first.status(), 200);
    let (status, code, error) = error_code(
        confirm(
            &app,
            &shenhe,
            json!({ "wording": "另一个采购条目", "points": [procurement[1], procurement[0]] }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (400, "already_in_catalogue"),
        "{error}"
    );
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("采购中收受回扣"));
    assert_eq!(links().await, 1);
    assert_eq!(entries().await, 1);

    let (status, code, _) = error_code(
        app.post_json(
            "/api/catalogue/unlink",
            Some(&shenhe),
            &json!({ "point": procurement[2] }),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "not_linked"));
    let (status, _, _) = error_code(
        app.post_json(
            "/api/catalogue/entries/999",
            Some(&shenhe),
            &json!({ "wording": "采购中收受回扣" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
}
