//! The client's log hook, bridged to Python's `logging` (logger `doku_direct`): the same
//! events as the Rust hook (attempt, answer, retry), each with its Request-Id and never a
//! secret, signature, component or body. The package adds a `NullHandler` to that logger,
//! so nothing is printed unless the application configures it.
//!
//! Taking the GIL on the call's thread for every event would cost each call a thread state
//! even with logging off, so a [`Gate`] holds the lowest level the logger takes, read on the
//! caller's thread (which holds the GIL anyway) when each call starts: events below it are
//! dropped without touching Python.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use doku::config::{Config, LogEvent};

/// `logging.getLogger("doku_direct")`, looked up once.
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

const DEBUG: u8 = 10;
const INFO: u8 = 20;
const WARNING: u8 = 30;

/// The lowest level the `doku_direct` logger takes (above [`WARNING`]: none of ours).
#[derive(Clone)]
pub(crate) struct Gate(Arc<AtomicU8>);

impl Gate {
    /// Reads the logger's effective level again (logging may have been configured since).
    pub(crate) fn refresh(&self, py: Python<'_>) {
        let level = logger(py)
            .and_then(|l| {
                for level in [DEBUG, INFO, WARNING] {
                    if l.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                        return Ok(level);
                    }
                }
                Ok(u8::MAX)
            })
            .unwrap_or(u8::MAX);
        self.0.store(level, Ordering::Relaxed);
    }

    fn admits(&self, level: u8) -> bool {
        level >= self.0.load(Ordering::Relaxed)
    }
}

/// `config` with a hook that forwards events to the `doku_direct` logger, and the gate
/// that keeps events the logger would drop from taking the GIL.
pub(crate) fn install(config: Config) -> (Config, Gate) {
    let gate = Gate(Arc::new(AtomicU8::new(u8::MAX)));
    let hook_gate = gate.clone();
    let config = config.with_log(move |event| {
        let (level, _, _) = describe(event);
        if !hook_gate.admits(level) {
            return;
        }
        Python::attach(|py| {
            if let Err(e) = emit(py, event) {
                // Logging must never fail a payment call.
                e.write_unraisable(py, None);
            }
        })
    });
    (config, gate)
}

fn logger(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let logger = LOGGER.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("logging")?
            .call_method1("getLogger", ("doku_direct",))?
            .unbind())
    })?;
    Ok(logger.bind(py).clone())
}

/// The level, message and `extra` fields of an event.
fn describe(event: &LogEvent<'_>) -> (u8, String, Vec<(&'static str, String)>) {
    match event {
        LogEvent::Attempt {
            method,
            path,
            request_id,
            attempt,
        } => (
            DEBUG,
            format!("attempt {attempt}: {method} {path} (Request-Id {request_id})"),
            vec![
                ("doku_event", "attempt".into()),
                ("doku_request_id", request_id.to_string()),
                ("doku_attempt", attempt.to_string()),
            ],
        ),
        LogEvent::Answer {
            request_id,
            attempt,
            status,
            elapsed,
        } => (
            INFO,
            format!(
                "answer to attempt {attempt}: HTTP {status} in {} ms (Request-Id {request_id})",
                elapsed.as_millis()
            ),
            vec![
                ("doku_event", "answer".into()),
                ("doku_request_id", request_id.to_string()),
                ("doku_status", status.to_string()),
            ],
        ),
        LogEvent::Retry {
            request_id,
            attempt,
            reason,
            delay,
        } => (
            WARNING,
            format!(
                "attempt {attempt} failed ({reason}); retrying in {} ms with the same \
                 Request-Id {request_id}",
                delay.as_millis()
            ),
            vec![
                ("doku_event", "retry".into()),
                ("doku_request_id", request_id.to_string()),
                ("doku_attempt", attempt.to_string()),
            ],
        ),
    }
}

fn emit(py: Python<'_>, event: &LogEvent<'_>) -> PyResult<()> {
    let logger = logger(py)?;
    let (level, message, fields) = describe(event);
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    let extra = PyDict::new(py);
    for (k, v) in fields {
        extra.set_item(k, v)?;
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("extra", extra)?;
    // `%s` keeps a message holding `%` from being read as a format string.
    logger.call_method("log", (level, "%s", message), Some(&kwargs))?;
    Ok(())
}
