//! Retry delays: exponential, capped, with full jitter (AWS architecture blog, 2015), so
//! retries of many jobs after one outage do not arrive in waves.

use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};

/// A uniformly random delay in `[0, min(cap, base * 2^(attempt-1))]`.
pub fn delay(attempt: i64, base: Duration, cap: Duration) -> Duration {
    let ceiling = ceiling(attempt, base, cap);
    let mut bytes = [0u8; 8];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        return ceiling;
    }
    let millis = ceiling.as_millis() as u64;
    Duration::from_millis(u64::from_le_bytes(bytes) % (millis + 1))
}

/// The upper bound of the delay after `attempt` attempts.
pub fn ceiling(attempt: i64, base: Duration, cap: Duration) -> Duration {
    let exponent = attempt.clamp(1, 40) as u32 - 1;
    base.checked_mul(2u32.saturating_pow(exponent.min(31)))
        .unwrap_or(cap)
        .min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_is_capped() {
        let base = Duration::from_secs(2);
        let cap = Duration::from_secs(3600);
        assert_eq!(ceiling(1, base, cap), Duration::from_secs(2));
        assert_eq!(ceiling(2, base, cap), Duration::from_secs(4));
        assert_eq!(ceiling(11, base, cap), Duration::from_secs(2048));
        assert_eq!(ceiling(12, base, cap), cap);
        assert_eq!(ceiling(1000, base, cap), cap);
        for attempt in 1..30 {
            assert!(delay(attempt, base, cap) <= ceiling(attempt, base, cap));
        }
    }
}
