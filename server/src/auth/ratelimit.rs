//! Failed-login limits per account and per client address, over a sliding window. Counted in the
//! database so that a restart does not reset them.

use crate::{
    db::now_ms,
    store::{self, Conn},
};

/// The window failures are counted over.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures of one account within the window before its logins are refused.
pub const MAX_PER_ACCOUNT: i64 = 5;
/// Failures from one address within the window before its logins are refused. Higher than the
/// account limit because a village office may share one address.
pub const MAX_PER_ADDRESS: i64 = 20;

/// Why a login attempt was refused before the password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Account { retry_after_secs: i64 },
    Address { retry_after_secs: i64 },
}

/// Checks both limits. Runs inside the login's write transaction, so that two parallel attempts
/// cannot both slip under the limit.
pub async fn check(
    conn: &mut Conn,
    username: &str,
    address: &str,
) -> anyhow::Result<Option<Limited>> {
    let since = now_ms() - WINDOW_MS;
    let account = store::accounts::failures_of_account(conn, username, since).await?;
    if account.count >= MAX_PER_ACCOUNT {
        return Ok(Some(Limited::Account {
            retry_after_secs: retry_after(account.oldest, since),
        }));
    }
    let by_address = store::accounts::failures_of_address(conn, address, since).await?;
    if by_address.count >= MAX_PER_ADDRESS {
        return Ok(Some(Limited::Address {
            retry_after_secs: retry_after(by_address.oldest, since),
        }));
    }
    Ok(None)
}

/// Seconds until the oldest failure in the window leaves it.
fn retry_after(oldest: Option<i64>, since: i64) -> i64 {
    oldest.map_or(60, |oldest| ((oldest - since) / 1000).max(1))
}

/// Records a failure and forgets failures older than the window.
pub async fn record_failure(conn: &mut Conn, username: &str, address: &str) -> anyhow::Result<()> {
    let now = now_ms();
    store::accounts::record_failure(conn, username, address, now, now - WINDOW_MS).await
}

/// Clears an account's failures after a successful login.
pub async fn clear_account(conn: &mut Conn, username: &str) -> anyhow::Result<()> {
    store::accounts::clear_failures(conn, username).await
}
