//! Signed tree heads of the audit log (issue 17; docs/audit-log.md): the stored Merkle tree's size
//! and root, signed with the server's Ed25519 key, issued on a schedule and after every
//! commitment signature. A head saved anywhere — a printout, a robot's group, a file on another
//! disk — later proves with a consistency proof that the log was neither cut short nor rewritten.
//!
//! The key is kept in a file outside the database (PKCS#8 PEM, as `openssl genpkey -algorithm
//! ed25519` writes it), created readable by its owner only on first start.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ed25519_dalek::{
    pkcs8::{spki::der::pem::LineEnding, DecodePrivateKey as _, EncodePrivateKey as _},
    Signer as _, SigningKey, Verifier as _, VerifyingKey,
};
use serde::{Deserialize, Serialize};

use crate::{
    audit,
    db::{now_ms, Db},
    store::{self, Conn},
};

/// The key that signs tree heads. Debug output never shows it.
#[derive(Clone)]
pub struct HeadKey(SigningKey);

impl std::fmt::Debug for HeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeadKey(public {})", self.public_hex())
    }
}

/// Where the head key lives unless a setting says otherwise: beside the database.
pub fn default_path(database: &Path) -> PathBuf {
    database
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("lianfang-head.pem")
}

impl HeadKey {
    /// A fresh key (tests, and a key file's first start).
    pub fn random() -> Self {
        Self(SigningKey::from_bytes(&crate::secret::random_bytes()))
    }

    /// Reads the key file, or creates it (owner-only) when it does not exist. A file that exists
    /// but cannot be read or holds anything but an Ed25519 private key is an error: a new key
    /// would leave every head issued before without its key.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => SigningKey::from_pkcs8_pem(&text).map(Self).map_err(|_| {
                anyhow::anyhow!(
                    "树头签名密钥文件 {} 不是 Ed25519 私钥：应为 PKCS#8 PEM 格式（如 openssl genpkey -algorithm ed25519 所生成）。请从备份恢复，不要删除或修改",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                key.write_new(path)?;
                tracing::info!(path = %path.display(), public_key = %key.public_hex(), "created the tree head signing key");
                Ok(key)
            }
            Err(e) => Err(e).with_context(|| {
                format!(
                    "无法读取树头签名密钥文件 {}（请检查文件权限；可用 --head-key-file 指定其他位置）",
                    path.display()
                )
            }),
        }
    }

    fn write_new(&self, path: &Path) -> anyhow::Result<()> {
        let pem = self
            .0
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| anyhow::anyhow!("Failed to encode the head key: {e}"))?;
        crate::secret::create_owner_only(path, pem.as_bytes(), "树头签名密钥文件")
    }

    /// The public key, 64 hex digits: printed on every page and in the README's deployment notes.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().as_bytes())
    }

    fn sign(&self, message: &str) -> String {
        hex::encode(self.0.sign(message.as_bytes()).to_bytes())
    }
}

/// A signed tree head, as published and as saved outside the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    pub size: u64,
    /// The tree's root, 64 lowercase hex.
    pub root: String,
    /// Milliseconds since the Unix epoch.
    pub issued_at: i64,
    /// The Ed25519 public key that signed it, 64 hex.
    pub public_key: String,
    /// The signature over [`domain::merkle::head_message`], 128 hex.
    pub signature: String,
}

impl SignedHead {
    /// Whether the signature is the public key's over the head's fields.
    pub fn verifies(&self) -> bool {
        let key = hex::decode(&self.public_key)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .and_then(|b| VerifyingKey::from_bytes(&b).ok());
        let signature = hex::decode(&self.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| ed25519_dalek::Signature::from_bytes(&b));
        let message = domain::merkle::head_message(self.size, &self.root, self.issued_at);
        match (key, signature) {
            (Some(key), Some(signature)) => key.verify(message.as_bytes(), &signature).is_ok(),
            _ => false,
        }
    }

    /// The page that checks this head against today's log (`/transparency`, whose form reads
    /// the two numbers from the address): the link on printouts and robot messages.
    pub fn check_path(&self) -> String {
        format!("/transparency?size={}&root={}", self.size, self.root)
    }

    fn from_row(row: store::audit::HeadRow) -> Self {
        Self {
            size: u64::try_from(row.size).unwrap_or(0),
            root: row.root,
            issued_at: row.issued_at,
            public_key: row.public_key,
            signature: row.signature,
        }
    }
}

/// Where each new head is also sent, outside the server (docs/audit-log.md, "Witnesses").
#[derive(Debug, Clone, Default)]
pub struct Witnesses {
    /// A file on another disk, to which every head is appended as one JSON line: `lianfang
    /// verify --against` reads it as it is.
    pub file: Option<PathBuf>,
    /// Whether a head that covers new entries is posted to the district's own group robot (the
    /// commission's, on the district root unit), through the robots' queue.
    pub robot: bool,
}

/// Signs the tree as it stands and stores the head. In a write transaction, so heads are issued
/// in the order of the log and a head never names entries that are not committed.
pub async fn issue(db: &Db, key: &HeadKey) -> anyhow::Result<SignedHead> {
    issue_witnessed(db, key, &Witnesses::default()).await
}

/// [`issue`], and the head handed to the `witnesses`: queued for the robot in the same
/// transaction, appended to the file once committed.
pub async fn issue_witnessed(
    db: &Db,
    key: &HeadKey,
    witnesses: &Witnesses,
) -> anyhow::Result<SignedHead> {
    let root_unit = if witnesses.robot {
        district_root(db).await?
    } else {
        None
    };
    let mut tx = db.begin_write().await?;
    let previous = latest(&mut tx).await?.map(|h| h.size);
    let tree = audit::tree_head(&mut tx).await?;
    let issued_at = now_ms();
    let message = domain::merkle::head_message(tree.size, &tree.root, issued_at);
    let head = SignedHead {
        size: tree.size,
        root: tree.root,
        issued_at,
        public_key: key.public_hex(),
        signature: key.sign(&message),
    };
    store::audit::insert_head(
        &mut tx,
        &store::audit::NewHead {
            size: i64::try_from(head.size)?,
            root: &head.root,
            issued_at,
            public_key: &head.public_key,
            signature: &head.signature,
        },
    )
    .await?;
    let grew = previous.is_none_or(|p| head.size > p);
    if let (Some(unit), true) = (root_unit, grew) {
        if store::robots::exists(&mut tx, unit).await? {
            let text = robot_text(&head);
            let link = head.check_path();
            let message = store::robots::NewDelivery {
                unit_id: unit,
                notification_id: None,
                text: &text,
                link: &link,
            };
            store::robots::queue(&mut tx, &message, issued_at).await?;
        }
    }
    tx.commit().await?;
    if let Some(file) = &witnesses.file {
        if let Err(error) = append_line(file, &head) {
            tracing::error!(file = %file.display(), error = %format!("{error:#}"), "failed to append a tree head to the witness file");
        }
    }
    Ok(head)
}

/// The message a head is posted as: the numbers to keep, in the group's history.
fn robot_text(head: &SignedHead) -> String {
    format!(
        "【廉防审计树头】审计记录共 {} 条，根哈希 {}，{} 签发，公钥 {}。请勿删除本消息：日后可凭它核对审计记录未被截断或改写。",
        head.size,
        head.root,
        domain::time::china_time(head.issued_at),
        &head.public_key[..16.min(head.public_key.len())]
    )
}

/// Appends the head to the witness file as one JSON line, and syncs it.
fn append_line(file: &Path, head: &SignedHead) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut line = serde_json::to_string(head)?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("无法打开树头见证文件 {}", file.display()))?;
    f.write_all(line.as_bytes())
        .and_then(|()| f.sync_data())
        .with_context(|| format!("无法写入树头见证文件 {}", file.display()))
}

/// The district root unit (the oldest unit without a parent), whose robot is the commission's.
async fn district_root(db: &Db) -> anyhow::Result<Option<i64>> {
    let org = db.directory().org().await?;
    Ok(org
        .names
        .keys()
        .copied()
        .filter(|id| org.tree.parent(domain::ids::OrgUnitId(*id)).is_none())
        .min())
}

/// [`issue_witnessed`] where a head is wanted but the act that wants it has already succeeded
/// (after a signature): a failure is logged, the next scheduled head covers the entry.
pub async fn issue_after(db: &Db, key: &HeadKey, witnesses: &Witnesses, why: &str) {
    if let Err(error) = issue_witnessed(db, key, witnesses).await {
        tracing::error!(%why, error = %format!("{error:#}"), "failed to issue a tree head");
    }
}

/// The newest signed head, if any was issued.
pub async fn latest(conn: &mut Conn) -> anyhow::Result<Option<SignedHead>> {
    Ok(store::audit::heads(conn, None, 1)
        .await?
        .into_iter()
        .next()
        .map(SignedHead::from_row))
}

/// Up to `limit` heads issued before the head with id `before`, newest first, with their ids.
pub async fn history(
    conn: &mut Conn,
    before: Option<i64>,
    limit: i64,
) -> anyhow::Result<Vec<(i64, SignedHead)>> {
    Ok(store::audit::heads(conn, before, limit)
        .await?
        .into_iter()
        .map(|r| (r.id, SignedHead::from_row(r)))
        .collect())
}

/// An inclusion proof as published: that entry `seq` (its leaf index `seq - 1`) is in the tree of
/// the first `size` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub seq: u64,
    pub size: u64,
    /// The entry's `hash` (64 hex): its leaf is SHA-256(0x00 ‖ these 64 ASCII characters).
    pub entry_hash: String,
    /// The audit path, leaf to root, each 64 hex.
    pub proof: Vec<String>,
    /// The head whose size this is, when one was signed at that size.
    pub head: Option<SignedHead>,
}

/// A consistency proof as published: that the tree of `from` entries is a prefix of the tree of
/// `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub proof: Vec<String>,
    /// The newer tree's root, which the proof leads to.
    pub to_root: String,
    /// The newest signed head, when `to` is its size.
    pub head: Option<SignedHead>,
}

fn hexes(hashes: Vec<domain::merkle::Hash>) -> Vec<String> {
    hashes.into_iter().map(hex::encode).collect()
}

/// How many entries the stored tree answers for, as a proof's size.
async fn answered(conn: &mut Conn) -> crate::error::Result<u64> {
    Ok(u64::try_from(audit::tree_size(conn).await?).map_err(anyhow::Error::from)?)
}

/// The size a proof is asked against: `size` if given, else the newest head's (else the tree's,
/// `tree` entries), refused when the log does not hold that many entries.
async fn proof_size(
    conn: &mut Conn,
    size: Option<u64>,
    tree: u64,
) -> crate::error::Result<(u64, Option<SignedHead>)> {
    let newest = latest(conn).await?;
    let size = size.or(newest.as_ref().map(|h| h.size)).unwrap_or(tree);
    if size > tree {
        return Err(crate::error::Error::refused(
            "beyond_log",
            format!("审计记录现只有 {tree} 条，没有含 {size} 条记录的树"),
        ));
    }
    let head = newest.filter(|h| h.size == size);
    Ok((size, head))
}

/// The inclusion proof of entry `seq` in the tree of `size` entries (the newest head's when not
/// given). Refused, naming both numbers, for an entry beyond that size.
pub async fn inclusion(
    conn: &mut Conn,
    seq: u64,
    size: Option<u64>,
) -> crate::error::Result<InclusionProof> {
    let tree = answered(conn).await?;
    let (size, head) = proof_size(conn, size, tree).await?;
    let beyond = || {
        crate::error::Error::refused(
            "beyond_head",
            format!("第 {seq} 条审计记录不在含 {size} 条记录的树头之内（序号应为 1 至 {size}）"),
        )
    };
    let proof = audit::inclusion_proof(conn, seq, size)
        .await?
        .ok_or_else(beyond)?;
    // The entry is in the tree, so in the log: its hash, the one row after `seq - 1`.
    let index = i64::try_from(seq).map_err(|_| beyond())?;
    let (_, entry_hash) = store::audit::hashes_after(conn, index - 1, 1)
        .await?
        .into_iter()
        .find(|(s, _)| *s == index)
        .ok_or_else(beyond)?;
    Ok(InclusionProof {
        seq,
        size,
        entry_hash,
        proof: hexes(proof),
        head,
    })
}

/// The consistency proof from the tree of `from` entries to the tree of `to` (the newest head's
/// when not given). An older size beyond today's log is refused as what it means: the log was
/// cut short since.
pub async fn consistency(
    conn: &mut Conn,
    from: u64,
    to: Option<u64>,
) -> crate::error::Result<ConsistencyProof> {
    let tree = answered(conn).await?;
    if from > tree {
        return Err(crate::error::Error::refused(
            "truncated",
            format!("审计记录被截断：保存的树头含 {from} 条记录，现只有 {tree} 条"),
        ));
    }
    let (to, head) = proof_size(conn, to, tree).await?;
    let proof = audit::consistency_proof(conn, from, to)
        .await?
        .ok_or_else(|| {
            crate::error::Error::refused(
                "beyond_head",
                format!("较早的树头（{from} 条）不能大于较新的树头（{to} 条）"),
            )
        })?;
    Ok(ConsistencyProof {
        from,
        to,
        proof: hexes(proof),
        to_root: hex::encode(audit::root_at(conn, to).await?),
        head,
    })
}

/// How often the schedule looks for signatures that no head covers yet (signed offline and
/// synced, or signed through the command line).
const SIGNATURE_POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether a head is due: none yet, the newest is older than `every`, or a signature was logged
/// after it.
pub async fn due(conn: &mut Conn, every_ms: i64, now: i64) -> anyhow::Result<bool> {
    let Some(head) = latest(conn).await? else {
        return Ok(true);
    };
    if now - head.issued_at >= every_ms {
        return Ok(true);
    }
    store::audit::signature_after(conn, i64::try_from(head.size)?).await
}

/// Issues heads beside the server for as long as it runs: every `every` (a witness that saves
/// them sees the log grow, and a gap is itself a sign), and within seconds of any signature.
pub fn spawn_schedule(
    db: Db,
    key: HeadKey,
    witnesses: Witnesses,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        loop {
            let wanted = match db.pool().acquire().await {
                Ok(mut conn) => due(&mut conn, every_ms, now_ms()).await,
                Err(e) => Err(e.into()),
            };
            match wanted {
                Ok(true) => issue_after(&db, &key, &witnesses, "schedule").await,
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "failed to check for a tree head")
                }
            }
            tokio::time::sleep(SIGNATURE_POLL).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_created_once_read_back_and_refused_when_of_another_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("head.pem");
        let first = HeadKey::load_or_create(&path).expect("created");
        let again = HeadKey::load_or_create(&path).expect("read back");
        assert_eq!(first.public_hex(), again.public_hex());
        let text = std::fs::read_to_string(&path).expect("pem");
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The server's other key file (64 hex digits) is not a signing key.
        let wrong = dir.path().join("wrong.pem");
        std::fs::write(&wrong, hex::encode([7u8; 32])).expect("write");
        let error = HeadKey::load_or_create(&wrong).expect_err("wrong kind");
        assert!(error.to_string().contains("不是 Ed25519 私钥"), "{error}");
    }

    #[test]
    fn a_signature_covers_size_root_and_time() {
        let key = HeadKey::random();
        let root = hex::encode(domain::merkle::empty_root());
        let message = domain::merkle::head_message(3, &root, 1_700_000_000_000);
        let head = SignedHead {
            size: 3,
            root: root.clone(),
            issued_at: 1_700_000_000_000,
            public_key: key.public_hex(),
            signature: key.sign(&message),
        };
        assert!(head.verifies());
        for bent in [
            SignedHead {
                size: 2,
                ..head.clone()
            },
            SignedHead {
                issued_at: 1,
                ..head.clone()
            },
            SignedHead {
                root: hex::encode([0u8; 32]),
                ..head.clone()
            },
            SignedHead {
                public_key: HeadKey::random().public_hex(),
                ..head.clone()
            },
        ] {
            assert!(!bent.verifies(), "{bent:?}");
        }
    }
}
