//! Integrity commitments (承诺书, DESIGN §7): generated from the commission's template for every
//! holder of a post when its sheet is approved; signed by the holder with a drawn or typed
//! signature and their password; sealed (`domain::audit::seal`) and linked into the audit log.
//! A signed commitment never changes; a changed sheet gets a new one.

use anyhow::Context as _;
use domain::{
    audit::{self, SealInput},
    commitment::{Signature, SignatureInput},
    post::PostLevel,
    sync::OpResult,
};
use serde_json::json;

use app::{api::SessionUser, error::ApiError};
use domain::ids::OrgUnitId;

use crate::{
    audit as log, auth,
    db::{now_ms, Db},
    error::{Error, Result},
    store::{self, Conn},
};

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = [
    "{{姓名}}",
    "{{单位}}",
    "{{岗位}}",
    "{{风险点及防控措施}}",
    "{{日期}}",
];

/// Fills a template's placeholders.
pub fn render(
    template: &str,
    name: &str,
    unit: &str,
    post: &str,
    risks: &str,
    date: &str,
) -> String {
    template
        .replace("{{姓名}}", name)
        .replace("{{单位}}", unit)
        .replace("{{岗位}}", post)
        .replace("{{风险点及防控措施}}", risks)
        .replace("{{日期}}", date)
}

/// Placeholders in `text` that are not one of [`PLACEHOLDERS`].
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            found.push(rest[start..].to_owned());
            break;
        };
        let token = &rest[start..start + len + 2];
        if !PLACEHOLDERS.contains(&token) {
            found.push(token.to_owned());
        }
        rest = &rest[start + len + 2..];
    }
    found
}

fn token() -> String {
    hex::encode(crate::secret::random_bytes::<16>())
}

/// Creates the commitments of an approved sheet: one per holder of the post, for this content.
/// Unsigned commitments of older content for the same person and post are marked superseded;
/// signed ones stay as they are, as the record of what was signed.
pub async fn generate(
    conn: &mut Conn,
    sheet_id: i64,
    post_id: i64,
    content_hash: &str,
    now: i64,
) -> anyhow::Result<usize> {
    let post = store::org::post(conn, post_id)
        .await?
        .context("The post of an approved sheet is missing")?;
    let template = store::commitments::template(conn, Some(post.level)).await?;
    let risks = risk_text(conn, sheet_id).await?;
    let date = domain::time::china_date(now);
    let mut created = 0;
    for (user_id, name) in store::org::active_holders(conn, post_id).await? {
        let body = render(
            &template.body,
            &name,
            &post.unit,
            &post.title,
            &risks,
            &date,
        );
        let token = token();
        let new = store::commitments::NewCommitment {
            token: &token,
            user_id,
            post_id,
            sheet_id,
            content_hash,
            template: &template,
            body: &body,
            now,
        };
        if store::commitments::insert(conn, &new).await? {
            created += 1;
        }
    }
    Ok(created)
}

/// The sheet's risk points with their measures, as the commitment lists them.
async fn risk_text(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<String> {
    let points = store::points::on_sheets(conn, &[sheet_id])
        .await?
        .remove(&sheet_id)
        .unwrap_or_default();
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.into_iter().enumerate() {
        let measures: Vec<String> = p
            .input
            .measures
            .iter()
            .map(|m| {
                let kind = domain::risk::MeasureKind::parse(&m.kind)
                    .map(|k| k.label())
                    .unwrap_or("");
                format!("{kind}：{}", m.text)
            })
            .collect();
        out.push(format!(
            "{}. 【{}】{}\n   防控措施：{}",
            i + 1,
            p.level.label(),
            p.input.description,
            measures.join("；")
        ));
    }
    Ok(out.join("\n"))
}

/// When a signature was made: the server's clock when it sealed it, and for an offline signing
/// the device's clock when the signer signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningTimes {
    pub server: i64,
    pub device: Option<i64>,
}

/// Seals a commitment for its signer and links the seal into the audit log, in the caller's
/// write transaction. Returns the seal. The commitment must be unsigned and the signer its owner
/// (checked by the caller, with the password).
#[allow(clippy::too_many_arguments)]
pub async fn seal(
    conn: &mut Conn,
    id: i64,
    token: &str,
    title: &str,
    body: &str,
    signer: (i64, &str, &str),
    signature: &Signature,
    times: SigningTimes,
) -> Result<String> {
    let (user_id, username, display_name) = signer;
    let now = times.server;
    let canonical = signature.canonical();
    let seal = audit::seal(&SealInput {
        token,
        title,
        body,
        signer_username: username,
        signer_name: display_name,
        signature_kind: signature.kind(),
        signature: &canonical,
        signed_at: now,
        device_signed_at: times.device,
    });
    let mut entry = json!({ "commitment": id, "token": token, "seal": seal, "signer": username, "signed_at": now });
    if let Some(device) = times.device {
        entry["offline"] = json!(true);
        entry["device_signed_at"] = json!(device);
    }
    let seq = log::append(
        conn,
        "signature",
        Some(user_id),
        &format!("commitment:{id}"),
        &entry,
        now,
    )
    .await?;
    let sealed = store::commitments::seal(
        conn,
        id,
        &store::commitments::Seal {
            kind: signature.kind(),
            signature: &canonical,
            signer_username: username,
            signer_name: display_name,
            signed_at: now,
            device_signed_at: times.device,
            seal: &seal,
            log_seq: seq,
        },
    )
    .await?;
    if !sealed {
        return Err(Error::refused(
            "already_signed",
            "该承诺书已签署，不能再次签署",
        ));
    }
    Ok(seal)
}

/// A signature as the signer sends it, with the password and the confirmation.
#[derive(Debug, Clone)]
pub struct SignRequest {
    pub signature: SignatureInput,
    pub password: String,
    /// The signer confirmed having read the whole text.
    pub confirmed: bool,
}

/// The owner signs a commitment, with their password: returns the seal and the public token.
/// Wrong passwords count towards the login limit, so a signature cannot be used to guess a
/// password; someone else's commitment looks like a missing one.
pub async fn sign(
    db: &Db,
    user: &SessionUser,
    id: i64,
    request: SignRequest,
    address: &str,
) -> Result<(String, String)> {
    let mut conn = db.pool().acquire().await?;
    let row = store::commitments::for_signing(&mut conn, id).await?;
    drop(conn);
    let Some(row) = row.filter(|r| r.user_id == user.id) else {
        return Err(ApiError::not_found("该承诺书").into());
    };
    if row.sealed {
        return Err(Error::refused(
            "already_signed",
            "该承诺书已签署，不能再次签署或修改",
        ));
    }
    if row.superseded {
        return Err(domain::commitment::superseded().into());
    }
    // Only the owner gets this far: now the content of the request.
    domain::commitment::check_confirmed(request.confirmed)?;
    let signature = request.signature.parse()?;
    signature.check(&user.display_name)?;
    if request.password.len() > 1024 {
        return Err(Error::refused("wrong_password", "密码不正确，承诺书未签署"));
    }
    let stored = Some(row.password_hash.clone());
    match auth::check_password(db, &user.username, address, request.password, stored).await? {
        auth::Checked::Correct => {}
        auth::Checked::Wrong => {
            return Err(Error::refused("wrong_password", "密码不正确，承诺书未签署"))
        }
        auth::Checked::Limited(limited) => {
            return Err(Error::refused(
                "rate_limited",
                format!(
                    "密码错误次数过多，请 {} 分钟后再试",
                    (limited.retry_after_secs() + 59) / 60
                ),
            ))
        }
    }
    let mut tx = db.begin_write().await?;
    // Superseded meanwhile? The seal itself refuses a commitment signed meanwhile.
    if store::commitments::is_superseded(&mut tx, id).await? {
        return Err(domain::commitment::superseded().into());
    }
    let seal = seal(
        &mut tx,
        id,
        &row.token,
        &row.title,
        &row.body,
        (user.id, &user.username, &user.display_name),
        &signature,
        SigningTimes {
            server: now_ms(),
            device: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((seal, row.token))
}

/// A signing made offline, as its queued operation carries it.
#[derive(Debug, Clone, Copy)]
pub struct OfflineSign<'a> {
    pub commitment_id: i64,
    pub text_hash: &'a str,
    /// `drawn` or `typed`, and [`Signature::canonical`].
    pub signature_kind: &'a str,
    pub signature: &'a str,
    pub device_signed_at: i64,
    pub proof: &'a str,
}

/// Seals a commitment signed offline, in the push's write transaction: the signer's offline
/// proof must hold under their key, the text they read must be the commitment's text, and the
/// device's clock must be plausible. Every refusal is an answer for the operation, never an
/// error of the push: the signer is told why and asked to sign again.
pub async fn sign_offline(
    conn: &mut Conn,
    op_id: uuid::Uuid,
    user_id: i64,
    signing: OfflineSign<'_>,
    now: i64,
) -> Result<OpResult> {
    let refuse = |code: &str, message: &str| Ok(OpResult::rejected(op_id, code, message));
    let account = store::accounts::account_by_id(conn, user_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("The account {user_id} of a push is missing"))?;
    let (username, display_name) = (account.username.as_str(), account.display_name.as_str());
    let row = store::commitments::for_signing(conn, signing.commitment_id).await?;
    // Someone else's commitment looks like a missing one.
    let Some(row) = row.filter(|r| r.user_id == user_id) else {
        return refuse("not_found", "该承诺书不存在");
    };
    let signature = match Signature::from_canonical(signing.signature_kind, signing.signature) {
        Ok(s) => s,
        Err(e) => return refuse(&e.code, &e.message),
    };
    let key = store::accounts::offline_key(conn, user_id)
        .await?
        .and_then(|k| hex::decode(k).ok());
    if row.sealed {
        return refuse("already_signed", "该承诺书已签署并封存，这次签署无需再封存");
    }
    let op_text = op_id.to_string();
    let claim = domain::commitment::OfflineSigning {
        op_id: &op_text,
        username,
        commitment_id: signing.commitment_id,
        text_hash: signing.text_hash,
        signature: &signature,
        device_signed_at: signing.device_signed_at,
    };
    if !key.is_some_and(|key| domain::commitment::proof_holds(&key, &claim, signing.proof)) {
        return refuse(
            "offline_proof_invalid",
            "无法确认这次离线签署出自本人（密码已被重置，或本机的离线签署凭据已失效）。请联网后重新登录并签署",
        );
    }
    if row.superseded {
        let e = domain::commitment::superseded();
        return refuse(&e.code, &e.message);
    }
    if domain::commitment::text_hash(&row.title, &row.body) != signing.text_hash {
        return refuse(
            "text_changed",
            "您签署时看到的承诺书内容与现行内容不一致，未封存。请重新阅读承诺书后签署",
        );
    }
    if let Err(e) =
        domain::commitment::check_device_time(signing.device_signed_at, row.created_at, now)
    {
        return refuse(&e.code, &e.message);
    }
    if let Err(e) = signature.check(display_name) {
        return refuse(&e.code, &e.message);
    }
    // Read and sealed in the push's one write transaction: nobody can have sealed it meanwhile.
    // Should that ever change, a refusal stays this operation's answer, never the push's.
    let sealed = seal(
        conn,
        signing.commitment_id,
        &row.token,
        &row.title,
        &row.body,
        (user_id, username, display_name),
        &signature,
        SigningTimes {
            server: now,
            device: Some(signing.device_signed_at),
        },
    )
    .await;
    match sealed {
        Ok(_) => {}
        Err(Error::Refused(e)) => return refuse(e.code.as_str(), &e.message),
        Err(e) => return Err(e),
    }
    Ok(OpResult::Applied {
        id: op_id,
        version: 1,
    })
}

/// Reminds the signer of an unsigned commitment (a notification in the app); for those who
/// oversee its unit.
pub async fn remind(db: &Db, user: &SessionUser, id: i64) -> Result<()> {
    let person = db.directory().person(user.id).await?;
    let org = db.directory().org().await?;
    let mut tx = db.begin_write().await?;
    let row = store::commitments::unit_and_signed(&mut tx, id).await?;
    // A commitment that does not exist is refused like one of another unit.
    let Some((_, signed)) = row.filter(|(unit, _)| {
        person
            .principal
            .oversees_commitments(&org.tree, OrgUnitId(*unit))
    }) else {
        return Err(ApiError::forbidden().into());
    };
    if signed {
        return Err(Error::refused("already_signed", "该承诺书已签署，无需提醒"));
    }
    let now = now_ms();
    store::commitments::mark_reminded(&mut tx, id, now).await?;
    // The reminder reaches the signer: a notification in the app.
    if let Some(c) = store::commitments::for_signing(&mut tx, id).await? {
        store::notifications::insert(
            &mut tx,
            &[c.user_id],
            store::notifications::Kind::CommitmentReminder,
            &format!("{}提醒您签署《{}》", user.display_name, c.title),
            &format!("/commitments/{id}"),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The commission edits the template; each edit is a new version, and commitments already
/// generated keep their text. Returns the new version's id.
pub async fn save_template(
    db: &Db,
    user: &SessionUser,
    level: Option<PostLevel>,
    title: &str,
    body: &str,
) -> Result<i64> {
    let person = db.directory().person(user.id).await?;
    if !person.principal.may_edit_commitment_template() {
        return Err(Error::refused(
            "forbidden",
            "只有区纪委审核人员才能修改承诺书模板",
        ));
    }
    let title = domain::text::check_length(title, "title", "标题", 2, 60)?;
    let text = domain::text::check_length(body, "body", "正文", 20, 5000)?;
    let unknown = unknown_placeholders(&text);
    if !unknown.is_empty() {
        return Err(domain::FieldError::new(
            "unknown_placeholder",
            "body",
            format!(
                "正文中的占位符 {} 无法识别；可用的有 {}",
                unknown.join("、"),
                PLACEHOLDERS.join("、")
            ),
        )
        .into());
    }
    for needed in ["{{姓名}}", "{{风险点及防控措施}}"] {
        if !text.contains(needed) {
            return Err(domain::FieldError::new(
                "placeholder_missing",
                "body",
                format!("正文须包含 {needed}"),
            )
            .into());
        }
    }
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let id =
        store::commitments::insert_template(&mut tx, level, &title, &text, user.id, now).await?;
    log::append(
        &mut tx,
        "template_changed",
        Some(user.id),
        &format!("template:{id}"),
        &json!({ "post_level": level.map(PostLevel::code), "title": title, "body": text }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A commitment as a list shows it: the home page, a person's page.
pub(crate) fn summary(r: store::commitments::Listed) -> app::api::CommitmentSummary {
    app::api::CommitmentSummary {
        id: r.id,
        title: r.title,
        post: r.post,
        unit: r.unit,
        created_on: domain::time::china_day(r.created_at),
        signed_at: r.signed_at.map(domain::time::china_time),
        superseded: r.superseded,
        reminded: r.reminded_at.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_fills_every_placeholder() {
        let text = render(
            "{{姓名}}，{{单位}}{{岗位}}：\n{{风险点及防控措施}}\n{{日期}}",
            "陈静",
            "区交通局",
            "驾驶员",
            "1. 风险",
            "2026年11月28日",
        );
        assert_eq!(text, "陈静，区交通局驾驶员：\n1. 风险\n2026年11月28日");
    }

    #[test]
    fn unknown_placeholders_are_found() {
        assert_eq!(
            unknown_placeholders("{{姓名}}{{职务}}{{日期"),
            ["{{职务}}", "{{日期"]
        );
        assert!(unknown_placeholders("{{姓名}} {{日期}}").is_empty());
    }
}
