//! The sandbox's time: the core's [`Clock`] read in milliseconds (a `time_scale` of 3600
//! turns a 60-minute expiry into one second, so whole seconds are too coarse), a
//! [`ManualClock`] for tests, and the scaling of DOKU durations.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use doku::clock::{Clock, SystemClock};

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
        ManualClock(AtomicI64::new(SystemClock.now_millis()))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    pub fn set_millis(&self, millis: i64) {
        self.0.store(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
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
        assert_eq!(c.now_unix(), 101);
        assert_eq!(doku::FixedClock(7).now_millis(), 7000);
        assert!((SystemClock.now_millis() - SystemClock.now_unix() * 1000).abs() < 2000);
    }
}
