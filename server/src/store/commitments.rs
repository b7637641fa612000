//! Integrity commitments (承诺书) and the commission's template. A sealed commitment is never
//! changed (a trigger refuses it).

use anyhow::Context as _;
use domain::post::PostLevel;

use super::Conn;
use crate::error::corrupt;

/// A template: every edit is a new row; the newest of a post level is in force for it.
#[derive(Debug, Clone)]
pub struct Template {
    pub id: i64,
    /// The level it is for; `None`: every level without a template of its own.
    pub post_level: Option<PostLevel>,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

/// The template in force for posts of `level`: the newest of that level, else the newest
/// general one (`level` `None` asks for the general one).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn template(conn: &mut Conn, level: Option<PostLevel>) -> anyhow::Result<Template> {
    let level = level.map(PostLevel::code);
    let t = sqlx::query!(
        r#"SELECT id AS "id!: i64", post_level, title, body, updated_at AS "updated_at!: i64"
           FROM commitment_templates WHERE post_level IS ? OR post_level IS NULL
           ORDER BY post_level IS NULL, id DESC LIMIT 1"#,
        level
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to load the commitment template")?;
    Ok(Template {
        id: t.id,
        post_level: t
            .post_level
            .as_deref()
            .map(PostLevel::parse)
            .transpose()
            .map_err(|e| corrupt("template post level", e))?,
        title: t.title,
        body: t.body,
        updated_at: t.updated_at,
    })
}

/// The post levels that have a template of their own.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn levels_with_templates(conn: &mut Conn) -> anyhow::Result<Vec<PostLevel>> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT post_level AS "post_level!: String" FROM commitment_templates
           WHERE post_level IS NOT NULL"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the templates' post levels")?
    .iter()
    .map(|l| PostLevel::parse(l).map_err(|e| corrupt("template post level", e)))
    .collect()
}

/// A new version of the template for `level` (`None`: the general one); returns its id.
#[tracing::instrument(level = "debug", skip(conn, body))]
pub async fn insert_template(
    conn: &mut Conn,
    level: Option<PostLevel>,
    title: &str,
    body: &str,
    by: i64,
    now: i64,
) -> anyhow::Result<i64> {
    let level = level.map(PostLevel::code);
    sqlx::query_scalar!(
        r#"INSERT INTO commitment_templates (post_level, title, body, updated_by, updated_at)
           VALUES (?, ?, ?, ?, ?) RETURNING id AS "id!: i64""#,
        level,
        title,
        body,
        by,
        now
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to save the commitment template")
}

/// A commitment to create.
#[derive(Debug, Clone)]
pub struct NewCommitment<'a> {
    pub token: &'a str,
    pub user_id: i64,
    pub post_id: i64,
    pub sheet_id: i64,
    pub content_hash: &'a str,
    pub template: &'a Template,
    pub body: &'a str,
    pub now: i64,
}

/// Creates a commitment unless the holder has one for this sheet content; returns whether it was
/// created. A new one makes the holder's unsigned commitments of older content for the post
/// superseded; signed ones stay as the record of what was signed.
#[tracing::instrument(level = "debug", skip_all, fields(user = c.user_id, sheet = c.sheet_id))]
pub async fn insert(conn: &mut Conn, c: &NewCommitment<'_>) -> anyhow::Result<bool> {
    let inserted = sqlx::query!(
        "INSERT INTO commitments (token, user_id, post_id, sheet_id, content_hash, template_id, title, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, sheet_id, content_hash) DO NOTHING",
        c.token,
        c.user_id,
        c.post_id,
        c.sheet_id,
        c.content_hash,
        c.template.id,
        c.template.title,
        c.body,
        c.now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to create a commitment")?
    .rows_affected()
        > 0;
    if inserted {
        sqlx::query!(
            "UPDATE commitments SET superseded = 1
             WHERE user_id = ? AND post_id = ? AND seal IS NULL AND token != ? AND superseded = 0",
            c.user_id,
            c.post_id,
            c.token
        )
        .execute(&mut *conn)
        .await
        .context("Failed to supersede older commitments")?;
    }
    Ok(inserted)
}

/// A commitment as signing needs it, with its owner's password hash.
#[derive(Debug, Clone)]
pub struct ForSigning {
    pub user_id: i64,
    pub token: String,
    pub title: String,
    pub body: String,
    pub sealed: bool,
    pub superseded: bool,
    pub created_at: i64,
    pub password_hash: String,
}

/// A commitment for signing.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn for_signing(conn: &mut Conn, id: i64) -> anyhow::Result<Option<ForSigning>> {
    Ok(sqlx::query!(
        r#"SELECT c.user_id AS "user_id!: i64", c.token, c.title, c.body, c.seal, c.superseded AS "superseded!: bool",
                  c.created_at AS "created_at!: i64", u.password_hash
           FROM commitments c JOIN users u ON u.id = c.user_id WHERE c.id = ?"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a commitment for signing")?
    .map(|r| ForSigning {
        user_id: r.user_id,
        token: r.token,
        title: r.title,
        body: r.body,
        sealed: r.seal.is_some(),
        superseded: r.superseded,
        created_at: r.created_at,
        password_hash: r.password_hash,
    }))
}

/// Whether a commitment has been superseded.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn is_superseded(conn: &mut Conn, id: i64) -> anyhow::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT superseded AS "s!: bool" FROM commitments WHERE id = ?"#,
        id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to check a commitment")
}

/// A signature and its seal.
#[derive(Debug, Clone)]
pub struct Seal<'a> {
    pub kind: &'a str,
    pub signature: &'a str,
    pub signer_username: &'a str,
    pub signer_name: &'a str,
    pub signed_at: i64,
    /// For an offline signing, the device's clock.
    pub device_signed_at: Option<i64>,
    pub seal: &'a str,
    pub log_seq: i64,
}

/// Seals an unsigned commitment; returns whether it was unsigned (a second signature finds it
/// sealed and changes nothing).
#[tracing::instrument(level = "debug", skip_all, fields(commitment = id))]
pub async fn seal(conn: &mut Conn, id: i64, s: &Seal<'_>) -> anyhow::Result<bool> {
    Ok(sqlx::query!(
        "UPDATE commitments SET signature_kind = ?, signature = ?, signer_username = ?, signer_name = ?,
                signed_at = ?, device_signed_at = ?, seal = ?, log_seq = ?
         WHERE id = ? AND seal IS NULL",
        s.kind,
        s.signature,
        s.signer_username,
        s.signer_name,
        s.signed_at,
        s.device_signed_at,
        s.seal,
        s.log_seq,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to seal a commitment")?
    .rows_affected()
        == 1)
}

/// The unit of a commitment's post and whether it is signed, for a reminder.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn unit_and_signed(conn: &mut Conn, id: i64) -> anyhow::Result<Option<(i64, bool)>> {
    Ok(sqlx::query!(
        r#"SELECT p.unit_id AS "unit_id!: i64", c.seal FROM commitments c JOIN posts p ON p.id = c.post_id WHERE c.id = ?"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a commitment")?
    .map(|r| (r.unit_id, r.seal.is_some())))
}

/// Notes that the signer was reminded.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn mark_reminded(conn: &mut Conn, id: i64, now: i64) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE commitments SET reminded_at = ? WHERE id = ?",
        now,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to mark a reminder")?;
    Ok(())
}

/// The signature part of a commitment, as stored.
#[derive(Debug, Clone, Default)]
pub struct Signed {
    pub kind: Option<String>,
    pub signature: Option<String>,
    pub signer_username: Option<String>,
    pub signer_name: Option<String>,
    pub signed_at: Option<i64>,
    pub device_signed_at: Option<i64>,
    pub seal: Option<String>,
    pub log_seq: Option<i64>,
}

/// A commitment with its post, unit and owner, for the pages.
#[derive(Debug, Clone)]
pub struct Full {
    pub id: i64,
    pub token: String,
    pub title: String,
    pub body: String,
    pub user_id: i64,
    pub owner: String,
    pub post: String,
    pub unit_id: i64,
    pub unit: String,
    pub superseded: bool,
    pub signed: Signed,
}

/// A commitment by id.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn by_id(conn: &mut Conn, id: i64) -> anyhow::Result<Option<Full>> {
    Ok(sqlx::query!(
        r#"SELECT c.id AS "id!: i64", c.token, c.title, c.body, c.user_id AS "user_id!: i64", c.superseded AS "superseded!: bool",
                  c.signature_kind, c.signature, c.signer_username, c.signer_name, c.signed_at, c.device_signed_at, c.seal, c.log_seq,
                  p.title AS post, p.unit_id AS "unit_id!: i64", u.name AS unit, o.display_name AS owner
           FROM commitments c JOIN posts p ON p.id = c.post_id JOIN org_units u ON u.id = p.unit_id
           JOIN users o ON o.id = c.user_id WHERE c.id = ?"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a commitment")?
    .map(|r| Full {
        id: r.id,
        token: r.token,
        title: r.title,
        body: r.body,
        user_id: r.user_id,
        owner: r.owner,
        post: r.post,
        unit_id: r.unit_id,
        unit: r.unit,
        superseded: r.superseded,
        signed: Signed {
            kind: r.signature_kind,
            signature: r.signature,
            signer_username: r.signer_username,
            signer_name: r.signer_name,
            signed_at: r.signed_at,
            device_signed_at: r.device_signed_at,
            seal: r.seal,
            log_seq: r.log_seq,
        },
    }))
}

/// A commitment by its public verification token.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn by_token(conn: &mut Conn, token: &str) -> anyhow::Result<Option<Full>> {
    Ok(sqlx::query!(
        r#"SELECT c.id AS "id!: i64", c.token, c.title, c.body, c.user_id AS "user_id!: i64", c.superseded AS "superseded!: bool",
                  c.signature_kind, c.signature, c.signer_username, c.signer_name, c.signed_at, c.device_signed_at, c.seal, c.log_seq,
                  p.title AS post, p.unit_id AS "unit_id!: i64", u.name AS unit, o.display_name AS owner
           FROM commitments c JOIN posts p ON p.id = c.post_id JOIN org_units u ON u.id = p.unit_id
           JOIN users o ON o.id = c.user_id WHERE c.token = ?"#,
        token
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a commitment by token")?
    .map(|r| Full {
        id: r.id,
        token: r.token,
        title: r.title,
        body: r.body,
        user_id: r.user_id,
        owner: r.owner,
        post: r.post,
        unit_id: r.unit_id,
        unit: r.unit,
        superseded: r.superseded,
        signed: Signed {
            kind: r.signature_kind,
            signature: r.signature,
            signer_username: r.signer_username,
            signer_name: r.signer_name,
            signed_at: r.signed_at,
            device_signed_at: r.device_signed_at,
            seal: r.seal,
            log_seq: r.log_seq,
        },
    }))
}

/// A commitment in a list.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub post: String,
    pub unit_id: i64,
    pub unit: String,
    pub created_at: i64,
    pub signed_at: Option<i64>,
    pub superseded: bool,
    pub reminded_at: Option<i64>,
}

/// A user's commitments, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn of_user(conn: &mut Conn, user_id: i64) -> anyhow::Result<Vec<Listed>> {
    Ok(sqlx::query!(
        r#"SELECT c.id AS "id!: i64", c.title, o.display_name AS owner, p.title AS post, p.unit_id AS "unit_id!: i64",
                  u.name AS unit, c.created_at AS "created_at!: i64", c.signed_at, c.superseded AS "superseded!: bool", c.reminded_at
           FROM commitments c JOIN posts p ON p.id = c.post_id JOIN org_units u ON u.id = p.unit_id
           JOIN users o ON o.id = c.user_id
           WHERE c.user_id = ? ORDER BY c.id DESC"#,
        user_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list a user's commitments")?
    .into_iter()
    .map(|r| Listed {
        id: r.id,
        title: r.title,
        owner: r.owner,
        post: r.post,
        unit_id: r.unit_id,
        unit: r.unit,
        created_at: r.created_at,
        signed_at: r.signed_at,
        superseded: r.superseded,
        reminded_at: r.reminded_at,
    })
    .collect())
}

/// Every commitment in force (not superseded), by unit, post and id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn in_force(conn: &mut Conn) -> anyhow::Result<Vec<Listed>> {
    Ok(sqlx::query!(
        r#"SELECT c.id AS "id!: i64", c.title, o.display_name AS owner, p.title AS post, p.unit_id AS "unit_id!: i64",
                  u.name AS unit, c.created_at AS "created_at!: i64", c.signed_at, c.superseded AS "superseded!: bool", c.reminded_at
           FROM commitments c JOIN posts p ON p.id = c.post_id JOIN org_units u ON u.id = p.unit_id
           JOIN users o ON o.id = c.user_id
           WHERE c.superseded = 0 ORDER BY p.unit_id, p.id, c.id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list commitments in force")?
    .into_iter()
    .map(|r| Listed {
        id: r.id,
        title: r.title,
        owner: r.owner,
        post: r.post,
        unit_id: r.unit_id,
        unit: r.unit,
        created_at: r.created_at,
        signed_at: r.signed_at,
        superseded: r.superseded,
        reminded_at: r.reminded_at,
    })
    .collect())
}

/// Withdraws the unsigned commitments of `user` for `post` (they left it); signed ones stay as
/// the record of what was signed. Returns how many.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn withdraw_unsigned(conn: &mut Conn, post: i64, user: i64) -> anyhow::Result<u64> {
    Ok(sqlx::query!(
        "UPDATE commitments SET superseded = 1 WHERE user_id = ? AND post_id = ? AND seal IS NULL AND superseded = 0",
        user,
        post
    )
    .execute(&mut *conn)
    .await
    .context("Failed to withdraw unsigned commitments")?
    .rows_affected())
}

/// A user's commitments in force (not superseded), signed or not, as their replica keeps them.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn for_replica(
    conn: &mut Conn,
    user_id: i64,
) -> anyhow::Result<Vec<domain::sync::CommitmentRecord>> {
    Ok(sqlx::query!(
        r#"SELECT c.id AS "id!: i64", c.token, c.title, c.body, p.title AS post, u.name AS unit,
                  c.created_at AS "created_at!: i64", c.signed_at, c.device_signed_at
           FROM commitments c JOIN posts p ON p.id = c.post_id JOIN org_units u ON u.id = p.unit_id
           WHERE c.user_id = ? AND c.superseded = 0 ORDER BY c.id DESC"#,
        user_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list a user's commitments for their replica")?
    .into_iter()
    .map(|r| domain::sync::CommitmentRecord {
        text_hash: domain::commitment::text_hash(&r.title, &r.body),
        id: r.id,
        token: r.token,
        title: r.title,
        body: r.body,
        unit: r.unit,
        post: r.post,
        created_at: r.created_at,
        signed_at: r.signed_at,
        device_signed_at: r.device_signed_at,
    })
    .collect())
}
