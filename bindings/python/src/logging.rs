//! The client's log hook, bridged to Python's `logging` (logger `doku_direct`): the same
//! events as the Rust hook (attempt, answer, retry), each with its Request-Id and never a
//! secret, signature, component or body. The package adds a `NullHandler` to that logger,
//! so nothing is printed unless the application configures it; an event whose level the
//! logger does not take costs one `isEnabledFor` call.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use doku::config::{Config, LogEvent};

/// `logging.getLogger("doku_direct")`, looked up once.
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

const DEBUG: u8 = 10;
const INFO: u8 = 20;
const WARNING: u8 = 30;

/// `config` with a hook that forwards every event to the `doku_direct` logger.
pub(crate) fn install(config: Config) -> Config {
    config.with_log(|event| {
        Python::attach(|py| {
            if let Err(e) = emit(py, event) {
                // Logging must never fail a payment call.
                e.write_unraisable(py, None);
            }
        })
    })
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
    let logger = LOGGER.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("logging")?
            .call_method1("getLogger", ("doku_direct",))?
            .unbind())
    })?;
    let logger = logger.bind(py);
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
