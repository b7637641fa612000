//! Commitments as their pages show them: one for its signer or an overseer, the public
//! verification, a unit's roll-up, the template, and the audit log's state.

use app::{
    api::{
        AuditEntryView, AuditStatus, CommitmentView, RollupRow, RollupView, SessionUser,
        TemplateView, VerificationView,
    },
    error::ApiError,
};
use domain::{ids::OrgUnitId, post::PostLevel, time::china_time};
use sqlx::SqlitePool;

use super::views;
use crate::{
    audit,
    directory::{Directory, Org, Person},
    error::Result,
    store::{self, Conn},
};

/// A verification of the whole log, valid while the log's last entry is the same and for
/// [`CHAIN_CACHE_SECS`]: anyone may open a verification page, so the whole log is not re-hashed
/// for every visitor, and never by two visitors at once.
#[derive(Default)]
pub struct ChainCache(tokio::sync::Mutex<Option<CachedChain>>);

struct CachedChain {
    last: Option<(i64, String)>,
    at: std::time::Instant,
    result: audit::Verification,
}

const CHAIN_CACHE_SECS: u64 = 30;

impl ChainCache {
    async fn verified(&self, pool: &SqlitePool) -> Result<audit::Verification> {
        let mut conn = pool.acquire().await?;
        let last = store::audit::last(&mut conn).await?;
        drop(conn);
        let mut cache = self.0.lock().await;
        if let Some(c) = cache
            .as_ref()
            .filter(|c| c.last == last && c.at.elapsed().as_secs() < CHAIN_CACHE_SECS)
        {
            return Ok(c.result.clone());
        }
        let result = audit::verify(pool).await?;
        *cache = Some(CachedChain {
            last,
            at: std::time::Instant::now(),
            result: result.clone(),
        });
        Ok(result)
    }
}

/// One commitment, for its owner or someone who oversees its unit.
pub async fn commitment(
    conn: &mut Conn,
    directory: &Directory,
    user: &SessionUser,
    id: i64,
) -> Result<CommitmentView> {
    let row = store::commitments::by_id(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("该承诺书"))?;
    let is_owner = row.user_id == user.id;
    if !is_owner {
        let (person, org) = (directory.person(user.id).await?, directory.org().await?);
        if !person
            .principal
            .oversees_commitments(&org.tree, OrgUnitId(row.unit_id))
        {
            return Err(ApiError::forbidden().into());
        }
    }
    Ok(CommitmentView {
        signed: views::signed(&row.signed),
        id: row.id,
        token: row.token,
        title: row.title,
        body: row.body,
        post: row.post,
        unit: row.unit,
        owner_name: row.owner,
        is_owner,
        superseded: row.superseded,
    })
}

/// A commitment's public verification: the seal again from what is stored now, its log entry,
/// and the whole log (cached).
pub async fn verification(
    pool: &SqlitePool,
    cache: &ChainCache,
    token: &str,
    origin: &str,
) -> Result<VerificationView> {
    let mut conn = pool.acquire().await?;
    let row = store::commitments::by_token(&mut conn, token)
        .await?
        .ok_or_else(|| ApiError::not_found("该承诺书"))?;
    drop(conn);
    let s = &row.signed;
    // The seal again from what is stored now: any edit of the row shows here.
    let seal_ok = match (
        &s.kind,
        &s.signature,
        &s.signer_username,
        &s.signer_name,
        s.signed_at,
        &s.seal,
    ) {
        (Some(kind), Some(signature), Some(username), Some(name), Some(at), Some(seal)) => {
            domain::audit::seal(&domain::audit::SealInput {
                token: &row.token,
                title: &row.title,
                body: &row.body,
                signer_username: username,
                signer_name: name,
                signature_kind: kind,
                signature,
                signed_at: at,
                device_signed_at: s.device_signed_at,
            }) == *seal
        }
        _ => false,
    };
    let entry_ok = match (s.log_seq, &s.seal) {
        (Some(seq), Some(seal)) => audit::check_entry(pool, seq)
            .await?
            .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
            .is_some_and(|p| {
                p["seal"] == serde_json::json!(seal) && p["token"] == serde_json::json!(row.token)
            }),
        _ => false,
    };
    let chain = cache.verified(pool).await?;
    let mut conn = pool.acquire().await?;
    let entry = s.log_seq.filter(|_| entry_ok);
    let (inclusion, head) = super::transparency::for_signature(&mut conn, entry, origin).await?;
    drop(conn);
    let url = format!("{origin}/verify/{}", row.token);
    let (qr_size, qr_path) = views::qr_path(&url);
    Ok(VerificationView {
        signed: views::signed(&row.signed),
        token: row.token,
        title: row.title,
        body: row.body,
        post: row.post,
        unit: row.unit,
        seal_ok,
        entry_ok,
        chain_ok: chain.broken.is_none(),
        chain_entries: chain.entries,
        chain_broken: chain.broken.map(|b| b.to_string()),
        url,
        qr_size,
        qr_path,
        inclusion,
        head,
    })
}

/// Who has and has not signed in a unit (and beneath it), for those who oversee it.
pub async fn rollup(
    conn: &mut Conn,
    person: &Person,
    org: &Org,
    unit_id: i64,
) -> Result<RollupView> {
    let unit = OrgUnitId(unit_id);
    if !org.names.contains_key(&unit_id) {
        return Err(ApiError::not_found("该单位").into());
    }
    if !person.principal.oversees_commitments(&org.tree, unit) {
        return Err(ApiError::forbidden().into());
    }
    let rows: Vec<RollupRow> = store::commitments::in_force(conn)
        .await?
        .into_iter()
        .filter(|r| org.tree.is_within(OrgUnitId(r.unit_id), unit))
        .map(|r| RollupRow {
            id: r.id,
            signer: r.owner,
            post: r.post,
            unit: org.name(r.unit_id),
            signed_at: r.signed_at.map(china_time),
            reminded_at: r.reminded_at.map(china_time),
        })
        .collect();
    let signed = rows.iter().filter(|r| r.signed_at.is_some()).count();
    Ok(RollupView {
        unit_id,
        unit: org.name(unit_id),
        unsigned: rows.len() - signed,
        signed,
        rows,
    })
}

/// The template in force for posts of `level` (`None`: the general one), for the commission.
pub async fn template(
    conn: &mut Conn,
    person: &Person,
    level: Option<PostLevel>,
) -> Result<TemplateView> {
    if !person.principal.may_edit_commitment_template() {
        return Err(ApiError::forbidden().into());
    }
    let t = store::commitments::template(conn, level).await?;
    Ok(TemplateView {
        post_level: level,
        inherited: level.is_some() && t.post_level.is_none(),
        title: t.title,
        body: t.body,
        placeholders: crate::commitments::PLACEHOLDERS
            .iter()
            .map(|p| (*p).to_owned())
            .collect(),
        updated_at: (t.updated_at > 0).then(|| china_time(t.updated_at)),
    })
}

/// The audit log verified now, with its newest entries.
pub async fn audit_status(pool: &SqlitePool, person: &Person) -> Result<AuditStatus> {
    if !person.principal.may_check_audit_log() {
        return Err(ApiError::forbidden().into());
    }
    let v = audit::verify(pool).await?;
    let mut conn = pool.acquire().await?;
    let recent = store::audit::recent(&mut conn, 50)
        .await?
        .into_iter()
        .map(|r| AuditEntryView {
            seq: r.seq,
            at: china_time(r.at),
            kind: r.kind,
            actor: r.actor,
            subject: r.subject,
            hash: r.hash,
        })
        .collect();
    Ok(AuditStatus {
        entries: v.entries,
        ok: v.broken.is_none(),
        head: v.head,
        broken_seq: v.broken.as_ref().map(|b| b.seq()),
        broken: v.broken.map(|b| b.to_string()),
        recent,
    })
}
