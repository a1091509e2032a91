//! The token bucket behind [`FakeSeamBuilder::rate_limit`](super::FakeSeamBuilder::rate_limit).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// A token bucket shared by all connections: each request takes one token, and tokens come
/// back at a steady rate up to the burst size.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    /// Tokens added per second.
    rate: f64,
    /// Bucket size, also the number of tokens at the start.
    burst: f64,
    state: Mutex<Level>,
    rejected: AtomicU64,
}

/// Tokens in the bucket at an instant.
#[derive(Debug)]
struct Level {
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    /// Creates a full bucket. Both numbers must be at least 1, which the builder checks.
    pub(crate) fn new(requests_per_second: u32, burst: u32) -> TokenBucket {
        TokenBucket {
            rate: f64::from(requests_per_second),
            burst: f64::from(burst),
            state: Mutex::new(Level {
                tokens: f64::from(burst),
                at: Instant::now(),
            }),
            rejected: AtomicU64::new(0),
        }
    }

    /// Takes a token at `now`, or counts a rejection and returns the whole seconds until a
    /// token will be available, at least 1, for `retry-after`.
    pub(crate) fn take(&self, now: Instant) -> Result<(), u64> {
        let mut level = self.state.lock().unwrap_or_else(PoisonError::into_inner);

        // Refill for the time since the last request. An `at` later than `now`, from a
        // thread that raced ahead, refills nothing.
        let elapsed = now.saturating_duration_since(level.at).as_secs_f64();
        level.tokens = (level.tokens + elapsed * self.rate).min(self.burst);
        level.at = level.at.max(now);

        if level.tokens >= 1.0 {
            level.tokens -= 1.0;
            return Ok(());
        }
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let wait = ((1.0 - level.tokens) / self.rate).ceil();
        // The wait is at most 1 / rate <= 1 second, so the cast cannot truncate.
        Err((wait as u64).max(1))
    }

    /// Returns how many requests [`take`](TokenBucket::take) rejected.
    pub(crate) fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_passes_then_rejects() {
        let bucket = TokenBucket::new(2, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.take(start), Ok(()));
        }
        assert_eq!(bucket.take(start), Err(1));
        assert_eq!(bucket.rejected(), 1);
    }

    #[test]
    fn tokens_refill_at_rate() {
        let bucket = TokenBucket::new(10, 1);
        let start = Instant::now();
        assert_eq!(bucket.take(start), Ok(()));
        assert_eq!(bucket.take(start + Duration::from_millis(50)), Err(1));
        assert_eq!(bucket.take(start + Duration::from_millis(110)), Ok(()));
        assert_eq!(bucket.rejected(), 1);
    }

    #[test]
    fn refill_stops_at_burst() {
        let bucket = TokenBucket::new(100, 2);
        let later = Instant::now() + Duration::from_secs(60);
        assert_eq!(bucket.take(later), Ok(()));
        assert_eq!(bucket.take(later), Ok(()));
        assert_eq!(bucket.take(later), Err(1));
    }

    #[test]
    fn earlier_instant_refills_nothing() {
        let bucket = TokenBucket::new(1, 1);
        let start = Instant::now();
        assert_eq!(bucket.take(start + Duration::from_secs(5)), Ok(()));
        assert_eq!(bucket.take(start), Err(1));
    }
}
