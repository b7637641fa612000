//! The transparency log as its pages show it (issue 17): the public page of signed heads, the
//! head a printout carries, and a signature's inclusion proof for the verification page.

use app::api::{HeadLine, InclusionView, PrintedHead, TransparencyView};
use domain::time::china_time;

use crate::{
    error::Result,
    store::Conn,
    transparency::{self, SignedHead},
};

/// Heads the public page lists.
const HISTORY: i64 = 50;

/// The page that checks a saved head against today's log, as printed.
fn check_url(origin: &str, head: &SignedHead) -> String {
    format!(
        "{origin}/transparency?size={}&root={}",
        head.size, head.root
    )
}

/// The newest signed head, as a printout carries it; `None` before the first head.
pub async fn printed_head(conn: &mut Conn, origin: &str) -> Result<Option<PrintedHead>> {
    let Some(head) = transparency::latest(conn).await? else {
        return Ok(None);
    };
    let check_url = check_url(origin, &head);
    let (qr_size, qr_path) = super::views::qr_path(&check_url);
    Ok(Some(PrintedHead {
        size: head.size,
        root: head.root,
        issued: china_time(head.issued_at),
        public_key: head.public_key,
        check_url,
        qr_size,
        qr_path,
    }))
}

/// Entry `seq`'s inclusion proof in the newest signed head, once a head covers it.
pub async fn inclusion(conn: &mut Conn, seq: i64) -> Result<Option<InclusionView>> {
    let Some(head) = transparency::latest(conn).await? else {
        return Ok(None);
    };
    let Ok(wanted) = u64::try_from(seq) else {
        return Ok(None);
    };
    if wanted == 0 || wanted > head.size {
        return Ok(None);
    }
    let proof = transparency::inclusion(conn, wanted, Some(head.size)).await?;
    Ok(Some(InclusionView {
        seq,
        size: head.size,
        json: serde_json::to_string(&proof).map_err(anyhow::Error::from)?,
    }))
}

/// The public page: the key that signs heads now and the newest heads.
pub async fn page(conn: &mut Conn, public_key: String) -> Result<TransparencyView> {
    let heads = transparency::history(conn, None, HISTORY)
        .await?
        .into_iter()
        .map(|(_, h)| HeadLine {
            size: h.size,
            root: h.root,
            issued: china_time(h.issued_at),
            signature: h.signature,
            public_key: h.public_key,
        })
        .collect();
    Ok(TransparencyView { public_key, heads })
}
