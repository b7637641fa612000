//! The server's secret: 32 random bytes in a key file outside the database, from which keys for
//! keyed hashes are derived. Whoever holds a copy of the database alone cannot reverse a keyed
//! hash of a phone number by trying every number.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// The secret. Debug output never shows it.
#[derive(Clone)]
pub struct ServerSecret([u8; 32]);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(…)")
    }
}

/// What a derived key is for; each use gets its own key.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// Keyed hashes of objectors' contacts in the audit log.
    ObjectorContact,
    /// Keyed hashes of objectors' network addresses, for the per-source objection limit.
    ObjectorAddress,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::ObjectorContact => b"lianfang objector contact v1",
            Self::ObjectorAddress => b"lianfang objector address v1",
        }
    }
}

/// `N` bytes from the operating system's random source: for tokens, nonces and keys.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    bytes
}

impl ServerSecret {
    /// A fresh random secret (tests, and a key file's first start).
    pub fn random() -> Self {
        Self(random_bytes())
    }

    /// Reads the key file, or creates it (readable by its owner only) when it does not exist.
    /// A file that exists but cannot be read, or does not hold 64 hex digits, is an error: a
    /// new secret would silently break every keyed hash made before.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok());
                bytes.map(Self).with_context(|| {
                    format!(
                        "密钥文件 {} 内容无效：应为 64 位十六进制数字（请从备份恢复，不要删除或修改）",
                        path.display()
                    )
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = Self::random();
                secret.write_new(path)?;
                tracing::info!(path = %path.display(), "created the server's key file");
                Ok(secret)
            }
            Err(e) => Err(e).with_context(|| {
                format!(
                    "无法读取密钥文件 {}（请检查文件权限；可用 --secret-file 指定其他位置）",
                    path.display()
                )
            }),
        }
    }

    fn write_new(&self, path: &Path) -> anyhow::Result<()> {
        create_owner_only(path, hex::encode(self.0).as_bytes(), "密钥文件")
    }

    /// The key for one purpose.
    pub fn key(&self, purpose: Purpose) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.label());
        mac.finalize().into_bytes().into()
    }

    /// A keyed hash of `text` for `purpose`, as hex.
    pub fn keyed_hash(&self, purpose: Purpose, text: &str) -> String {
        keyed_hash(&self.key(purpose), text)
    }
}

/// Creates a key file at `path` (never over an existing one) readable by its owner only, with
/// `contents`, synced to disk; `what` names it in the Chinese errors.
pub fn create_owner_only(path: &Path, contents: &[u8], what: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("无法创建{what} {}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("无法写入{what} {}", path.display()))
}

/// HMAC-SHA-256 of `text` under `key`, as hex.
pub fn keyed_hash(key: &[u8], text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The key file's default place: beside the database.
pub fn default_path(database: &Path) -> PathBuf {
    database
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("lianfang.key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_once_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("lianfang.key");
        let first = ServerSecret::load_or_create(&path).unwrap();
        let again = ServerSecret::load_or_create(&path).unwrap();
        assert_eq!(
            first.keyed_hash(Purpose::ObjectorContact, "13800000000"),
            again.keyed_hash(Purpose::ObjectorContact, "13800000000")
        );
        assert_ne!(
            first.keyed_hash(Purpose::ObjectorContact, "13800000000"),
            first.keyed_hash(Purpose::ObjectorAddress, "13800000000"),
            "each purpose has its own key"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains(&hex::encode(first.0)));
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lianfang.key");
        std::fs::write(&path, "not hex").unwrap();
        let error = ServerSecret::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("内容无效"), "{error}");
    }
}
