//! The sandbox's clock: millisecond precision (a `time_scale` of 3600 turns a 60-minute
//! expiry into one second, so whole seconds are too coarse), injectable for tests.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use doku::clock::{Clock, FixedClock, SystemClock};

/// A source of the current time in milliseconds since the Unix epoch.
pub trait SandboxClock: Send + Sync {
    fn now_millis(&self) -> i64;

    /// Whole seconds (for DOKU timestamps).
    fn now_unix(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

impl SandboxClock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

impl SandboxClock for FixedClock {
    fn now_millis(&self) -> i64 {
        self.0.saturating_mul(1000)
    }
}

/// A clock that moves only when told to. It is also a [`doku::Clock`], so a test can give
/// the same clock to a [`doku::Client`] and keep its Request-Timestamps inside the window.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock at `unix` seconds.
    pub fn new(unix: i64) -> Self {
        ManualClock(AtomicI64::new(unix.saturating_mul(1000)))
    }

    /// A clock at the current system time.
    pub fn now() -> Self {
        ManualClock(AtomicI64::new(SandboxClock::now_millis(&SystemClock)))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    pub fn set_millis(&self, millis: i64) {
        self.0.store(millis, Ordering::SeqCst);
    }
}

impl SandboxClock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        SandboxClock::now_unix(self)
    }
}

/// `secs` of DOKU time as milliseconds of sandbox clock time under `time_scale`.
pub(crate) fn scaled_millis(secs: u64, time_scale: f64) -> i64 {
    let ms = secs as f64 * 1000.0 / time_scale;
    if ms.is_finite() && ms > 0.0 {
        ms.min(i64::MAX as f64 / 4.0).round() as i64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_and_manual_clock() {
        assert_eq!(scaled_millis(1800, 3600.0), 500);
        assert_eq!(scaled_millis(60, 1.0), 60_000);
        let c = ManualClock::new(100);
        c.advance(Duration::from_millis(1500));
        assert_eq!(c.now_millis(), 101_500);
        assert_eq!(SandboxClock::now_unix(&c), 101);
        assert_eq!(FixedClock(7).now_millis(), 7000);
    }
}
