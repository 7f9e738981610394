//! Abuse limits of the citizen's status look-up (issue 14). Per instance, in memory.
//!
//! - Per client address: `IW_STATUS_ATTEMPTS_PER_HOUR` look-ups, then 429 with Retry-After.
//! - Per case number: a burst of five, then each further look-up waits a short time (at most
//!   [`MAX_CASE_DELAY`]) before it is answered. Unknown case numbers wait exactly the same,
//!   and nobody is ever locked out: someone guessing cannot keep the citizen out.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The longest a look-up of a busy case number waits.
pub const MAX_CASE_DELAY: Duration = Duration::from_secs(2);
/// Look-ups of one case number answered without delay.
const CASE_BURST: u32 = 5;
/// One more undelayed look-up per case number becomes available this often.
const CASE_REFILL: Duration = Duration::from_secs(12);

pub struct StatusLimits {
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_case: DefaultKeyedRateLimiter<String>,
}

impl StatusLimits {
    /// `attempts_per_hour == 0` turns the per-address limit off.
    pub fn new(attempts_per_hour: u32) -> Self {
        let burst = NonZeroU32::new(CASE_BURST).expect("a burst of five");
        let per_case = Quota::with_period(CASE_REFILL)
            .expect("a non-zero period")
            .allow_burst(burst);
        StatusLimits {
            per_address: NonZeroU32::new(attempts_per_hour)
                .map(|n| RateLimiter::keyed(Quota::per_hour(n))),
            per_case: RateLimiter::keyed(per_case),
        }
    }

    /// `Err(seconds to wait)` when this address has used up its look-ups.
    pub fn check_address(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        match (&self.per_address, ip) {
            (Some(limiter), Some(ip)) => limiter.check_key(&ip).map_err(|not_until| {
                not_until
                    .wait_time_from(DefaultClock::default().now())
                    .as_secs()
                    + 1
            }),
            _ => Ok(()),
        }
    }

    /// How long a look-up of this case number (as typed, known or not) waits first.
    pub fn case_delay(&self, case_key: &str) -> Duration {
        match self.per_case.check_key(&case_key.to_owned()) {
            Ok(()) => Duration::ZERO,
            Err(not_until) => not_until
                .wait_time_from(DefaultClock::default().now())
                .min(MAX_CASE_DELAY),
        }
    }

    /// Forgets keys whose allowance is full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_address {
            limiter.retain_recent();
        }
        self.per_case.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_burst_then_capped_delay_never_lockout() {
        let limits = StatusLimits::new(0);
        for _ in 0..CASE_BURST {
            assert_eq!(limits.case_delay("BE-X"), Duration::ZERO);
        }
        for _ in 0..20 {
            let d = limits.case_delay("BE-X");
            assert!(d > Duration::ZERO && d <= MAX_CASE_DELAY);
        }
        assert_eq!(limits.case_delay("BE-Y"), Duration::ZERO);
    }

    #[test]
    fn address_limit_counts_per_address() {
        let limits = StatusLimits::new(2);
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        assert!(limits.check_address(Some(a)).is_ok());
        assert!(limits.check_address(Some(a)).is_ok());
        let wait = limits.check_address(Some(a)).expect_err("third is over");
        assert!(wait > 1);
        assert!(limits.check_address(Some(b)).is_ok());
        assert!(StatusLimits::new(0).check_address(Some(a)).is_ok());
    }
}
