//! Integrity commitments (承诺书, DESIGN §7): generated from the commission's template for every
//! holder of a post when its sheet is approved; signed by the holder with a drawn or typed
//! signature and their password; sealed (`domain::audit::seal`) and linked into the audit log.
//! A signed commitment never changes; a changed sheet gets a new one.

use domain::audit::{self, SealInput};
use rand::RngCore as _;
use serde_json::json;
use sqlx::{Sqlite, Transaction};

use crate::{audit as log, http::HttpError};

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
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Creates the commitments of an approved sheet: one per holder of the post, for this content.
/// Unsigned commitments of older content for the same person and post are marked superseded;
/// signed ones stay as they are, as the record of what was signed.
pub async fn generate(
    tx: &mut Transaction<'static, Sqlite>,
    sheet_id: i64,
    post_id: i64,
    content_hash: &str,
    now: i64,
) -> Result<usize, HttpError> {
    let template = sqlx::query!(
        r#"SELECT id AS "id!: i64", title, body FROM commitment_templates ORDER BY id DESC LIMIT 1"#
    )
    .fetch_one(&mut **tx)
    .await?;
    let post = sqlx::query!(
        "SELECT p.title, u.name AS unit FROM posts p JOIN org_units u ON u.id = p.unit_id WHERE p.id = ?",
        post_id
    )
    .fetch_one(&mut **tx)
    .await?;
    let risks = risk_text(tx, sheet_id).await?;
    let date = domain::time::china_date(now);
    let holders = sqlx::query!(
        r#"SELECT u.id AS "id!: i64", u.display_name FROM post_holders h JOIN users u ON u.id = h.user_id
           WHERE h.post_id = ? AND u.active = 1 ORDER BY u.id"#,
        post_id
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut created = 0;
    for holder in holders {
        let body = render(
            &template.body,
            &holder.display_name,
            &post.unit,
            &post.title,
            &risks,
            &date,
        );
        let token = token();
        let inserted = sqlx::query!(
            "INSERT INTO commitments (token, user_id, post_id, sheet_id, content_hash, template_id, title, body, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, sheet_id, content_hash) DO NOTHING",
            token,
            holder.id,
            post_id,
            sheet_id,
            content_hash,
            template.id,
            template.title,
            body,
            now
        )
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            continue;
        }
        created += 1;
        sqlx::query!(
            "UPDATE commitments SET superseded = 1
             WHERE user_id = ? AND post_id = ? AND seal IS NULL AND token != ? AND superseded = 0",
            holder.id,
            post_id,
            token
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(created)
}

/// The sheet's risk points with their measures, as the commitment lists them.
async fn risk_text(
    tx: &mut Transaction<'static, Sqlite>,
    sheet_id: i64,
) -> Result<String, HttpError> {
    let points = sqlx::query!(
        "SELECT id, description, level FROM risk_points WHERE sheet_id = ? ORDER BY position",
        sheet_id
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.into_iter().enumerate() {
        let measures = sqlx::query!(
            "SELECT kind, text FROM measures WHERE risk_point_id = ? ORDER BY position",
            p.id
        )
        .fetch_all(&mut **tx)
        .await?;
        let level = domain::risk::RiskLevel::parse(&p.level)
            .map(|l| l.label())
            .unwrap_or("");
        let measures: Vec<String> = measures
            .into_iter()
            .map(|m| {
                let kind = domain::risk::MeasureKind::parse(&m.kind)
                    .map(|k| k.label())
                    .unwrap_or("");
                format!("{kind}：{}", m.text)
            })
            .collect();
        out.push(format!(
            "{}. 【{level}】{}\n   防控措施：{}",
            i + 1,
            p.description,
            measures.join("；")
        ));
    }
    Ok(out.join("\n"))
}

/// A signature as the signer gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// Strokes of points in a 1000 × 400 box.
    Drawn(Vec<Vec<[i32; 2]>>),
    Typed(String),
}

pub const PAD_WIDTH: i32 = 1000;
pub const PAD_HEIGHT: i32 = 400;
const MAX_STROKES: usize = 200;
const MAX_POINTS: usize = 20_000;

impl Signature {
    /// Checks a drawn signature's shape; a typed one must be the signer's name.
    pub fn check(&self, display_name: &str) -> Result<(), domain::FieldError> {
        match self {
            Self::Drawn(strokes) => {
                let points: usize = strokes.iter().map(Vec::len).sum();
                if strokes.is_empty() || points < 2 {
                    return Err(domain::FieldError::new(
                        "signature_empty",
                        "signature",
                        "请在签名框内手写签名，或改为输入姓名",
                    ));
                }
                let inside = strokes
                    .iter()
                    .flatten()
                    .all(|[x, y]| (0..=PAD_WIDTH).contains(x) && (0..=PAD_HEIGHT).contains(y));
                if strokes.len() > MAX_STROKES || points > MAX_POINTS || !inside {
                    return Err(domain::FieldError::new(
                        "signature_invalid",
                        "signature",
                        "签名笔迹超出签名框或过于复杂，请清除后重新签名",
                    ));
                }
                Ok(())
            }
            Self::Typed(name) => {
                if name.trim() != display_name.trim() {
                    return Err(domain::FieldError::new(
                        "typed_name_mismatch",
                        "typed_name",
                        format!("输入的姓名须与本人姓名“{display_name}”一致"),
                    ));
                }
                Ok(())
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Drawn(_) => "drawn",
            Self::Typed(_) => "typed",
        }
    }

    /// The text the seal covers: the strokes as canonical JSON, or the typed name.
    pub fn canonical(&self) -> String {
        match self {
            Self::Drawn(strokes) => audit::canonical_json(&json!(strokes)),
            Self::Typed(name) => name.trim().to_owned(),
        }
    }
}

/// Seals a commitment for its signer and links the seal into the audit log, in the caller's
/// write transaction. Returns the seal. The commitment must be unsigned and the signer its owner
/// (checked by the caller, with the password).
#[allow(clippy::too_many_arguments)]
pub async fn seal(
    tx: &mut Transaction<'static, Sqlite>,
    id: i64,
    token: &str,
    title: &str,
    body: &str,
    signer: (i64, &str, &str),
    signature: &Signature,
    now: i64,
) -> Result<String, HttpError> {
    let (user_id, username, display_name) = signer;
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
    });
    let seq = log::append(
        tx,
        "signature",
        Some(user_id),
        &format!("commitment:{id}"),
        &json!({ "commitment": id, "token": token, "seal": seal, "signer": username, "signed_at": now }),
        now,
    )
    .await?;
    let kind = signature.kind();
    let updated = sqlx::query!(
        "UPDATE commitments SET signature_kind = ?, signature = ?, signer_username = ?, signer_name = ?,
                signed_at = ?, seal = ?, log_seq = ?
         WHERE id = ? AND seal IS NULL",
        kind,
        canonical,
        username,
        display_name,
        now,
        seal,
        seq,
        id
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Err(
            app::error::ApiError::new("already_signed", "该承诺书已签署，不能再次签署").into(),
        );
    }
    Ok(seal)
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

    #[test]
    fn a_typed_signature_must_be_the_signers_name_and_a_drawn_one_must_fit_the_pad() {
        assert!(Signature::Typed(" 陈静 ".into()).check("陈静").is_ok());
        assert_eq!(
            Signature::Typed("张三".into())
                .check("陈静")
                .unwrap_err()
                .code,
            "typed_name_mismatch"
        );
        assert_eq!(
            Signature::Drawn(vec![]).check("陈静").unwrap_err().code,
            "signature_empty"
        );
        assert_eq!(
            Signature::Drawn(vec![vec![[0, 0], [1001, 5]]])
                .check("陈静")
                .unwrap_err()
                .code,
            "signature_invalid"
        );
        assert!(Signature::Drawn(vec![vec![[10, 10], [200, 300]]])
            .check("陈静")
            .is_ok());
    }
}
