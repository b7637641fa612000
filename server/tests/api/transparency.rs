//! The transparency log (issue 17): the Merkle tree kept in the store as entries are appended,
//! signed tree heads, and the public inclusion and consistency proofs — checked here with the
//! domain's RFC 9162 checks and by the independent Python verifier, on a real database.

use domain::merkle::{self, Hash};
use serde_json::{json, Value};
use server::{
    audit,
    transparency::{self, ConsistencyProof, HeadKey, InclusionProof, SignedHead},
};

use super::helpers::{approve, database_before, error_code, spawn_app, TestApp};

/// Appends `n` entries in one transaction, as acts of the server do.
async fn append_entries(db: &server::db::Db, n: i64) {
    let mut tx = db.begin_write().await.unwrap();
    for i in 0..n {
        audit::append(
            &mut tx,
            "test.entry",
            None,
            &format!("test:{i}"),
            &json!({ "i": i }),
            1_700_000_000_000 + i,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn entry_hashes(pool: &sqlx::SqlitePool) -> Vec<String> {
    sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY seq")
        .fetch_all(pool)
        .await
        .unwrap()
}

fn unhex(h: &str) -> Hash {
    hex::decode(h).unwrap().try_into().unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// Runs the Python verifier on `args` (files written into `dir`); whether it accepted.
fn python(dir: &std::path::Path, mode: &str, files: &[(&str, &Value)]) -> (bool, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/verify-log.py");
    let mut command = std::process::Command::new("python3");
    command.arg(script).arg(mode);
    for (name, value) in files {
        let path = dir.join(name);
        std::fs::write(&path, value.to_string()).unwrap();
        command.arg(path);
    }
    let out = command.output().expect("python3 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn proofs_from_the_stored_tree_verify_and_fail_when_altered_and_python_agrees() {
    let app = spawn_app().await;
    let n = 77u64;
    append_entries(&app.db, n as i64).await;
    let hashes = entry_hashes(app.db.pool()).await;
    assert_eq!(hashes.len() as u64, n);
    let leaves: Vec<Hash> = hashes.iter().map(|h| merkle::entry_leaf(h)).collect();
    let root = merkle::root(&leaves);

    // The tree kept as entries were appended is the tree of the log, as `verify` rebuilds it.
    let v = audit::verify(app.db.pool()).await.unwrap();
    let rebuilt = v.tree.expect("the chain verifies");
    assert_eq!(
        (rebuilt.size, rebuilt.root.as_str()),
        (n, hex::encode(root).as_str())
    );

    // A signed head over it, published with the key that signed it.
    let key = HeadKey::random();
    let head = transparency::issue(&app.db, &key).await.unwrap();
    assert!(head.verifies());
    assert_eq!((head.size, head.root.clone()), (n, hex::encode(root)));
    let heads = get_json(&app, "/api/transparency/heads").await;
    assert_eq!(heads["latest"]["root"], json!(head.root));
    assert_eq!(heads["heads"][0]["signature"], json!(head.signature));

    let dir = tempfile::tempdir().unwrap();
    let head_json = serde_json::to_value(&head).unwrap();
    assert!(python(dir.path(), "head", &[("head.json", &head_json)]).0);
    let mut bent_head = head_json.clone();
    bent_head["size"] = json!(n - 1);
    let (ok, text) = python(dir.path(), "head", &[("head.json", &bent_head)]);
    assert!(!ok, "{text}");

    // Inclusion: the ends, around powers of two, and a spread between.
    let mut seqs: Vec<u64> = vec![1, 2, 3, 31, 32, 33, 64, 65, 76, 77];
    seqs.extend((0..12).map(|i| (i * 37 + 11) % n + 1));
    for seq in seqs {
        let body = get_json(&app, &format!("/api/transparency/inclusion?seq={seq}")).await;
        let proof: InclusionProof = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(proof.size, n);
        assert_eq!(proof.entry_hash, hashes[(seq - 1) as usize]);
        assert_eq!(proof.head.as_ref(), Some(&head));
        let path: Vec<Hash> = proof.proof.iter().map(|h| unhex(h)).collect();
        let leaf = merkle::entry_leaf(&proof.entry_hash);
        assert!(
            merkle::verify_inclusion(seq - 1, n, &leaf, &path, &root),
            "{seq}"
        );
        // Another entry's leaf, or one hash of the path bent, fails.
        let other = leaves[(seq % n) as usize];
        assert!(
            !merkle::verify_inclusion(seq - 1, n, &other, &path, &root),
            "{seq}"
        );
        let mut bent = path.clone();
        bent[0][0] ^= 1;
        assert!(
            !merkle::verify_inclusion(seq - 1, n, &leaf, &bent, &root),
            "{seq}"
        );
        // The Python verifier says the same, on the answer as published.
        let (ok, text) = python(dir.path(), "inclusion", &[("proof.json", &body)]);
        assert!(ok, "{seq}: {text}");
        let mut altered = body.clone();
        altered["entry_hash"] = json!(hashes[(seq % n) as usize]);
        let (ok, text) = python(dir.path(), "inclusion", &[("proof.json", &altered)]);
        assert!(!ok, "{seq}: {text}");
    }

    // Consistency: from older sizes to the head; a rewritten old entry breaks it.
    for m in [0u64, 1, 2, 5, 31, 32, 33, 50, 64, 76, 77] {
        let body = get_json(&app, &format!("/api/transparency/consistency?from={m}")).await;
        let proof: ConsistencyProof = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(
            (proof.from, proof.to, proof.to_root.clone()),
            (m, n, head.root.clone())
        );
        let path: Vec<Hash> = proof.proof.iter().map(|h| unhex(h)).collect();
        let old_root = merkle::root(&leaves[..m as usize]);
        assert!(
            merkle::verify_consistency(m, n, &old_root, &root, &path),
            "{m}"
        );
        let old = json!({ "size": m, "root": hex::encode(old_root) });
        let (ok, text) = python(
            dir.path(),
            "consistency",
            &[("proof.json", &body), ("old.json", &old)],
        );
        assert!(ok, "{m}: {text}");
        if m >= 2 {
            let mut rewritten = leaves[..m as usize].to_vec();
            rewritten[1] = merkle::entry_leaf(&"0".repeat(64));
            let forged = merkle::root(&rewritten);
            assert!(
                !merkle::verify_consistency(m, n, &forged, &root, &path),
                "{m}"
            );
            let old = json!({ "size": m, "root": hex::encode(forged) });
            let (ok, text) = python(
                dir.path(),
                "consistency",
                &[("proof.json", &body), ("old.json", &old)],
            );
            assert!(!ok, "{m}: {text}");
        }
    }

    // Bad questions get a stable code and a Chinese message naming the numbers, and change
    // nothing.
    for (path, code, says) in [
        (
            "/api/transparency/inclusion?seq=78",
            "beyond_head",
            "第 78 条审计记录不在含 77 条记录的树头之内",
        ),
        (
            "/api/transparency/inclusion?seq=0",
            "beyond_head",
            "第 0 条",
        ),
        (
            "/api/transparency/inclusion?seq=3&size=500",
            "beyond_log",
            "审计记录现只有 77 条",
        ),
        (
            "/api/transparency/inclusion?seq=abc",
            "invalid_number",
            "审计记录序号（seq）应为非负整数",
        ),
        (
            "/api/transparency/inclusion",
            "missing_field",
            "请给出审计记录序号",
        ),
        (
            "/api/transparency/consistency?from=90",
            "truncated",
            "保存的树头含 90 条记录，现只有 77 条",
        ),
        (
            "/api/transparency/consistency?from=10&to=5",
            "beyond_head",
            "较早的树头（10 条）不能大于较新的树头（5 条）",
        ),
        (
            "/api/transparency/heads?before=-1",
            "invalid_number",
            "树头编号",
        ),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let (status, got, body) = error_code(response).await;
        assert_eq!((status, got.as_str()), (400, code), "{path}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{path}: {body}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tree_heads").await, 1);

    // The stored tree and the heads are append-only, like the log.
    for sql in [
        "DELETE FROM audit_tree WHERE level = 0",
        "UPDATE audit_tree SET hash = zeroblob(32)",
        "DELETE FROM tree_heads",
    ] {
        let refused = sqlx::query(sql).execute(app.db.pool()).await.unwrap_err();
        assert!(
            refused.to_string().contains("append-only"),
            "{sql}: {refused}"
        );
    }
}

#[tokio::test]
async fn a_log_from_before_the_tree_is_filled_in_at_start_and_on_the_next_append() {
    let (_dir, file, pool) = database_before("20261216000001").await;
    // A log of 21 entries written before the tree existed.
    let mut prev = domain::audit::GENESIS.to_owned();
    for seq in 1..=21i64 {
        let payload = format!("{{\"n\":{seq}}}");
        let hash =
            domain::audit::entry_hash(seq, 1000 + seq, "old.entry", None, "old", &payload, &prev);
        sqlx::query("INSERT INTO audit_log (seq, at, kind, actor, subject, payload, prev_hash, hash) VALUES (?, ?, 'old.entry', NULL, 'old', ?, ?, ?)")
            .bind(seq)
            .bind(1000 + seq)
            .bind(&payload)
            .bind(&prev)
            .bind(&hash)
            .execute(&pool)
            .await
            .unwrap();
        prev = hash;
    }
    pool.close().await;
    let db = server::db::Db::open(&file).await.unwrap();
    assert_eq!(audit::catch_up_tree(&db).await.unwrap(), 21);
    assert_eq!(audit::catch_up_tree(&db).await.unwrap(), 0);
    let rebuilt = audit::verify(db.pool()).await.unwrap().tree.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(audit::tree_head(&mut conn).await.unwrap(), rebuilt);
    drop(conn);
    append_entries(&db, 3).await;
    let rebuilt = audit::verify(db.pool()).await.unwrap().tree.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(rebuilt.size, 24);
    assert_eq!(audit::tree_head(&mut conn).await.unwrap(), rebuilt);
    // Without the catch-up at start, the next append fills the tree in too.
    let (_dir2, file2, pool2) = database_before("20261216000001").await;
    let hash =
        domain::audit::entry_hash(1, 5, "old.entry", None, "old", "{}", domain::audit::GENESIS);
    sqlx::query("INSERT INTO audit_log (seq, at, kind, actor, subject, payload, prev_hash, hash) VALUES (1, 5, 'old.entry', NULL, 'old', '{}', ?, ?)")
        .bind(domain::audit::GENESIS)
        .bind(&hash)
        .execute(&pool2)
        .await
        .unwrap();
    pool2.close().await;
    let db2 = server::db::Db::open(&file2).await.unwrap();
    append_entries(&db2, 2).await;
    let rebuilt = audit::verify(db2.pool()).await.unwrap().tree.unwrap();
    let mut conn = db2.pool().acquire().await.unwrap();
    assert_eq!(rebuilt.size, 3);
    assert_eq!(audit::tree_head(&mut conn).await.unwrap(), rebuilt);
}

#[tokio::test]
async fn a_head_is_signed_after_a_signature() {
    let app = spawn_app().await;
    let before = app.count("SELECT COUNT(*) FROM tree_heads").await;
    // yangli's sheet is approved by the commission, so she has a commitment to sign.
    let approved = app.post_id("区交通局", "办公室文秘").await;
    approve(&app, approved).await;
    let cid = app.count("SELECT id FROM commitments").await;
    let cookie = app.session_cookie("yangli").await;
    let response = app
        .post_json(
            &format!("/api/commitments/{cid}/sign"),
            Some(&cookie),
            &json!({ "kind": "typed", "typed_name": "杨丽", "password": "lianfang2026", "confirmed": true }),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tree_heads").await,
        before + 1
    );
    let heads = get_json(&app, "/api/transparency/heads").await;
    let head: SignedHead = serde_json::from_value(heads["latest"].clone()).unwrap();
    assert!(head.verifies());
    assert_eq!(head.public_key, heads["public_key"].as_str().unwrap());
    let signature_seq = app
        .count("SELECT MAX(seq) FROM audit_log WHERE kind = 'signature'")
        .await;
    assert!(head.size >= signature_seq as u64);
    // The verification page carries the signature's inclusion proof in that head, for the
    // visitor's browser to check; here the domain's check does what the script does.
    let token: String = sqlx::query_scalar("SELECT token FROM commitments WHERE id = ?")
        .bind(cid)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let html = page(&app, &format!("/verify/{token}"), None).await;
    let proof: InclusionProof = serde_json::from_str(&attribute(&html, "data-inclusion")).unwrap();
    assert_eq!(proof.seq, signature_seq as u64);
    assert_eq!(proof.head.as_ref(), Some(&head));
    let path: Vec<Hash> = proof.proof.iter().map(|h| unhex(h)).collect();
    assert!(merkle::verify_inclusion(
        proof.seq - 1,
        proof.size,
        &merkle::entry_leaf(&proof.entry_hash),
        &path,
        &unhex(&head.root)
    ));
    assert!(
        html.contains("/transparency.js"),
        "the page loads the check"
    );
    // It is printed under the head, with the link that checks the printout later.
    let check = format!("/transparency?size={}&amp;root={}", head.size, head.root);
    assert!(
        html.contains(&check),
        "{check} not on the verification page"
    );
    // So is a unit's handbook, for those who may read it.
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let reader = app.session_cookie("kezhang").await;
    let html = page(&app, &format!("/units/{unit}/handbook"), Some(&reader)).await;
    assert!(
        html.contains("打印时的审计树头") && html.contains(&check),
        "handbook"
    );
    // The public page lists the head and the key that signs heads now.
    let html = page(&app, "/transparency", None).await;
    assert!(
        html.contains(&head.root) && html.contains(&head.public_key),
        "transparency page"
    );
    assert!(
        !html.contains("lianfang.wasm") && !html.contains("__wasm_split"),
        "the transparency page loads no wasm when opened directly"
    );

    // The schedule's question: no head is due right after one that covers the signature.
    let mut conn = app.db.pool().acquire().await.unwrap();
    assert!(!transparency::due(&mut conn, 3_600_000, head.issued_at + 1)
        .await
        .unwrap());
    assert!(
        transparency::due(&mut conn, 3_600_000, head.issued_at + 3_600_000)
            .await
            .unwrap()
    );
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> String {
    let mut request = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// The value of the first `name="…"` attribute in `html`, unescaped.
fn attribute(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("no {name} in the page"))
        + name.len()
        + 2;
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn heads_are_handed_to_the_witness_file_and_the_commissions_robot() {
    let app = spawn_app().await;
    // The commission's group robot on the district root unit (a relay beside the server).
    let root = app
        .count("SELECT MIN(id) FROM org_units WHERE parent_id IS NULL")
        .await;
    let shenhe = app.session_cookie("shenhe").await;
    let set = app
        .post_json(
            "/api/settings/robots",
            Some(&shenhe),
            &json!({ "unit_id": root, "kind": "wecom", "url": "http://127.0.0.1:9/robot" }),
        )
        .await;
    assert_eq!(set.status(), 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("heads.jsonl");
    let witnesses = transparency::Witnesses {
        file: Some(file.clone()),
        robot: true,
    };
    let key = HeadKey::random();
    append_entries(&app.db, 3).await;
    let first = transparency::issue_witnessed(&app.db, &key, &witnesses)
        .await
        .unwrap();
    // An hourly head over the same entries goes to the file, not again to the group.
    let same = transparency::issue_witnessed(&app.db, &key, &witnesses)
        .await
        .unwrap();
    append_entries(&app.db, 2).await;
    let third = transparency::issue_witnessed(&app.db, &key, &witnesses)
        .await
        .unwrap();
    assert_eq!(same.size, first.size);
    assert_eq!(third.size, first.size + 2);

    let saved: Vec<SignedHead> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(saved, vec![first.clone(), same, third.clone()]);
    assert!(saved.iter().all(SignedHead::verifies));

    let posted: Vec<(String, String)> = sqlx::query_as(
        "SELECT text, link FROM robot_deliveries WHERE link LIKE '/transparency%' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(posted.len(), 2, "{posted:?}");
    for ((text, link), head) in posted.iter().zip([&first, &third]) {
        assert!(
            text.contains(&format!(
                "审计记录共 {} 条，根哈希 {}",
                head.size, head.root
            )),
            "{text}"
        );
        assert_eq!(
            link,
            &format!("/transparency?size={}&root={}", head.size, head.root)
        );
    }

    // The witness file is what `lianfang verify --against` reads, signatures checked.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .args(["verify", "--database"])
        .arg(&app.db_file)
        .arg("--against")
        .arg(&file)
        .env("LIANFANG_LOG", "error")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("与保存的 3 个树头一致"), "{text}");
}
