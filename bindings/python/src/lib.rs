//! `doku_direct._native`: the PyO3 glue behind the Python package (crate doku-python, built by
//! maturin from pyproject.toml).
//!
//! Thin by design: arguments are converted to core types, the core decides, and results
//! and errors are converted back. `python/doku_direct/__init__.py` is the typed public face;
//! this module is its private engine. Every entry point runs behind [`guard`]: a core
//! [`Error`] becomes the exception class `doku_direct.errors` maps its kind to (with `kind`,
//! `message`, `field`, `http_status`, `request_id`, `body`), and a panic becomes a
//! `PanicError` instead of unwinding into Python. The GIL is released around network I/O
//! and around hashing large bodies.

mod client;
// The outcome queue wakes the event loop through a Unix socket pair; elsewhere (Windows'
// Proactor loop has no add_reader anyway) async calls use the callback path.
#[cfg(unix)]
mod completions;
mod convert;
mod logging;
mod notification;
mod sandbox;
mod sign;

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyInt, PyString};

use doku::error::{Error, ErrorKind};

/// Why a call failed: a core error (raised as the mapped `DokuError` subclass) or a Python
/// exception that is already set up (raised as is, e.g. `KeyboardInterrupt` in `__str__`).
pub(crate) enum Fail {
    Doku(Error),
    /// An argument of the wrong Python type: an `invalid_input` core error raised as
    /// `doku_direct.InvalidTypeError`, which is also a `TypeError` (as Python code expects).
    WrongType(Error),
    Py(PyErr),
}

/// An argument of the wrong Python type, named by `field` (`body.order.amount`).
pub(crate) fn wrong_type(field: &str, message: String) -> Fail {
    Fail::WrongType(Error::invalid_input(field, message))
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Doku(e)
    }
}

impl From<PyErr> for Fail {
    fn from(e: PyErr) -> Self {
        Fail::Py(e)
    }
}

pub(crate) type Fallible<T> = Result<T, Fail>;

/// `doku_direct.errors._from_native`, imported once.
static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error: an instance of the class `doku_direct.errors`
/// maps `e.kind()` to, carrying every field of the C last-error JSON.
pub(crate) fn to_pyerr(py: Python<'_>, e: &Error, wrong_type: bool) -> PyErr {
    let raise = || -> PyResult<PyErr> {
        let from_native = FROM_NATIVE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("doku_direct.errors")?
                .getattr("_from_native")?
                .unbind())
        })?;
        let exc = from_native.bind(py).call1((
            e.kind().as_str(),
            e.message(),
            e.to_string(),
            e.field(),
            e.http_status(),
            e.request_id(),
            e.body(),
            wrong_type,
        ))?;
        Ok(PyErr::from_value(exc))
    };
    // Only a broken installation (no doku_direct.errors) lands in the fallback.
    raise().unwrap_or_else(|import_error| import_error)
}

/// Runs `f` behind the panic boundary and converts its failure into a Python exception.
pub(crate) fn guard<T>(py: Python<'_>, f: impl FnOnce() -> Fallible<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(Fail::Doku(e))) => Err(to_pyerr(py, &e, false)),
        Ok(Err(Fail::WrongType(e))) => Err(to_pyerr(py, &e, true)),
        Ok(Err(Fail::Py(e))) => Err(e),
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let e = Error::new(
                ErrorKind::Panic,
                format!(
                    "internal error in doku-direct (a bug: please report it): {detail}; \
                     no state was changed"
                ),
            );
            Err(to_pyerr(py, &e, false))
        }
    }
}

/// The Python type name of `obj`, for error messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

/// A required `str` argument; anything else is an `invalid_input` error naming it.
pub(crate) fn arg_str(obj: &Bound<'_, PyAny>, name: &str) -> Fallible<PyBackedStr> {
    if !obj.is_instance_of::<PyString>() {
        return Err(wrong_type(
            name,
            format!("{name} must be str, not {}", type_name(obj)),
        ));
    }
    obj.extract::<PyBackedStr>().map_err(|_| {
        Error::invalid_input(
            name,
            format!("{name} is not valid UTF-8 text (it holds a lone surrogate)"),
        )
        .into()
    })
}

/// An optional `str` argument: `None` is `None`.
pub(crate) fn opt_str(obj: Option<&Bound<'_, PyAny>>, name: &str) -> Fallible<Option<String>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => Ok(Some(arg_str(o, name)?.to_string())),
    }
}

/// Bytes held for the duration of a call: `bytes` and `bytearray` as given (the latter
/// copied, so no other thread can resize it while the GIL is released), `str` as UTF-8.
pub(crate) enum Bytes {
    Bytes(PyBackedBytes),
    Str(PyBackedStr),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Bytes(b) => b,
            Bytes::Str(s) => s.as_bytes(),
        }
    }
}

/// A body or key argument: `bytes`, `bytearray` or `str`; anything else names `name`.
pub(crate) fn arg_bytes(obj: &Bound<'_, PyAny>, name: &str, hint: &str) -> Fallible<Bytes> {
    if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
        return Ok(Bytes::Bytes(
            obj.extract::<PyBackedBytes>().map_err(PyErr::from)?,
        ));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Bytes::Str(arg_str(obj, name)?));
    }
    Err(wrong_type(
        name,
        format!("{name} must be bytes or str, not {}{hint}", type_name(obj)),
    ))
}

/// The precomputed key for a `secret_key` argument (`str` or `bytes`), cached per thread.
pub(crate) fn sign_key(obj: &Bound<'_, PyAny>) -> Fallible<doku::SigningKey> {
    Ok(doku::key_cache::key(&arg_bytes(obj, "secret_key", "")?)?)
}

/// An optional non-negative `int` argument (`bool` is refused): `None` is `None`.
pub(crate) fn opt_u64(obj: Option<&Bound<'_, PyAny>>, name: &str) -> Fallible<Option<u64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if !obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyBool>() {
        return Err(wrong_type(
            name,
            format!("{name} must be a non-negative int, not {}", type_name(obj)),
        ));
    }
    match obj.extract::<u64>() {
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(Error::invalid_input(
            name,
            format!("{name} must be a non-negative int (got {})", obj.repr()?),
        )
        .into()),
    }
}

/// Bodies at least this large are hashed with the GIL released: below it, releasing and
/// re-taking the GIL costs more than it frees.
pub(crate) const RELEASE_GIL_BYTES: usize = 16 * 1024;

/// Raises a panic inside the boundary, so the tests can prove a panic surfaces as
/// `doku_direct.errors.PanicError` and never as a `pyo3_runtime.PanicException`.
#[pyfunction]
fn _test_panic(py: Python<'_>) -> PyResult<()> {
    guard(py, || -> Fallible<()> {
        panic!("deliberate panic for the test suite")
    })
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", doku::VERSION)?;
    m.add("MAX_BODY_BYTES", doku::MAX_BODY_BYTES)?;
    m.add("SANDBOX_CLIENT_ID", doku_sandbox::policy::DEFAULT_CLIENT_ID)?;
    m.add(
        "SANDBOX_SECRET_KEY",
        doku_sandbox::policy::DEFAULT_SECRET_KEY,
    )?;
    m.add_function(wrap_pyfunction!(sign::sign, m)?)?;
    m.add_function(wrap_pyfunction!(client::validate, m)?)?;
    m.add_function(wrap_pyfunction!(sign::verify, m)?)?;
    m.add_function(wrap_pyfunction!(sign::sign_response, m)?)?;
    m.add_function(wrap_pyfunction!(sign::verify_response, m)?)?;
    m.add_function(wrap_pyfunction!(notification::verify_notification, m)?)?;
    m.add_function(wrap_pyfunction!(notification::verify_inquiry, m)?)?;
    m.add_function(wrap_pyfunction!(notification::inquiry_reply, m)?)?;
    m.add_function(wrap_pyfunction!(notification::test_notification, m)?)?;
    m.add_function(wrap_pyfunction!(_test_panic, m)?)?;
    m.add_class::<client::PyClient>()?;
    m.add_class::<client::CallHandle>()?;
    #[cfg(unix)]
    m.add_class::<completions::Completions>()?;
    m.add_class::<sandbox::PySandbox>()?;
    Ok(())
}
