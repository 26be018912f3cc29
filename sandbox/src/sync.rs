//! Locking that survives a poisoned mutex, and waiting on a condition variable until a
//! condition holds or a deadline passes (the sandbox's notification log and the test
//! receiver both wait this way).

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Locks `m`; a panic elsewhere while it was held does not make it unusable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits on `cv` until `done(&mut value)` holds or `timeout` passes; returns the guard then.
/// Whoever changes the value notifies `cv`.
pub(crate) fn wait_until<'a, T>(
    m: &'a Mutex<T>,
    cv: &Condvar,
    timeout: Duration,
    mut done: impl FnMut(&mut T) -> bool,
) -> MutexGuard<'a, T> {
    let deadline = Instant::now() + timeout;
    let mut guard = lock(m);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match cv.wait_timeout_while(guard, left, |value| !done(value)) {
            Ok((guard, _)) => return guard,
            // A panic elsewhere poisoned the mutex: the value is still usable, and the
            // wait goes on for the time that is left (as `lock` does for locking).
            Err(poisoned) => guard = poisoned.into_inner().0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn wakes_when_the_condition_holds_and_gives_up_at_the_deadline() {
        let shared = Arc::new((Mutex::new(0u32), Condvar::new()));
        let setter = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                *lock(&shared.0) = 3;
                shared.1.notify_all();
            })
        };
        let got = *wait_until(&shared.0, &shared.1, Duration::from_secs(10), |v| *v == 3);
        assert_eq!(got, 3);
        setter.join().unwrap();
        let got = *wait_until(&shared.0, &shared.1, Duration::from_millis(1), |v| *v == 4);
        assert_eq!(got, 3, "the deadline passed with the value unchanged");
    }
}
