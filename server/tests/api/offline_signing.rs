//! Signing a commitment offline (issue 14): the commitment reaches the signer's replica, the
//! signing comes back as a queued operation with the proof of the signer's password, the hash of
//! the text they read and the device's clock; it is sealed once, with both times; and every way
//! it can be wrong is refused with a reason, sealing nothing.

use domain::commitment::{offline_proof, text_hash, OfflineSigning, Signature};
use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::{approve, push, session_cookie_of, spawn_app, TestApp, PASSWORD};

/// A signer's session and offline key, as the app gets them at an online sign-in.
struct Signer {
    username: &'static str,
    cookie: String,
    key: Vec<u8>,
}

async fn sign_in(app: &TestApp, username: &'static str) -> Signer {
    sign_in_with(app, username, PASSWORD).await
}

async fn sign_in_with(app: &TestApp, username: &'static str, password: &str) -> Signer {
    let response = app.login_json(username, password).await;
    assert_eq!(response.status(), 200);
    let cookie = session_cookie_of(&response);
    let body: Value = response.json().await.unwrap();
    let key = hex::decode(body["offline_key"].as_str().expect("an offline key")).unwrap();
    assert_eq!(key.len(), 32);
    Signer {
        username,
        cookie,
        key,
    }
}

async fn verification_page(app: &TestApp, token: &str) -> String {
    let response = app.client.get(app.url(&format!("/verify/{token}"))).send();
    response.await.unwrap().text().await.unwrap()
}

fn strokes() -> Vec<Vec<[i32; 2]>> {
    vec![
        vec![[100, 200], [180, 120], [260, 240]],
        vec![[300, 100], [320, 300]],
    ]
}

/// A signing operation as the app queues it, its proof made with `key`.
fn signing_op(
    signer: &Signer,
    key: &[u8],
    commitment: i64,
    hash: &str,
    strokes: Vec<Vec<[i32; 2]>>,
    device_signed_at: i64,
) -> Value {
    let signature = Signature::Drawn(strokes.clone());
    let id = Uuid::new_v4();
    let proof = offline_proof(
        key,
        &OfflineSigning {
            op_id: &id.to_string(),
            username: signer.username,
            commitment_id: commitment,
            text_hash: hash,
            signature: &signature,
            device_signed_at,
        },
    );
    json!({ "id": id, "seq": 1, "type": "sign_commitment", "commitment_id": commitment,
            "text_hash": hash, "signature_kind": "drawn", "signature": signature.canonical(),
            "device_signed_at": device_signed_at, "proof": proof })
}

async fn sync(app: &TestApp, signer: &Signer, ops: &[Value], digest: Option<&str>) -> Value {
    let mut body = push(signer.username, Uuid::new_v4(), ops);
    if let Some(digest) = digest {
        body["commitments_digest"] = json!(digest);
    }
    let response = app.sync(&signer.cookie, &body).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// The driver's sheet approved, so that 陈静 has a commitment to sign; her replica's copy of it.
async fn commitment_in_replica(app: &TestApp, signer: &Signer) -> (Value, String) {
    let post = app.post_id("区交通局", "驾驶员").await;
    approve(app, post).await;
    let pulled = sync(app, signer, &[], None).await;
    let list = pulled["commitments"].as_array().expect("the commitments");
    assert_eq!(list.len(), 1, "{pulled}");
    let c = list[0].clone();
    assert_eq!(
        c["text_hash"].as_str().unwrap(),
        text_hash(c["title"].as_str().unwrap(), c["body"].as_str().unwrap())
    );
    assert!(c["body"].as_str().unwrap().contains("本人陈静"));
    assert!(c["signed_at"].is_null());
    let digest = pulled["commitments_digest"].as_str().unwrap().to_owned();
    // Unchanged, they are not sent again.
    let again = sync(app, signer, &[], Some(&digest)).await;
    assert!(again.get("commitments").is_none(), "{again}");
    assert_eq!(again["commitments_digest"], json!(digest));
    (c, digest)
}

fn rejected(body: &Value) -> (&str, &str) {
    let r = &body["results"][0];
    assert_eq!(r["status"], "rejected", "{body}");
    (r["code"].as_str().unwrap(), r["message"].as_str().unwrap())
}

async fn sealed(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM commitments WHERE seal IS NOT NULL")
        .await
}

#[tokio::test]
async fn an_offline_signing_is_sealed_once_with_both_times_and_the_public_page_says_so() {
    let app = spawn_app().await;
    let signer = sign_in(&app, "chenjing").await;
    let (c, digest) = commitment_in_replica(&app, &signer).await;
    let id = c["id"].as_i64().unwrap();
    let hash = c["text_hash"].as_str().unwrap().to_owned();
    let device_time = now_ms() - 3 * 60 * 1000;

    let op = signing_op(&signer, &signer.key, id, &hash, strokes(), device_time);
    let first = sync(&app, &signer, std::slice::from_ref(&op), Some(&digest)).await;
    assert_eq!(first["results"][0]["status"], "applied", "{first}");
    // The same operation again (the answer was lost): the same answer, sealed once.
    let retry = sync(&app, &signer, std::slice::from_ref(&op), None).await;
    assert_eq!(retry["results"][0], first["results"][0]);
    assert_eq!(sealed(&app).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'signature'")
            .await,
        1
    );
    // The replica learns it is signed, with both times.
    let mine = &first["commitments"][0];
    assert_eq!(mine["device_signed_at"], json!(device_time));
    let server_time = mine["signed_at"].as_i64().unwrap();
    assert!(server_time >= device_time);

    // A second signing of the same commitment (another device) seals nothing more.
    let other = signing_op(&signer, &signer.key, id, &hash, strokes(), now_ms());
    let body = sync(&app, &signer, &[other], None).await;
    assert_eq!(rejected(&body).0, "already_signed");
    assert_eq!(sealed(&app).await, 1);

    // The log entry says it was signed offline, and when the device said.
    let payload: String =
        sqlx::query_scalar("SELECT payload FROM audit_log WHERE kind = 'signature'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["offline"], json!(true));
    assert_eq!(payload["device_signed_at"], json!(device_time));

    // The public page: verified, signed offline, both times.
    let token = c["token"].as_str().unwrap();
    let html = verification_page(&app, token).await;
    assert!(html.contains("验证通过"), "{html}");
    assert!(html.contains("离线签署，设备时间："));
    assert!(html.contains(&domain::time::china_time(device_time)));
    assert!(html.contains(&domain::time::china_time(server_time)));
    assert!(html.contains("服务器封存时间"));

    // Someone with the file moves the device time: the seal no longer matches.
    sqlx::query("DROP TRIGGER commitments_sealed_no_update")
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE commitments SET device_signed_at = device_signed_at + 1")
        .execute(app.db.pool())
        .await
        .unwrap();
    let html = verification_page(&app, token).await;
    assert!(html.contains("验证失败"), "{html}");
}

#[tokio::test]
async fn every_wrong_offline_signing_is_refused_with_its_reason_and_seals_nothing() {
    let app = spawn_app().await;
    let signer = sign_in(&app, "chenjing").await;
    let (c, _) = commitment_in_replica(&app, &signer).await;
    let id = c["id"].as_i64().unwrap();
    let hash = c["text_hash"].as_str().unwrap().to_owned();
    let now = now_ms();

    let cases: Vec<(Value, &str)> = vec![
        // Not made with her key: whoever made it did not know her password.
        (
            signing_op(&signer, &[9u8; 32], id, &hash, strokes(), now),
            "offline_proof_invalid",
        ),
        // The text she read is not the commitment's text.
        (
            signing_op(&signer, &signer.key, id, &"0".repeat(64), strokes(), now),
            "text_changed",
        ),
        // A device clock a day ahead.
        (
            signing_op(&signer, &signer.key, id, &hash, strokes(), now + 86_400_000),
            "device_time_future",
        ),
        // Long before the commitment existed.
        (
            signing_op(&signer, &signer.key, id, &hash, strokes(), now - 86_400_000),
            "device_time_past",
        ),
        // A signature far too large for the pad.
        (
            signing_op(
                &signer,
                &signer.key,
                id,
                &hash,
                vec![vec![[5, 5]; 30]; 300],
                now,
            ),
            "signature_invalid",
        ),
        // Strokes outside the pad.
        (
            signing_op(
                &signer,
                &signer.key,
                id,
                &hash,
                vec![vec![[5, 5], [1200, 5]]],
                now,
            ),
            "signature_invalid",
        ),
        // A commitment that does not exist.
        (
            signing_op(&signer, &signer.key, id + 100, &hash, strokes(), now),
            "not_found",
        ),
    ];
    for (op, code) in cases {
        let body = sync(&app, &signer, &[op], None).await;
        let (got, message) = rejected(&body);
        assert_eq!(got, code, "{body}");
        assert!(!message.is_empty() && !message.is_ascii(), "{message}");
    }
    // A proof made for another operation: the same signing sent again under a new id.
    let mut replayed = signing_op(&signer, &signer.key, id, &hash, strokes(), now);
    replayed["id"] = json!(Uuid::new_v4());
    assert_eq!(
        rejected(&sync(&app, &signer, &[replayed], None).await).0,
        "offline_proof_invalid"
    );
    // Strokes that cannot be read back.
    let mut garbled = signing_op(&signer, &signer.key, id, &hash, strokes(), now);
    garbled["signature"] = json!("[[100,200],[180");
    assert_eq!(
        rejected(&sync(&app, &signer, &[garbled], None).await).0,
        "signature_invalid"
    );
    // An operation that is not even readable is answered in its place.
    let unreadable =
        json!({ "id": Uuid::new_v4(), "seq": 1, "type": "sign_commitment", "commitment_id": id });
    let body = sync(&app, &signer, &[unreadable], None).await;
    assert_eq!(rejected(&body).0, "invalid", "{body}");

    // A colleague's session cannot sign her commitment, even with her key.
    let colleague = sign_in(&app, "lina").await;
    let forged = Signer {
        username: "lina",
        cookie: colleague.cookie.clone(),
        key: signer.key.clone(),
    };
    let op = signing_op(&forged, &signer.key, id, &hash, strokes(), now);
    assert_eq!(
        rejected(&sync(&app, &forged, &[op], None).await).0,
        "not_found"
    );
    assert_eq!(sealed(&app).await, 0);

    // Once an administrator resets her password, a signing made with the old key is refused,
    // and her next sign-in brings a new key that works.
    let old_key = signer.key.clone();
    let admin = app.session_cookie("admin").await;
    let temporary = "Temporary2026x";
    let reset = app
        .post_json(
            "/api/users/password-reset",
            Some(&admin),
            &json!({ "username": "chenjing", "temporary_password": temporary }),
        )
        .await;
    assert_eq!(reset.status(), 200);
    // Signed in with the temporary password, which whoever reset it knows: no key at all.
    let response = app.login_json("chenjing", temporary).await;
    let temporary_cookie = session_cookie_of(&response);
    let body: Value = response.json().await.unwrap();
    assert!(body["offline_key"].is_null(), "{body}");
    let change = json!({ "current_password": temporary, "new_password": "NewSecret2026" });
    let changed = app
        .post_json("/api/account/password", Some(&temporary_cookie), &change)
        .await;
    assert_eq!(changed.status(), 200);
    let signer = sign_in_with(&app, "chenjing", "NewSecret2026").await;
    assert_ne!(signer.key, old_key);
    // Her own change of password revokes the key sealed under the old one, too.
    let again = json!({ "current_password": "NewSecret2026", "new_password": "Newer2026Secret" });
    let changed = app
        .post_json("/api/account/password", Some(&signer.cookie), &again)
        .await;
    assert_eq!(changed.status(), 200);
    let before_change = signing_op(&signer, &signer.key, id, &hash, strokes(), now_ms());
    assert_eq!(
        rejected(&sync(&app, &signer, &[before_change], None).await).0,
        "offline_proof_invalid"
    );
    let signer = sign_in_with(&app, "chenjing", "Newer2026Secret").await;
    let stale = signing_op(&signer, &old_key, id, &hash, strokes(), now_ms());
    assert_eq!(
        rejected(&sync(&app, &signer, &[stale], None).await).0,
        "offline_proof_invalid"
    );
    assert_eq!(sealed(&app).await, 0);

    // The sheet changed while she was offline: her commitment is superseded, and her signing of
    // it is refused with the reason; the new commitment comes in her replica.
    sqlx::query("UPDATE commitments SET superseded = 1 WHERE id = ?")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let late = signing_op(&signer, &signer.key, id, &hash, strokes(), now_ms());
    let body = sync(&app, &signer, &[late], None).await;
    let (code, message) = rejected(&body);
    assert_eq!(code, "superseded");
    assert!(message.contains("新的承诺书"));
    assert_eq!(
        body["commitments"],
        json!([]),
        "a superseded commitment leaves the replica"
    );
    assert_eq!(sealed(&app).await, 0);
}
