//! The tamper-evident record (DESIGN §9): an append-only log whose every entry carries the hash
//! of the entry before it, and the seal of a signed commitment. Both are defined here, as pure
//! functions over bytes, so that the server and anyone else (docs/audit-log.md) compute the same.
//!
//! Encoding: every field is a netstring, `<length in bytes>:<bytes>,`, so no field's content can
//! be mistaken for another field's, whatever characters it holds.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const ENTRY_TAG: &str = "lianfang-audit-v1";
const SEAL_TAG: &str = "lianfang-seal-v1";

pub(crate) fn netstring(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(field.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(field);
    out.push(b',');
}

pub(crate) fn digest(fields: &[&[u8]]) -> String {
    let mut bytes = Vec::with_capacity(fields.iter().map(|f| f.len() + 8).sum());
    for f in fields {
        netstring(&mut bytes, f);
    }
    hex::encode(Sha256::digest(&bytes))
}

/// One entry of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3, … without gaps.
    pub seq: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// What happened: `stage_change`, `objection_filed`, `signature`, …
    pub kind: String,
    /// The user who did it; `None` for the public (an objection).
    pub actor: Option<i64>,
    /// What it happened to: `sheet:12`, `commitment:5`, …
    pub subject: String,
    /// The content, as canonical JSON text (see [`canonical_json`]).
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash an entry must carry: SHA-256 over the netstrings of the tag, seq, at, kind, actor
/// (empty for none), subject, payload and prev_hash, in that order, as lowercase hex.
pub fn entry_hash(
    seq: i64,
    at: i64,
    kind: &str,
    actor: Option<i64>,
    subject: &str,
    payload: &str,
    prev_hash: &str,
) -> String {
    let actor = actor.map(|a| a.to_string()).unwrap_or_default();
    digest(&[
        ENTRY_TAG.as_bytes(),
        seq.to_string().as_bytes(),
        at.to_string().as_bytes(),
        kind.as_bytes(),
        actor.as_bytes(),
        subject.as_bytes(),
        payload.as_bytes(),
        prev_hash.as_bytes(),
    ])
}

/// Why a log does not verify, naming the first entry that breaks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Broken {
    #[error("第 {seq} 条记录的序号不连续（应为 {expected}）")]
    Gap { seq: i64, expected: i64 },
    #[error("第 {seq} 条记录与前一条记录的链接不符（记录可能被删除、插入或改动）")]
    Link { seq: i64 },
    #[error("第 {seq} 条记录的内容与其哈希不符（记录被改动）")]
    Content { seq: i64 },
}

impl Broken {
    pub fn seq(&self) -> i64 {
        match self {
            Self::Gap { seq, .. } | Self::Link { seq } | Self::Content { seq } => *seq,
        }
    }
}

/// Checks entries in order, carrying state from one batch to the next, so a log of any length
/// can be verified in slices.
#[derive(Debug, Clone)]
pub struct Verifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    pub fn new() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS.to_owned(),
        }
    }

    /// Checks the next entry.
    pub fn check(&mut self, e: &Entry) -> Result<(), Broken> {
        if e.seq != self.next_seq {
            return Err(Broken::Gap {
                seq: e.seq,
                expected: self.next_seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(Broken::Link { seq: e.seq });
        }
        let hash = entry_hash(
            e.seq,
            e.at,
            &e.kind,
            e.actor,
            &e.subject,
            &e.payload,
            &e.prev_hash,
        );
        if hash != e.hash {
            return Err(Broken::Content { seq: e.seq });
        }
        self.next_seq += 1;
        self.prev_hash = hash;
        Ok(())
    }

    /// Entries checked so far.
    pub fn count(&self) -> i64 {
        self.next_seq - 1
    }

    /// The hash of the last entry checked (the head of the chain).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

/// JSON with object keys sorted and no insignificant whitespace: one text for one value.
pub fn canonical_json(value: &serde_json::Value) -> String {
    fn write(out: &mut String, v: &serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(':');
                    write(out, &map[k]);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(out, item);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(&mut out, value);
    out
}

/// What a signer signs: the commitment's text, who signs it, how, and when the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealInput<'a> {
    /// The commitment's public id.
    pub token: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub signer_username: &'a str,
    pub signer_name: &'a str,
    /// The signature: canonical JSON of the strokes, or the typed name.
    pub signature_kind: &'a str,
    pub signature: &'a str,
    /// Server time, Unix milliseconds.
    pub signed_at: i64,
    /// For a signature made offline: the signing device's clock when the signer signed, Unix
    /// milliseconds. Absent for one made online, whose seal is what it always was.
    pub device_signed_at: Option<i64>,
}

/// The seal of a signed commitment: SHA-256 over the netstrings of the tag and every field of
/// [`SealInput`] in declaration order (the device time only when there is one). The same content
/// always gives the same seal.
pub fn seal(input: &SealInput<'_>) -> String {
    let signed_at = input.signed_at.to_string();
    let device = input.device_signed_at.map(|t| format!("device:{t}"));
    let mut fields: Vec<&[u8]> = vec![
        SEAL_TAG.as_bytes(),
        input.token.as_bytes(),
        input.title.as_bytes(),
        input.body.as_bytes(),
        input.signer_username.as_bytes(),
        input.signer_name.as_bytes(),
        input.signature_kind.as_bytes(),
        input.signature.as_bytes(),
        signed_at.as_bytes(),
    ];
    if let Some(device) = &device {
        fields.push(device.as_bytes());
    }
    digest(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let payload = format!("{{\"n\":{seq}}}");
                let hash = entry_hash(
                    seq,
                    1000 + seq,
                    "stage_change",
                    Some(7),
                    "sheet:1",
                    &payload,
                    &prev,
                );
                let e = Entry {
                    seq,
                    at: 1000 + seq,
                    kind: "stage_change".to_owned(),
                    actor: Some(7),
                    subject: "sheet:1".to_owned(),
                    payload,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(entries: &[Entry]) -> Result<i64, Broken> {
        let mut v = Verifier::new();
        for e in entries {
            v.check(e)?;
        }
        Ok(v.count())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn a_changed_payload_is_named_by_its_entry() {
        let mut log = chain(5);
        log[2].payload = "{\"n\":99}".to_owned();
        assert_eq!(verify(&log), Err(Broken::Content { seq: 3 }));
    }

    #[test]
    fn a_recomputed_hash_breaks_the_link_of_the_next_entry() {
        let mut log = chain(5);
        log[2].actor = Some(8);
        let e = &log[2];
        log[2].hash = entry_hash(
            e.seq,
            e.at,
            &e.kind,
            e.actor,
            &e.subject,
            &e.payload,
            &e.prev_hash,
        );
        assert_eq!(verify(&log), Err(Broken::Link { seq: 4 }));
    }

    #[test]
    fn a_deleted_entry_is_a_gap() {
        let mut log = chain(5);
        log.remove(1);
        assert_eq!(
            verify(&log),
            Err(Broken::Gap {
                seq: 3,
                expected: 2
            })
        );
    }

    #[test]
    fn fields_cannot_bleed_into_each_other() {
        let a = entry_hash(1, 1, "ab", None, "c", "{}", GENESIS);
        let b = entry_hash(1, 1, "a", None, "bc", "{}", GENESIS);
        assert_ne!(a, b);
    }

    fn input(body: &str) -> SealInput<'_> {
        SealInput {
            token: "t1",
            title: "廉政风险防范承诺书",
            body,
            signer_username: "chenjing",
            signer_name: "陈静",
            signature_kind: "drawn",
            signature: "[[[1,2],[3,4]]]",
            signed_at: 1_795_831_673_000,
            device_signed_at: None,
        }
    }

    #[test]
    fn an_online_seal_is_what_it_always_was_and_an_offline_one_covers_the_device_time() {
        let online = input("本人承诺……");
        let before_offline_signing = digest(&[
            SEAL_TAG.as_bytes(),
            b"t1",
            "廉政风险防范承诺书".as_bytes(),
            "本人承诺……".as_bytes(),
            b"chenjing",
            "陈静".as_bytes(),
            b"drawn",
            b"[[[1,2],[3,4]]]",
            b"1795831673000",
        ]);
        assert_eq!(seal(&online), before_offline_signing);
        let offline = SealInput {
            device_signed_at: Some(1_795_831_000_000),
            ..online.clone()
        };
        let later = SealInput {
            device_signed_at: Some(1_795_831_000_001),
            ..online
        };
        assert_ne!(seal(&offline), before_offline_signing);
        assert_ne!(seal(&offline), seal(&later));
    }

    #[test]
    fn the_same_content_always_gives_the_same_seal() {
        assert_eq!(seal(&input("本人承诺……")), seal(&input("本人承诺……")));
        assert_eq!(seal(&input("本人承诺……")).len(), 64);
        assert_ne!(seal(&input("本人承诺……")), seal(&input("本人承诺…… ")));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"y":1,"x":2}],"c":"中"}}"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"中","d":[{"x":2,"y":1}]},"b":1}"#
        );
    }
}
