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

/// The newest signed head, as a printout carries it; `None` before the first head.
pub async fn printed_head(conn: &mut Conn, origin: &str) -> Result<Option<PrintedHead>> {
    Ok(transparency::latest(conn)
        .await?
        .map(|head| printed(head, origin)))
}

/// `head` as a printout carries it, with the absolute link and QR code that check it.
fn printed(head: SignedHead, origin: &str) -> PrintedHead {
    let check_url = format!("{origin}{}", head.check_path());
    let (qr_size, qr_path) = super::views::qr_path(&check_url);
    PrintedHead {
        size: head.size,
        root: head.root,
        issued: china_time(head.issued_at),
        public_key: head.public_key,
        check_url,
        qr_size,
        qr_path,
    }
}

/// For a commitment's verification page: entry `seq`'s inclusion proof in the newest signed
/// head, once a head covers it (`None` for no entry), and that head as the page prints it.
pub async fn for_signature(
    conn: &mut Conn,
    seq: Option<i64>,
    origin: &str,
) -> Result<(Option<InclusionView>, Option<PrintedHead>)> {
    let Some(head) = transparency::latest(conn).await? else {
        return Ok((None, None));
    };
    let covered = seq.and_then(|s| u64::try_from(s).ok().filter(|&w| w >= 1 && w <= head.size));
    let inclusion = match covered {
        Some(wanted) => {
            let proof = transparency::inclusion(conn, wanted, Some(head.size)).await?;
            Some(InclusionView {
                seq: i64::try_from(wanted).map_err(anyhow::Error::from)?,
                size: head.size,
                json: serde_json::to_string(&proof).map_err(anyhow::Error::from)?,
            })
        }
        None => None,
    };
    Ok((inclusion, Some(printed(head, origin))))
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
