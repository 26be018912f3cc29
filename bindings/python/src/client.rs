//! `Client`: the core client behind `doku_direct.Client` and `doku_direct.AsyncClient`.
//! Every call runs on a thread of the `blocking` pool. A blocking call waits for it with the GIL
//! released, returning to the interpreter every [`SIGNAL_CHECK`] so that Ctrl-C raises
//! `KeyboardInterrupt` promptly (a call can otherwise block for its whole deadline). An
//! async call returns at once and hands the outcome to a callback (the event loop's
//! future), so the event loop never waits on the network.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyTuple};

use super::convert::{to_py, to_value};
use super::{arg_bytes, arg_str, guard, opt_str, Fallible};
use doku::channel::Method;
use doku::client::{Cancel, Client, RequestOptions, Response};
use doku::config::Config;
use doku::ErrorKind;

#[cfg(unix)]
use super::completions::{Completions, Sender};

/// A thread-safe DOKU client (one connection pool). Built from the JSON configuration of
/// `doku::Config::from_json`; no I/O happens in the constructor.
#[pyclass(frozen, name = "Client", module = "doku_direct._native")]
pub(crate) struct PyClient {
    inner: Arc<Client>,
    log_gate: super::logging::Gate,
}

/// How often a waiting call lets the interpreter run its signal handlers.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs `work` on the blocking pool and waits for its result with the GIL released,
/// running the interpreter's signal handlers every [`SIGNAL_CHECK`]. When one raises
/// (Ctrl-C), the call is cancelled (no further attempt starts) and the exception is
/// returned at once; an attempt already on the wire ends at its own time limit.
fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    cancel: Cancel,
    work: impl FnOnce() -> doku::Result<T> + Send + 'static,
) -> Fallible<T> {
    let work = move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
            .unwrap_or_else(|_| Err(panicked()))
    };
    let (tx, rx) = mpsc::sync_channel(1);
    blocking::unblock(move || {
        // The receiver may be gone (the caller was interrupted): nothing to tell.
        let _ = tx.send(work());
    })
    .detach();
    let mut rx = rx;
    loop {
        // The receiver is Send, not Sync: it moves into the GIL-free wait and back.
        let (received, back) = py.detach(move || (rx.recv_timeout(SIGNAL_CHECK), rx));
        rx = back;
        match received {
            Ok(result) => return Ok(result?),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    cancel.cancel();
                    return Err(e.into());
                }
            }
            Err(RecvTimeoutError::Disconnected) => return Err(panicked().into()),
        }
    }
}

/// A request body: raw JSON bytes (sent exactly as given) or a value to serialise once.
enum Body {
    Raw(super::Bytes),
    Value(serde_json::Value),
}

fn body_arg(body: &Bound<'_, PyAny>) -> Fallible<Body> {
    if body.is_instance_of::<PyBytes>()
        || body.is_instance_of::<PyByteArray>()
        || body.is_instance_of::<PyString>()
    {
        return Ok(Body::Raw(arg_bytes(body, "body", "")?));
    }
    Ok(Body::Value(to_value(body, "body")?))
}

fn options(
    request_id: Option<&Bound<'_, PyAny>>,
    timestamp: Option<&Bound<'_, PyAny>>,
) -> Fallible<RequestOptions> {
    Ok(RequestOptions {
        request_id: opt_str(request_id, "request_id")?,
        timestamp: opt_str(timestamp, "timestamp")?,
        cancel: Cancel::default(),
    })
}

/// `(status, request_id, response_timestamp, replay, signature_verified, body, key_index)`.
pub(crate) fn response_tuple<'py>(py: Python<'py>, r: &Response) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [
            r.status.into_pyobject(py)?.into_any(),
            PyString::new(py, &r.request_id).into_any(),
            r.response_timestamp
                .as_deref()
                .into_pyobject(py)?
                .into_any(),
            pyo3::types::PyBool::new(py, r.replay).to_owned().into_any(),
            pyo3::types::PyBool::new(py, r.signature_verified)
                .to_owned()
                .into_any(),
            to_py(py, &r.body)?,
            r.key_index.into_pyobject(py)?.into_any(),
        ],
    )
}

/// `threading.main_thread().ident` and `threading.get_ident`, looked up once.
static MAIN_THREAD: pyo3::sync::PyOnceLock<(u64, Py<PyAny>)> = pyo3::sync::PyOnceLock::new();

/// Whether the calling thread is Python's main thread.
fn on_main_thread(py: Python<'_>) -> PyResult<bool> {
    let (main, get_ident) = MAIN_THREAD.get_or_try_init(py, || -> PyResult<(u64, Py<PyAny>)> {
        let threading = py.import("threading")?;
        let main = threading
            .call_method0("main_thread")?
            .getattr("ident")?
            .extract()?;
        Ok((main, threading.getattr("get_ident")?.unbind()))
    })?;
    Ok(get_ident.bind(py).call0()?.extract::<u64>()? == *main)
}

/// One call, converted and ready to run off the GIL: the work and its cancel handle.
struct Prepared {
    cancel: Cancel,
    work: Box<dyn FnOnce() -> doku::Result<Response> + Send>,
}

/// A running async call: `cancel()` stops it between attempts (an attempt already on the
/// wire runs to its own time limit; its outcome still reaches the callback).
#[pyclass(frozen, name = "CallHandle", module = "doku_direct._native")]
pub(crate) struct CallHandle {
    cancel: Cancel,
}

#[pymethods]
impl CallHandle {
    fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// The error a call's thread reports when the call panicked (a bug).
fn panicked() -> doku::Error {
    doku::Error::new(
        ErrorKind::Panic,
        "internal error in doku-direct (a bug: please report it): the call's thread ended \
         without a result; its outcome is unknown",
    )
}

/// Where an async call's outcome goes: a [`Completions`] queue the event loop drains (no
/// GIL on the call's thread), or a callback run with the GIL (loops without `add_reader`).
enum Sink {
    #[cfg(unix)]
    Queue(Sender, u64),
    Callback(Py<PyAny>),
}

impl Sink {
    #[cfg_attr(not(unix), allow(unused_variables))]
    fn from_args(sink: &Bound<'_, PyAny>, token: u64) -> Sink {
        #[cfg(unix)]
        if let Ok(c) = sink.cast::<Completions>() {
            return Sink::Queue(c.get().sender(), token);
        }
        Sink::Callback(sink.clone().unbind())
    }

    fn deliver(self, result: doku::Result<Response>) {
        match self {
            #[cfg(unix)]
            Sink::Queue(sender, token) => sender.send(token, result),
            Sink::Callback(done) => Python::attach(|py| {
                let outcome = outcome_to_py(py, &result)
                    .and_then(|(ok, value)| done.call1(py, (ok, value)).map(|_| ()));
                if let Err(err) = outcome {
                    // The callback itself failed (a closed event loop): nobody to tell.
                    err.write_unraisable(py, None);
                }
            }),
        }
    }
}

/// A call's outcome as Python sees it: `(True, response_tuple)`, or `(False, exception)`.
pub(crate) fn outcome_to_py<'py>(
    py: Python<'py>,
    result: &doku::Result<Response>,
) -> PyResult<(bool, Bound<'py, PyAny>)> {
    Ok(match result {
        Ok(r) => (true, response_tuple(py, r)?.into_any()),
        Err(e) => (
            false,
            super::to_pyerr(py, e, false)
                .into_value(py)
                .into_bound(py)
                .into_any(),
        ),
    })
}

/// Starts `p` on the blocking pool; its outcome goes to `sink`.
fn spawn(p: Prepared, sink: Sink) -> CallHandle {
    let Prepared { cancel, work } = p;
    blocking::unblock(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
            .unwrap_or_else(|_| Err(panicked()));
        sink.deliver(result);
    })
    .detach();
    CallHandle { cancel }
}

impl PyClient {
    fn prepare_call(
        &self,
        operation: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        request_id: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
    ) -> Fallible<Prepared> {
        let operation = arg_str(operation, "operation")?;
        let body = body_arg(body)?;
        let opts = options(request_id, timestamp)?;
        let client = self.inner.clone();
        Ok(Prepared {
            cancel: opts.cancel.clone(),
            work: Box::new(move || match &body {
                Body::Raw(bytes) => client.call(&operation, bytes, &opts),
                Body::Value(value) => client.call_value(&operation, value, &opts),
            }),
        })
    }

    fn prepare_check_status(
        &self,
        id: &Bound<'_, PyAny>,
        request_id: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
    ) -> Fallible<Prepared> {
        let id = arg_str(id, "id")?;
        let opts = options(request_id, timestamp)?;
        let client = self.inner.clone();
        Ok(Prepared {
            cancel: opts.cancel.clone(),
            work: Box::new(move || client.check_status(&id, &opts)),
        })
    }

    fn prepare_request(
        &self,
        method: &Bound<'_, PyAny>,
        path: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        request_id: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
    ) -> Fallible<Prepared> {
        let method = Method::parse(&arg_str(method, "method")?)?;
        let path = arg_str(path, "path")?;
        let body = match body {
            Some(b) if !b.is_none() => Some(body_arg(b)?),
            _ => None,
        };
        let opts = options(request_id, timestamp)?;
        let client = self.inner.clone();
        Ok(Prepared {
            cancel: opts.cancel.clone(),
            work: Box::new(move || {
                let serialised;
                let bytes: Option<&[u8]> = match &body {
                    None => None,
                    Some(Body::Raw(b)) => Some(b),
                    Some(Body::Value(v)) => {
                        serialised = serde_json::to_vec(v).map_err(|e| {
                            doku::Error::invalid_input("body", format!("cannot serialise: {e}"))
                        })?;
                        Some(&serialised)
                    }
                };
                client.request(method, &path, bytes, &opts)
            }),
        })
    }

    /// Runs a prepared call to the end. On the main thread (the only one Python delivers
    /// signals to) it runs on the blocking pool, so Ctrl-C interrupts the wait; on any
    /// other thread (a web server's workers) it runs right here with the GIL released,
    /// sparing the handoff.
    fn run<'py>(&self, py: Python<'py>, p: Fallible<Prepared>) -> PyResult<Bound<'py, PyTuple>> {
        self.log_gate.refresh(py);
        let response = guard(py, || {
            let Prepared { cancel, work } = p?;
            if on_main_thread(py)? {
                interruptible(py, cancel, work)
            } else {
                Ok(py.detach(work)?)
            }
        })?;
        response_tuple(py, &response)
    }

    /// Starts a prepared call; its outcome goes to `sink` (a `Completions` with `token`,
    /// or a callable `done(ok, value)`).
    fn start(
        &self,
        py: Python<'_>,
        p: Fallible<Prepared>,
        sink: &Bound<'_, PyAny>,
        token: u64,
    ) -> PyResult<CallHandle> {
        self.log_gate.refresh(py);
        guard(py, || Ok(spawn(p?, Sink::from_args(sink, token))))
    }
}

#[pymethods]
impl PyClient {
    #[new]
    fn new(py: Python<'_>, config_json: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, || {
            let json = arg_str(config_json, "config")?;
            let (config, log_gate) = super::logging::install(Config::from_json(&json)?);
            Ok(PyClient {
                inner: Arc::new(Client::new(config)?),
                log_gate,
            })
        })
    }

    /// Calls operation `operation` (`alfa_payment_code`, ...). A `dict` body is validated,
    /// serialised once and sent; a `bytes`/`str` body is validated and sent as given.
    #[pyo3(signature = (operation, body, request_id=None, timestamp=None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        operation: &Bound<'py, PyAny>,
        body: &Bound<'py, PyAny>,
        request_id: Option<&Bound<'py, PyAny>>,
        timestamp: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        self.run(
            py,
            self.prepare_call(operation, body, request_id, timestamp),
        )
    }

    /// `call` started on the blocking pool; its outcome goes to `sink` under `token`.
    #[pyo3(signature = (operation, body, request_id, timestamp, sink, token))]
    #[allow(clippy::too_many_arguments)]
    fn call_async(
        &self,
        py: Python<'_>,
        operation: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        request_id: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        sink: &Bound<'_, PyAny>,
        token: u64,
    ) -> PyResult<CallHandle> {
        self.start(
            py,
            self.prepare_call(operation, body, request_id, timestamp),
            sink,
            token,
        )
    }

    /// Check status by invoice number or original Request-Id.
    #[pyo3(signature = (id, request_id=None, timestamp=None))]
    fn check_status<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        request_id: Option<&Bound<'py, PyAny>>,
        timestamp: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        self.run(py, self.prepare_check_status(id, request_id, timestamp))
    }

    /// `check_status` started on the blocking pool; its outcome goes to `sink`.
    #[pyo3(signature = (id, request_id, timestamp, sink, token))]
    fn check_status_async(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        request_id: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        sink: &Bound<'_, PyAny>,
        token: u64,
    ) -> PyResult<CallHandle> {
        self.start(
            py,
            self.prepare_check_status(id, request_id, timestamp),
            sink,
            token,
        )
    }

    /// A signed request to any Non-SNAP path. `body` is `None` for GET; for POST, JSON as
    /// `bytes`/`str` (sent as given) or a `dict`/`list` (serialised once).
    #[pyo3(signature = (method, path, body=None, request_id=None, timestamp=None))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, PyAny>,
        path: &Bound<'py, PyAny>,
        body: Option<&Bound<'py, PyAny>>,
        request_id: Option<&Bound<'py, PyAny>>,
        timestamp: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        self.run(
            py,
            self.prepare_request(method, path, body, request_id, timestamp),
        )
    }

    /// `request` started on the blocking pool; its outcome goes to `sink`.
    #[pyo3(signature = (method, path, body, request_id, timestamp, sink, token))]
    #[allow(clippy::too_many_arguments)]
    fn request_async(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        path: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        request_id: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        sink: &Bound<'_, PyAny>,
        token: u64,
    ) -> PyResult<CallHandle> {
        self.start(
            py,
            self.prepare_request(method, path, body, request_id, timestamp),
            sink,
            token,
        )
    }

    /// DOKU's clock minus this machine's, in seconds; None until an answer carried a time.
    fn clock_skew(&self) -> Option<i64> {
        self.inner.clock_skew()
    }

    #[getter]
    fn client_id(&self) -> &str {
        &self.inner.config().client_id
    }

    #[getter]
    fn base_url(&self) -> &str {
        &self.inner.config().base_url
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        format!(
            "Client(client_id={:?}, base_url={:?}, secret_key=<redacted>)",
            c.client_id, c.base_url
        )
    }
}

/// Checks `body` against the field rules of `operation` without sending anything (what
/// `Client.call` checks first): returns None, or raises ValidationError naming the JSON
/// path (InvalidInputError for JSON that does not parse, with line and column).
#[pyfunction]
pub(super) fn validate(
    py: Python<'_>,
    operation: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
) -> PyResult<()> {
    guard(py, || {
        let operation = arg_str(operation, "operation")?;
        let table = doku::OperationTable::default();
        match body_arg(body)? {
            Body::Raw(bytes) => table.check_request(&operation, &bytes).map(|_| ()),
            Body::Value(value) => table
                .get(&operation)
                .and_then(|op| table.check_value(op, &value)),
        }
        .map_err(Into::into)
    })
}
