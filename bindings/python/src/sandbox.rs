//! `Sandbox`: the local DOKU emulator, run in-process for `doku_direct.testing`.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyList;

use super::convert::to_py;
use super::{arg_str, guard, opt_str, Fallible};
use doku::error::Error;
use doku_sandbox::{Merchant, NotificationAttempt, Sandbox, SandboxConfig};

/// A running sandbox on a free loopback port (or `address`). `shutdown()` (or dropping it)
/// stops it.
#[pyclass(frozen, name = "Sandbox", module = "doku_direct._native")]
pub(crate) struct PySandbox {
    inner: Mutex<Option<Sandbox>>,
    base_url: String,
}

impl PySandbox {
    fn with<T>(&self, f: impl FnOnce(&Sandbox) -> T) -> Fallible<T> {
        let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(sb) => Ok(f(sb)),
            None => Err(Error::invalid_input("sandbox", "the sandbox has been shut down").into()),
        }
    }
}

fn attempts_to_py<'py>(
    py: Python<'py>,
    attempts: &[NotificationAttempt],
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for a in attempts {
        list.append(to_py(py, &a.to_json())?)?;
    }
    Ok(list)
}

#[pymethods]
impl PySandbox {
    #[new]
    #[pyo3(signature = (client_id, secret_key, notification_url=None, address=None, time_scale=None))]
    fn new(
        py: Python<'_>,
        client_id: &Bound<'_, PyAny>,
        secret_key: &Bound<'_, PyAny>,
        notification_url: Option<&Bound<'_, PyAny>>,
        address: Option<&Bound<'_, PyAny>>,
        time_scale: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let mut merchant = Merchant::new(
                &arg_str(client_id, "client_id")?,
                &arg_str(secret_key, "secret_key")?,
            )?;
            if let Some(url) = opt_str(notification_url, "notification_url")? {
                merchant = merchant.with_notification_url(&url)?;
            }
            let mut config = SandboxConfig::default().merchant(merchant);
            if let Some(address) = opt_str(address, "address")? {
                config.address = address;
            }
            if let Some(scale) = time_scale.filter(|t| !t.is_none()) {
                config.time_scale = scale.extract::<f64>().map_err(|_| {
                    Error::config("time_scale", "time_scale must be a positive number")
                })?;
            }
            let sandbox = py.detach(|| Sandbox::start(config))?;
            Ok(PySandbox {
                base_url: sandbox.base_url().to_string(),
                inner: Mutex::new(Some(sandbox)),
            })
        })
    }

    /// `http://127.0.0.1:PORT`.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every notification delivery attempt so far, oldest first, as dicts.
    fn notifications<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let attempts = guard(py, || self.with(Sandbox::notifications))?;
        attempts_to_py(py, &attempts)
    }

    /// Waits (GIL released, at most `timeout` seconds) until at least `count` attempts
    /// have been made; returns the attempts so far.
    #[pyo3(signature = (count=1, timeout=10.0))]
    fn wait_for_notifications<'py>(
        &self,
        py: Python<'py>,
        count: usize,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyList>> {
        let attempts = guard(py, || {
            let timeout = Duration::try_from_secs_f64(timeout).map_err(|_| {
                Error::invalid_input(
                    "timeout",
                    "timeout must be a non-negative number of seconds",
                )
            })?;
            py.detach(|| self.with(|sb| sb.wait_for_notifications(|a| a.len() >= count, timeout)))
        })?;
        attempts_to_py(py, &attempts)
    }

    /// The number of transactions the sandbox holds.
    fn transaction_count(&self, py: Python<'_>) -> PyResult<usize> {
        guard(py, || self.with(Sandbox::transaction_count))
    }

    /// Stops serving (idempotent): the port and every connection are closed.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            let taken = self.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(sb) = taken {
                py.detach(|| sb.shutdown());
            }
            Ok(())
        })
    }

    fn __repr__(&self) -> String {
        format!("Sandbox(base_url={:?})", self.base_url)
    }
}
