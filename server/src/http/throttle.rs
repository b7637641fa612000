//! The per-user sync rate: a token bucket for requests and one for operations, each holding a
//! minute's worth. A client over it gets `429 rate_limited` with `Retry-After`, which the browser
//! honours. Kept in memory: a restart forgets it, and that only resets a minute's allowance.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How much one user may sync per minute; 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncRate {
    pub requests_per_minute: u32,
    pub operations_per_minute: u32,
}

impl Default for SyncRate {
    /// Two requests a second on average and a drain of 6,000 operations a minute: far above what
    /// a person filling in a sheet needs, far below what a script can send.
    fn default() -> Self {
        Self {
            requests_per_minute: 120,
            operations_per_minute: 6_000,
        }
    }
}

impl SyncRate {
    pub const UNLIMITED: Self = Self {
        requests_per_minute: 0,
        operations_per_minute: 0,
    };
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    requests: f64,
    operations: f64,
    at: Instant,
}

/// Users' buckets.
#[derive(Debug, Default)]
pub struct Throttle {
    rate: SyncRate,
    buckets: Mutex<HashMap<i64, Bucket>>,
}

/// Buckets kept before idle ones are forgotten.
const KEEP_BUCKETS: usize = 10_000;

impl Throttle {
    pub fn new(rate: SyncRate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request carrying `operations` from `user`'s allowance, or says how many seconds
    /// to wait until it would fit.
    pub fn admit(&self, user: i64, operations: usize) -> Result<(), u64> {
        self.admit_at(user, operations, Instant::now())
    }

    fn admit_at(&self, user: i64, operations: usize, now: Instant) -> Result<(), u64> {
        let (per_req, per_op) = (
            f64::from(self.rate.requests_per_minute),
            f64::from(self.rate.operations_per_minute),
        );
        if per_req == 0.0 && per_op == 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > KEEP_BUCKETS {
            buckets.retain(|_, b| now.duration_since(b.at) < Duration::from_secs(60));
        }
        let bucket = buckets.entry(user).or_insert(Bucket {
            requests: per_req,
            operations: per_op,
            at: now,
        });
        let minutes = now.duration_since(bucket.at).as_secs_f64() / 60.0;
        bucket.requests = (bucket.requests + minutes * per_req).min(per_req);
        bucket.operations = (bucket.operations + minutes * per_op).min(per_op);
        bucket.at = now;
        // More operations than a minute's worth can never fit: such a push waits for a full bucket.
        let needed_ops = (operations as f64).min(per_op);
        let wait = |have: f64, need: f64, per_minute: f64| {
            if per_minute == 0.0 || have >= need {
                0.0
            } else {
                (need - have) / per_minute * 60.0
            }
        };
        let secs =
            wait(bucket.requests, 1.0, per_req).max(wait(bucket.operations, needed_ops, per_op));
        if secs > 0.0 {
            return Err(secs.ceil().max(1.0) as u64);
        }
        if per_req > 0.0 {
            bucket.requests -= 1.0;
        }
        if per_op > 0.0 {
            bucket.operations -= needed_ops;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_past_the_minute_waits_and_the_allowance_comes_back() {
        let throttle = Throttle::new(SyncRate {
            requests_per_minute: 3,
            operations_per_minute: 100,
        });
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(throttle.admit_at(1, 10, start), Ok(()));
        }
        assert_eq!(throttle.admit_at(1, 10, start), Err(20));
        assert_eq!(
            throttle.admit_at(2, 10, start),
            Ok(()),
            "another user is not affected"
        );
        let later = start + Duration::from_secs(20);
        assert_eq!(throttle.admit_at(1, 10, later), Ok(()));
        // Operations: 70 left of 100 after three pushes of 10... and one more of 10 → 60.
        assert_eq!(throttle.admit_at(3, 100, later), Ok(()));
        assert_eq!(throttle.admit_at(3, 1, later), Err(1));
    }

    #[test]
    fn no_limit_admits_everything() {
        let throttle = Throttle::new(SyncRate::UNLIMITED);
        for _ in 0..10_000 {
            assert_eq!(throttle.admit(1, 2_000), Ok(()));
        }
    }
}
