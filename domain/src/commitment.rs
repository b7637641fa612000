//! Signing an integrity commitment (承诺书, DESIGN §7), online or offline: what a signature may
//! be, the hash of the text a signer saw, and the proof that an offline signing was made by
//! someone who knew the signer's password. The browser checks a signature with the same rules
//! before it queues one; the server decides with them.

use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{
    audit::{digest, netstring},
    FieldError,
};

/// The signature pad's box: points are in `0..=PAD_WIDTH` × `0..=PAD_HEIGHT`.
pub const PAD_WIDTH: i32 = 1000;
pub const PAD_HEIGHT: i32 = 400;
const MAX_STROKES: usize = 200;
const MAX_POINTS: usize = 20_000;
/// How far ahead of the server's clock a device's signing time may be: clocks drift, but a
/// signature cannot come from the future.
pub const DEVICE_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1000;

const TEXT_TAG: &str = "lianfang-commitment-text-v1";
const OFFLINE_TAG: &str = "lianfang-offline-signing-v1";

/// A signature as the signer gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// Strokes of points in the pad's box.
    Drawn(Vec<Vec<[i32; 2]>>),
    Typed(String),
}

/// A signature on the wire: `kind` is `drawn` (with `strokes`) or `typed` (with `typed_name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureInput {
    pub kind: String,
    #[serde(default)]
    pub strokes: Vec<Vec<[i32; 2]>>,
    #[serde(default)]
    pub typed_name: String,
}

impl SignatureInput {
    /// The signature it stands for, or why there is none.
    pub fn parse(&self) -> Result<Signature, FieldError> {
        match self.kind.as_str() {
            "drawn" => Ok(Signature::Drawn(self.strokes.clone())),
            "typed" => Ok(Signature::Typed(self.typed_name.clone())),
            _ => Err(FieldError::new(
                "unknown_value",
                "kind",
                "签名方式须为手写或输入姓名",
            )),
        }
    }
}

/// The longest canonical signature read back: room for [`MAX_POINTS`] points and more.
const MAX_CANONICAL_BYTES: usize = 512 * 1024;

impl Signature {
    /// Reads a signature back from its kind and [`Signature::canonical`] text.
    pub fn from_canonical(kind: &str, text: &str) -> Result<Self, FieldError> {
        let unreadable = || {
            FieldError::new(
                "signature_invalid",
                "signature",
                "签名笔迹无法读取或过于复杂，请清除后重新签名",
            )
        };
        match kind {
            "drawn" if text.len() <= MAX_CANONICAL_BYTES => serde_json::from_str(text)
                .map(Self::Drawn)
                .map_err(|_| unreadable()),
            "drawn" => Err(unreadable()),
            "typed" => Ok(Self::Typed(text.to_owned())),
            _ => Err(FieldError::new(
                "unknown_value",
                "signature_kind",
                "签名方式须为手写或输入姓名",
            )),
        }
    }

    /// Checks a drawn signature's shape; a typed one must be the signer's name.
    pub fn check(&self, display_name: &str) -> Result<(), FieldError> {
        match self {
            Self::Drawn(strokes) => {
                let points: usize = strokes.iter().map(Vec::len).sum();
                if strokes.is_empty() || points < 2 {
                    return Err(FieldError::new(
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
                    return Err(FieldError::new(
                        "signature_invalid",
                        "signature",
                        "签名笔迹超出签名框或过于复杂，请清除后重新签名",
                    ));
                }
                Ok(())
            }
            Self::Typed(name) => {
                if name.trim() != display_name.trim() {
                    return Err(FieldError::new(
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

    /// The text the seal covers: the strokes as canonical JSON (`[[[x,y],…],…]`, which is what
    /// [`crate::audit::canonical_json`] gives for them; written directly, so the browser needs
    /// no JSON value code for it), or the typed name.
    pub fn canonical(&self) -> String {
        use std::fmt::Write as _;
        match self {
            Self::Drawn(strokes) => {
                let mut out = String::from("[");
                for (i, stroke) in strokes.iter().enumerate() {
                    out.push_str(if i == 0 { "[" } else { ",[" });
                    for (j, [x, y]) in stroke.iter().enumerate() {
                        let _ = write!(out, "{}[{x},{y}]", if j == 0 { "" } else { "," });
                    }
                    out.push(']');
                }
                out.push(']');
                out
            }
            Self::Typed(name) => name.trim().to_owned(),
        }
    }
}

/// The hash of a commitment's text as its signer read it: an offline signing carries it, and the
/// server refuses the signing if the commitment's text is not this text.
pub fn text_hash(title: &str, body: &str) -> String {
    digest(&[TEXT_TAG.as_bytes(), title.as_bytes(), body.as_bytes()])
}

/// The signer confirmed having read the whole text before signing.
pub fn check_confirmed(confirmed: bool) -> Result<(), FieldError> {
    if confirmed {
        Ok(())
    } else {
        Err(FieldError::new(
            "not_confirmed",
            "confirmed",
            "请先勾选“本人已阅读承诺书全文并自愿签署”",
        ))
    }
}

/// Why a superseded commitment cannot be signed.
pub fn superseded() -> FieldError {
    FieldError::new(
        "superseded",
        "commitment",
        "排查表已更新，该承诺书已作废，请阅读新的承诺书后签署",
    )
}

/// What an offline signing asserts, and what its proof covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineSigning<'a> {
    /// The queued operation's id: a proof holds for its own operation only, so a signing cannot
    /// be sent again under another id (a resend under its own id gets the stored answer).
    pub op_id: &'a str,
    pub username: &'a str,
    pub commitment_id: i64,
    pub text_hash: &'a str,
    pub signature: &'a Signature,
    /// The device's clock when the signer signed, Unix milliseconds.
    pub device_signed_at: i64,
}

/// The proof that an offline signing was made by someone who knew the signer's password: an
/// HMAC-SHA256, under the signer's offline signing key, of every field of [`OfflineSigning`].
/// The key is issued by the server at an online sign-in and kept on the device only sealed under
/// the password, so neither a colleague on the same tablet nor someone holding only the session
/// can make one.
pub fn offline_proof(key: &[u8], signing: &OfflineSigning<'_>) -> String {
    hex::encode(mac(key, signing).finalize().into_bytes())
}

/// Whether `proof` is the proof of `signing` under `key`, compared in constant time.
pub fn proof_holds(key: &[u8], signing: &OfflineSigning<'_>, proof: &str) -> bool {
    hex::decode(proof).is_ok_and(|proof| mac(key, signing).verify_slice(&proof).is_ok())
}

fn mac(key: &[u8], signing: &OfflineSigning<'_>) -> Hmac<Sha256> {
    let mut bytes = Vec::new();
    for field in [
        OFFLINE_TAG.as_bytes(),
        signing.op_id.as_bytes(),
        signing.username.as_bytes(),
        signing.commitment_id.to_string().as_bytes(),
        signing.text_hash.as_bytes(),
        signing.signature.kind().as_bytes(),
        signing.signature.canonical().as_bytes(),
        signing.device_signed_at.to_string().as_bytes(),
    ] {
        netstring(&mut bytes, field);
    }
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(&bytes);
    mac
}

/// Checks a device's signing time against the commitment and the server's clock: not before the
/// commitment existed, not ahead of the server by more than [`DEVICE_CLOCK_AHEAD_MS`].
pub fn check_device_time(
    device_signed_at: i64,
    created_at: i64,
    server_now: i64,
) -> Result<(), FieldError> {
    if device_signed_at > server_now + DEVICE_CLOCK_AHEAD_MS {
        return Err(FieldError::new(
            "device_time_future",
            "device_signed_at",
            "签署设备的时间晚于服务器时间，设备时钟有误。请校准设备时间后重新签署",
        ));
    }
    if device_signed_at + DEVICE_CLOCK_AHEAD_MS < created_at {
        return Err(FieldError::new(
            "device_time_past",
            "device_signed_at",
            "签署设备的时间早于承诺书生成的时间，设备时钟有误。请校准设备时间后重新签署",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let oversized = vec![vec![[5, 5]; 20]; MAX_STROKES + 1];
        assert_eq!(
            Signature::Drawn(oversized).check("陈静").unwrap_err().code,
            "signature_invalid"
        );
        assert!(Signature::Drawn(vec![vec![[10, 10], [200, 300]]])
            .check("陈静")
            .is_ok());
    }

    #[test]
    fn drawn_strokes_are_written_as_their_canonical_json() {
        for strokes in [
            vec![],
            vec![vec![]],
            vec![vec![[10, 10]]],
            vec![vec![[100, 200], [180, 120]], vec![[300, 100], [-1, 400]]],
        ] {
            let drawn = Signature::Drawn(strokes.clone());
            assert_eq!(
                drawn.canonical(),
                crate::audit::canonical_json(&serde_json::json!(strokes))
            );
            assert_eq!(
                Signature::from_canonical("drawn", &drawn.canonical()).unwrap(),
                drawn
            );
        }
        for (kind, text, code) in [
            ("drawn", "[[1,2", "signature_invalid"),
            ("drawn", "\"陈静\"", "signature_invalid"),
            ("stamped", "陈静", "unknown_value"),
        ] {
            assert_eq!(
                Signature::from_canonical(kind, text).unwrap_err().code,
                code
            );
        }
    }

    #[test]
    fn the_text_hash_changes_with_any_character_of_the_text() {
        let a = text_hash("承诺书", "本人承诺：一、……");
        assert_eq!(a, text_hash("承诺书", "本人承诺：一、……"));
        assert_ne!(a, text_hash("承诺书", "本人承诺：一、…… "));
        assert_ne!(a, text_hash("承诺书本人", "承诺：一、……"));
    }

    #[test]
    fn an_offline_proof_holds_only_for_its_key_and_every_field_it_covers() {
        let signature = Signature::Drawn(vec![vec![[10, 10], [200, 300]]]);
        let signing = OfflineSigning {
            op_id: "0b0e5c8e-8a53-4f3e-9a1f-3a8c7c4f9e01",
            username: "chenjing",
            commitment_id: 7,
            text_hash: "ab",
            signature: &signature,
            device_signed_at: 1_795_831_000_000,
        };
        let key = [7u8; 32];
        let proof = offline_proof(&key, &signing);
        assert!(proof_holds(&key, &signing, &proof));
        assert!(!proof_holds(&[8u8; 32], &signing, &proof));
        assert!(!proof_holds(&key, &signing, "not hex"));
        let other = Signature::Drawn(vec![vec![[10, 10], [200, 301]]]);
        for changed in [
            OfflineSigning {
                op_id: "5a2d0000-8a53-4f3e-9a1f-3a8c7c4f9e01",
                ..signing.clone()
            },
            OfflineSigning {
                username: "zhangwei",
                ..signing.clone()
            },
            OfflineSigning {
                commitment_id: 8,
                ..signing.clone()
            },
            OfflineSigning {
                text_hash: "ac",
                ..signing.clone()
            },
            OfflineSigning {
                signature: &other,
                ..signing.clone()
            },
            OfflineSigning {
                device_signed_at: 1_795_831_000_001,
                ..signing.clone()
            },
        ] {
            assert!(!proof_holds(&key, &changed, &proof), "{changed:?}");
        }
    }

    #[test]
    fn a_device_time_may_drift_a_little_but_not_into_the_future_or_before_the_text() {
        let created = 1_000_000_000;
        let now = 2_000_000_000;
        assert!(check_device_time(now - 60_000, created, now).is_ok());
        assert!(check_device_time(now + 60_000, created, now).is_ok());
        assert_eq!(
            check_device_time(now + DEVICE_CLOCK_AHEAD_MS + 1, created, now)
                .unwrap_err()
                .code,
            "device_time_future"
        );
        assert_eq!(
            check_device_time(created - DEVICE_CLOCK_AHEAD_MS - 1, created, now)
                .unwrap_err()
                .code,
            "device_time_past"
        );
    }
}
