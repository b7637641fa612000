//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane).

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). CPU-bound: call it
/// from `spawn_blocking` on a server.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("Failed to hash a password: {e}"))
}

/// Checks a password against a stored PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of a random password, checked against when the account does not exist, so that
/// a login for an unknown name costs as long as one for a known name and does not reveal which
/// names exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let random: String = {
            use rand::Rng as _;
            rand::thread_rng()
                .sample_iter(rand::distributions::Alphanumeric)
                .take(32)
                .map(char::from)
                .collect()
        };
        hash(&random).expect("hashing a random password succeeds")
    })
}

/// A temporary password for a new account: twelve characters from letters and digits that are
/// hard to misread when handed over on paper (no 0/O, 1/l/I), with at least one of each kind, so
/// it passes the password policy. It must be changed at the first sign-in.
pub fn temporary() -> String {
    use rand::seq::SliceRandom as _;
    const LETTERS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::thread_rng();
    let mut chars: Vec<u8> = (0..12)
        .map(|i| {
            let set = if i < 3 { DIGITS } else { LETTERS };
            *set.choose(&mut rng).expect("the sets are not empty")
        })
        .collect();
    chars.shuffle(&mut rng);
    String::from_utf8(chars).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_password_passes_the_policy_and_is_never_the_same_twice() {
        let (a, b) = (temporary(), temporary());
        assert_ne!(a, b);
        for p in [a, b] {
            assert!(domain::account::NewPassword::parse(&p).is_ok(), "{p}");
            assert!(!p.contains(['0', 'O', '1', 'l', 'I']), "{p}");
        }
    }

    #[test]
    fn a_hash_is_argon2id_and_verifies_only_the_right_password() {
        let h = hash("lianfang2026").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("lianfang2026", &h));
        assert!(!verify("lianfang2027", &h));
        assert!(!verify("lianfang2026", "not a hash"));
    }
}
