//! The optional per-caller rate limit: a token bucket per [`Caller`] that
//! holds a minute's allowance and refills continuously.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::keys::Caller;

/// Buckets kept before full (idle) ones are forgotten; bounds memory when
/// callers are told apart by address.
const PRUNE_AT: usize = 10_000;
/// The least time between two prunes, so that many active callers (whose
/// buckets a prune keeps) do not make every check scan them all.
const PRUNE_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets for `per_minute` executions per caller.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<Buckets>,
}

#[derive(Debug, Default)]
struct Buckets {
    by_caller: HashMap<Caller, Bucket>,
    pruned: Option<Instant>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` executions per caller (at least one),
    /// all of them at once after a quiet minute.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute.max(1),
            buckets: Mutex::new(Buckets::default()),
        }
    }

    /// Takes one token for `caller`, or says how long until one is free.
    ///
    /// # Errors
    ///
    /// How long until the caller's next token.
    pub fn check(&self, caller: &Caller) -> Result<(), Duration> {
        self.check_at(caller, Instant::now())
    }

    fn check_at(&self, caller: &Caller, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = buckets
            .pruned
            .is_none_or(|at| now.saturating_duration_since(at) >= PRUNE_EVERY);
        if buckets.by_caller.len() >= PRUNE_AT && due {
            buckets.by_caller.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * per_second
                    < capacity
            });
            buckets.pruned = Some(now);
        }
        let bucket = buckets.by_caller.entry(caller.clone()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_of_burst_then_a_steady_refill() {
        let limiter = RateLimiter::new(2);
        let start = Instant::now();
        let a = Caller::Key(0);
        assert!(limiter.check_at(&a, start).is_ok());
        assert!(limiter.check_at(&a, start).is_ok());
        let wait = limiter.check_at(&a, start).unwrap_err();
        assert_eq!(wait.as_secs(), 30);
        // Another caller has its own bucket.
        assert!(limiter.check_at(&Caller::Key(1), start).is_ok());
        // Half a minute later one token is back.
        let later = start + Duration::from_secs(30);
        assert!(limiter.check_at(&a, later).is_ok());
        assert!(limiter.check_at(&a, later).is_err());
    }

    #[test]
    fn idle_buckets_are_forgotten_at_most_every_few_seconds() {
        // Ten executions a second: a used bucket is full again within 0.1 s.
        let limiter = RateLimiter::new(600);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let len = || limiter.buckets.lock().unwrap().by_caller.len();
        let fill = |when| {
            for key in 0..PRUNE_AT {
                limiter.check_at(&Caller::Key(key), when).unwrap();
            }
        };
        fill(at(0));
        // Every bucket is full again: the prune forgets them all.
        limiter.check_at(&Caller::Anonymous, at(1)).unwrap();
        assert_eq!(len(), 1);
        // Refilled at once, the next prune waits its turn...
        fill(at(1));
        limiter.check_at(&Caller::Anonymous, at(2)).unwrap();
        assert_eq!(len(), PRUNE_AT + 1);
        // ...and comes when it is due.
        limiter
            .check_at(&Caller::Anonymous, at(1) + PRUNE_EVERY)
            .unwrap();
        assert_eq!(len(), 1);
    }
}
