//! The notification sender (PROTOCOL.md 4, policy 10): signed POSTs to the merchant's
//! Notification URL from a few background threads, retried on a non-2xx answer or a
//! connection error at 30 min, 6 h and 12 h after the first attempt (divided by
//! `time_scale`), always with the same Request-Id and a fresh timestamp and signature.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::clock::format_timestamp;
use crate::signature::{Component, SigningKey};

use super::policy;
use super::time::{scaled_millis, SandboxClock};
use super::Logger;

/// One delivery attempt, as listed by `GET /_sandbox/notifications`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotificationAttempt {
    pub client_id: String,
    pub invoice_number: String,
    /// `transaction.status` in the notification body (SUCCESS or FAILED).
    pub transaction_status: String,
    /// Where it was sent (empty when the merchant has no notification URL).
    pub url: String,
    /// The notification's Request-Id: the same on every attempt.
    pub request_id: String,
    /// 1 for the first attempt, 2 to 4 for the retries.
    pub attempt: u32,
    /// The merchant's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed without an HTTP answer.
    pub error: Option<String>,
    /// When the attempt was made (`2020-08-11T08:45:42Z`).
    pub time: String,
    /// True when the merchant answered 2xx.
    pub delivered: bool,
    /// True when another attempt is scheduled.
    pub will_retry: bool,
}

impl NotificationAttempt {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// What to send, shared by every attempt of one notification.
pub(crate) struct Delivery {
    pub client_id: String,
    pub key: SigningKey,
    pub request_id: String,
    pub url: String,
    /// The Request-Target: the path of the merchant's configured Notification URL.
    pub path: String,
    pub body: Vec<u8>,
    pub invoice_number: String,
    pub transaction_status: String,
}

struct Job {
    due_ms: i64,
    first_ms: Option<i64>,
    attempt: u32,
    delivery: Arc<Delivery>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    stop: bool,
}

struct Inner {
    queue: Mutex<Queue>,
    queue_cv: Condvar,
    log: Mutex<Vec<NotificationAttempt>>,
    log_cv: Condvar,
    clock: Arc<dyn SandboxClock>,
    time_scale: f64,
    agent: ureq::Agent,
    logger: Option<Logger>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The background sender.
pub(crate) struct Notifier {
    inner: Arc<Inner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Notifier {
    pub fn start(
        clock: Arc<dyn SandboxClock>,
        time_scale: f64,
        logger: Option<Logger>,
    ) -> Notifier {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(policy::NOTIFY_CONNECT_TIMEOUT))
            .timeout_global(Some(policy::NOTIFY_TIMEOUT))
            .max_redirects(0)
            .user_agent(concat!("doku-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let inner = Arc::new(Inner {
            queue: Mutex::new(Queue::default()),
            queue_cv: Condvar::new(),
            log: Mutex::new(Vec::new()),
            log_cv: Condvar::new(),
            clock,
            time_scale,
            agent,
            logger,
        });
        let threads = (0..policy::NOTIFY_THREADS)
            .map(|i| {
                let inner = inner.clone();
                thread::Builder::new()
                    .name(format!("doku-sandbox-notify-{i}"))
                    .spawn(move || run(&inner))
                    .expect("spawn a notifier thread")
            })
            .collect();
        Notifier {
            inner,
            threads: Mutex::new(threads),
        }
    }

    /// Sends `delivery` now (and retries it as needed).
    pub fn enqueue(&self, delivery: Delivery) {
        let now = self.inner.clock.now_millis();
        lock(&self.inner.queue).jobs.push(Job {
            due_ms: now,
            first_ms: None,
            attempt: 1,
            delivery: Arc::new(delivery),
        });
        self.inner.queue_cv.notify_one();
    }

    /// Records a notification that could not be sent at all (no URL configured).
    pub fn record_unsent(&self, attempt: NotificationAttempt) {
        self.inner.record(attempt);
    }

    pub fn attempts(&self) -> Vec<NotificationAttempt> {
        lock(&self.inner.log).clone()
    }

    /// Waits until `done(attempts)` holds or `timeout` passes; returns the attempts then.
    pub fn wait_for(
        &self,
        done: &dyn Fn(&[NotificationAttempt]) -> bool,
        timeout: Duration,
    ) -> Vec<NotificationAttempt> {
        let deadline = Instant::now() + timeout;
        let mut log = lock(&self.inner.log);
        loop {
            let now = Instant::now();
            if done(&log) || now >= deadline {
                return log.clone();
            }
            log = self
                .inner
                .log_cv
                .wait_timeout(log, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Stops the threads. A delivery in flight finishes on its own (bounded by
    /// [`policy::NOTIFY_TIMEOUT`]) and is not waited for; pending retries are dropped.
    pub fn stop(&self) {
        lock(&self.inner.queue).stop = true;
        self.inner.queue_cv.notify_all();
        for t in lock(&self.threads).drain(..) {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Inner {
    fn record(&self, attempt: NotificationAttempt) {
        if let Some(log) = &self.logger {
            log(&format!(
                "notify {} attempt {} request_id={} -> {}",
                if attempt.url.is_empty() {
                    "(no URL)"
                } else {
                    &attempt.url
                },
                attempt.attempt,
                attempt.request_id,
                match (attempt.status, &attempt.error) {
                    (Some(s), _) => s.to_string(),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "-".into(),
                }
            ));
        }
        lock(&self.log).push(attempt);
        self.log_cv.notify_all();
    }

    /// The next due job, waiting for one; `None` when stopping.
    fn next_job(&self) -> Option<Job> {
        let mut q = lock(&self.queue);
        loop {
            if q.stop {
                return None;
            }
            let now = self.clock.now_millis();
            let earliest = q
                .jobs
                .iter()
                .enumerate()
                .min_by_key(|(_, j)| j.due_ms)
                .map(|(i, j)| (i, j.due_ms));
            let wait = match earliest {
                Some((i, due)) if due <= now => return Some(q.jobs.swap_remove(i)),
                // The clock may be injected and move by itself: look again at least every
                // POLL_INTERVAL.
                Some((_, due)) => {
                    Duration::from_millis((due - now) as u64).min(policy::POLL_INTERVAL)
                }
                None => policy::POLL_INTERVAL * 4,
            };
            q = self
                .queue_cv
                .wait_timeout(q, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn deliver(&self, d: &Delivery) -> (Option<u16>, Option<String>) {
        let ts = format_timestamp(self.clock.now_unix());
        let component =
            Component::request(&d.client_id, &d.request_id, &ts, &d.path, Some(&d.body));
        let signature = match d.key.sign(&component) {
            Ok(s) => s,
            Err(e) => return (None, Some(format!("cannot sign: {e}"))),
        };
        let sent = self
            .agent
            .post(&d.url)
            .header("Client-Id", &d.client_id)
            .header("Request-Id", &d.request_id)
            .header("Request-Timestamp", &ts)
            .header("Signature", &signature)
            .content_type("application/json")
            .send(d.body.as_slice());
        match sent {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                // Drain a little of the answer so the connection can be reused.
                let _ = resp.body_mut().with_config().limit(64 * 1024).read_to_vec();
                (Some(status), None)
            }
            Err(e) => (None, Some(e.to_string())),
        }
    }
}

fn run(inner: &Inner) {
    while let Some(mut job) = inner.next_job() {
        let started = inner.clock.now_millis();
        let first = *job.first_ms.get_or_insert(started);
        let (status, error) = inner.deliver(&job.delivery);
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        let retry_at = (!delivered)
            .then(|| policy::NOTIFY_RETRY_OFFSETS_SECS.get(job.attempt as usize - 1))
            .flatten()
            .map(|&secs| first + scaled_millis(secs, inner.time_scale));
        let d = &job.delivery;
        inner.record(NotificationAttempt {
            client_id: d.client_id.clone(),
            invoice_number: d.invoice_number.clone(),
            transaction_status: d.transaction_status.clone(),
            url: d.url.clone(),
            request_id: d.request_id.clone(),
            attempt: job.attempt,
            status,
            error,
            time: format_timestamp(started.div_euclid(1000)),
            delivered,
            will_retry: retry_at.is_some(),
        });
        if let Some(due) = retry_at {
            job.attempt += 1;
            job.due_ms = due;
            let mut q = lock(&inner.queue);
            if !q.stop {
                q.jobs.push(job);
            }
        }
    }
}
