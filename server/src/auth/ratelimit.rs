//! Failed-password limits that slow a guesser without letting anyone lock someone else out.
//! Counted in the database so that a restart does not reset them.
//!
//! - **Per account and address**: after [`FREE_FAILURES`] failures from one address, that
//!   address waits before its next try on that account, twice as long after each further
//!   failure ([`FIRST_DELAY_SECS`] up to [`MAX_DELAY_SECS`]). A guesser elsewhere does not delay
//!   the owner.
//! - **Per address**: [`MAX_PER_ADDRESS`] failures on any accounts, then that address waits.
//! - **Per account, from new addresses**: [`MAX_PER_ACCOUNT`] failures from everywhere close the
//!   account to addresses it has never signed in from; the owner's known addresses stay open.
//! - An administrator's `lianfang unlock USERNAME` forgets an account's failures.
//!
//! A failure is counted only after a password check fails, so parallel correct passwords are
//! never refused.

use crate::store::{self, Conn};

/// The window failures are counted over.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures from one address on one account before delays start.
pub const FREE_FAILURES: i64 = 5;
/// The first delay; each further failure doubles it.
pub const FIRST_DELAY_SECS: i64 = 30;
/// The longest delay.
pub const MAX_DELAY_SECS: i64 = 15 * 60;
/// Failures from one address within the window before it waits. Higher than the pair's limit
/// because a village office may share one address.
pub const MAX_PER_ADDRESS: i64 = 20;
/// Failures of one account from everywhere within the window before addresses it has never
/// signed in from are refused.
pub const MAX_PER_ACCOUNT: i64 = 50;
/// How long an address stays known after a successful sign-in.
pub const KNOWN_ADDRESS_MS: i64 = 180 * 24 * 3600 * 1000;

/// Why an attempt was refused before the password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Account { retry_after_secs: i64 },
    Address { retry_after_secs: i64 },
}

impl Limited {
    pub fn retry_after_secs(self) -> i64 {
        match self {
            Self::Account { retry_after_secs } | Self::Address { retry_after_secs } => {
                retry_after_secs
            }
        }
    }
}

/// The delay after `failures` failures from one address on one account.
pub fn delay_after(failures: i64) -> Option<i64> {
    let over = failures - FREE_FAILURES;
    (over >= 0).then(|| {
        let doublings = u32::try_from(over.min(20)).unwrap_or(20);
        (FIRST_DELAY_SECS << doublings).min(MAX_DELAY_SECS)
    })
}

/// Checks every limit at `now`.
pub async fn check(
    conn: &mut Conn,
    username: &str,
    address: &str,
    now: i64,
) -> anyhow::Result<Option<Limited>> {
    let since = now - WINDOW_MS;
    let pair = store::accounts::failures_of_pair(conn, username, address, since).await?;
    if let (Some(delay), Some(latest)) = (delay_after(pair.count), pair.latest) {
        let until = latest + delay * 1000;
        if now < until {
            return Ok(Some(Limited::Account {
                retry_after_secs: secs_until(until, now),
            }));
        }
    }
    let by_address = store::accounts::failures_of_address(conn, address, since).await?;
    if by_address.count >= MAX_PER_ADDRESS {
        return Ok(Some(Limited::Address {
            retry_after_secs: leaves_window(by_address.oldest, since, now),
        }));
    }
    let account = store::accounts::failures_of_account(conn, username, since).await?;
    if account.count >= MAX_PER_ACCOUNT
        && !store::accounts::is_known_address(conn, username, address, now - KNOWN_ADDRESS_MS)
            .await?
    {
        return Ok(Some(Limited::Account {
            retry_after_secs: leaves_window(account.oldest, since, now),
        }));
    }
    Ok(None)
}

fn secs_until(until: i64, now: i64) -> i64 {
    ((until - now + 999) / 1000).max(1)
}

/// Seconds until the oldest failure in the window leaves it.
fn leaves_window(oldest: Option<i64>, since: i64, now: i64) -> i64 {
    oldest.map_or(60, |oldest| secs_until(oldest + (now - since), now))
}

/// Records a failed password check and forgets failures older than the window.
pub async fn record_failure(
    conn: &mut Conn,
    username: &str,
    address: &str,
    now: i64,
) -> anyhow::Result<()> {
    store::accounts::record_failure(conn, username, address, now, now - WINDOW_MS).await
}

/// After a correct password: this address's failures on the account are forgotten and the
/// address is known from now on.
pub async fn record_success(
    conn: &mut Conn,
    username: &str,
    address: &str,
    now: i64,
) -> anyhow::Result<()> {
    store::accounts::clear_failures_of_pair(conn, username, address).await?;
    store::accounts::remember_address(conn, username, address, now).await
}

/// An administrator's unlock: every failure of the account forgotten. Returns how many.
pub async fn unlock(conn: &mut Conn, username: &str) -> anyhow::Result<u64> {
    store::accounts::clear_failures(conn, username).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_and_double_to_a_cap() {
        assert_eq!(delay_after(4), None);
        assert_eq!(delay_after(5), Some(30));
        assert_eq!(delay_after(6), Some(60));
        assert_eq!(delay_after(9), Some(480));
        assert_eq!(delay_after(10), Some(MAX_DELAY_SECS));
        assert_eq!(delay_after(1_000), Some(MAX_DELAY_SECS));
    }
}
