//! `sign`, `verify` and their response-signature variants.

use pyo3::prelude::*;

use super::{arg_bytes, arg_str, guard, Bytes, Fallible, RELEASE_GIL_BYTES};
use doku::error::ErrorKind;
use doku::signature::{Component, SigningKey};

/// The converted arguments of the four functions.
struct Args {
    client_id: pyo3::pybacked::PyBackedStr,
    request_id: pyo3::pybacked::PyBackedStr,
    timestamp: pyo3::pybacked::PyBackedStr,
    request_target: pyo3::pybacked::PyBackedStr,
    body: Option<Bytes>,
    key: SigningKey,
}

impl Args {
    #[allow(clippy::too_many_arguments)]
    fn new(
        response: bool,
        client_id: &Bound<'_, PyAny>,
        request_id: &Bound<'_, PyAny>,
        timestamp: &Bound<'_, PyAny>,
        request_target: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        secret_key: &Bound<'_, PyAny>,
    ) -> Fallible<Args> {
        let timestamp_name = if response {
            "response_timestamp"
        } else {
            "timestamp"
        };
        Ok(Args {
            client_id: arg_str(client_id, "client_id")?,
            request_id: arg_str(request_id, "request_id")?,
            timestamp: arg_str(timestamp, timestamp_name)?,
            request_target: arg_str(request_target, "request_target")?,
            body: if body.is_none() {
                None
            } else {
                Some(arg_bytes(
                    body,
                    "body",
                    " (None signs a GET, with no Digest line)",
                )?)
            },
            key: super::sign_key(secret_key)?,
        })
    }

    fn component(&self, response: bool) -> Component<'_> {
        let make = if response {
            Component::response
        } else {
            Component::request
        };
        make(
            &self.client_id,
            &self.request_id,
            &self.timestamp,
            &self.request_target,
            self.body.as_deref(),
        )
    }

    /// Runs `f` on the component, with the GIL released when the body is large.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        response: bool,
        f: impl FnOnce(&SigningKey, &Component<'_>) -> T + Send,
    ) -> T {
        let work = || f(&self.key, &self.component(response));
        if self
            .body
            .as_ref()
            .is_some_and(|b| b.len() >= RELEASE_GIL_BYTES)
        {
            py.detach(work)
        } else {
            work()
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn sign_impl(
    py: Python<'_>,
    response: bool,
    client_id: &Bound<'_, PyAny>,
    request_id: &Bound<'_, PyAny>,
    timestamp: &Bound<'_, PyAny>,
    request_target: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    secret_key: &Bound<'_, PyAny>,
) -> PyResult<String> {
    guard(py, || {
        let args = Args::new(
            response,
            client_id,
            request_id,
            timestamp,
            request_target,
            body,
            secret_key,
        )?;
        Ok(args.run(py, response, |key, c| key.sign(c))?)
    })
}

#[allow(clippy::too_many_arguments)]
fn verify_impl(
    py: Python<'_>,
    response: bool,
    client_id: &Bound<'_, PyAny>,
    request_id: &Bound<'_, PyAny>,
    timestamp: &Bound<'_, PyAny>,
    request_target: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    secret_key: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    guard(py, || {
        let args = Args::new(
            response,
            client_id,
            request_id,
            timestamp,
            request_target,
            body,
            secret_key,
        )?;
        let signature = arg_str(signature, "signature")?;
        match args.run(py, response, |key, c| key.verify(c, &signature)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::SignatureMismatch => Ok(false),
            Err(e) => Err(e.into()),
        }
    })
}

/// The `Signature` header value (`HMACSHA256=<base64>`) of a request component.
///
/// `body` is bytes or str (its UTF-8 bytes), signed exactly as given; `None` signs a GET
/// (no Digest line), and `b""` an empty POST body. Sign the bytes you send. Raises
/// InvalidInputError naming the argument (empty, line break, target not a bare path,
/// body over 1 MiB).
#[pyfunction]
#[pyo3(signature = (client_id, request_id, timestamp, request_target, body, secret_key))]
pub(super) fn sign(
    py: Python<'_>,
    client_id: &Bound<'_, PyAny>,
    request_id: &Bound<'_, PyAny>,
    timestamp: &Bound<'_, PyAny>,
    request_target: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    secret_key: &Bound<'_, PyAny>,
) -> PyResult<String> {
    sign_impl(
        py,
        false,
        client_id,
        request_id,
        timestamp,
        request_target,
        body,
        secret_key,
    )
}

/// True when `signature` is the valid `Signature` of the request component, False when it
/// is not (compared in constant time; the prefix must be exactly `HMACSHA256=`). Verify
/// the bytes you received. Unusable arguments raise InvalidInputError.
#[pyfunction]
#[pyo3(signature = (client_id, request_id, timestamp, request_target, body, secret_key, signature))]
#[allow(clippy::too_many_arguments)]
pub(super) fn verify(
    py: Python<'_>,
    client_id: &Bound<'_, PyAny>,
    request_id: &Bound<'_, PyAny>,
    timestamp: &Bound<'_, PyAny>,
    request_target: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    secret_key: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    verify_impl(
        py,
        false,
        client_id,
        request_id,
        timestamp,
        request_target,
        body,
        secret_key,
        signature,
    )
}

/// The `Signature` of a response component (a `Response-Timestamp` line): DOKU's answers
/// and your replies to DOKU's inquiries.
#[pyfunction]
#[pyo3(signature = (client_id, request_id, response_timestamp, request_target, body, secret_key))]
pub(super) fn sign_response(
    py: Python<'_>,
    client_id: &Bound<'_, PyAny>,
    request_id: &Bound<'_, PyAny>,
    response_timestamp: &Bound<'_, PyAny>,
    request_target: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    secret_key: &Bound<'_, PyAny>,
) -> PyResult<String> {
    sign_impl(
        py,
        true,
        client_id,
        request_id,
        response_timestamp,
        request_target,
        body,
        secret_key,
    )
}

/// True when `signature` is the valid `Signature` of the response component.
#[pyfunction]
#[pyo3(signature = (client_id, request_id, response_timestamp, request_target, body, secret_key, signature))]
#[allow(clippy::too_many_arguments)]
pub(super) fn verify_response(
    py: Python<'_>,
    client_id: &Bound<'_, PyAny>,
    request_id: &Bound<'_, PyAny>,
    response_timestamp: &Bound<'_, PyAny>,
    request_target: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    secret_key: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    verify_impl(
        py,
        true,
        client_id,
        request_id,
        response_timestamp,
        request_target,
        body,
        secret_key,
        signature,
    )
}
