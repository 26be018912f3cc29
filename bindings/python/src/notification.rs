//! Notification and Direct Inquiry verification, and the signed inquiry reply.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyDict, PyString};

use super::convert::{to_py, to_value};
use super::{
    arg_bytes, arg_str, guard, opt_u64, sign_key, type_name, wrong_type, Fallible,
    RELEASE_GIL_BYTES,
};
use doku::clock::SystemClock;
use doku::notification::{self, Inquiry, InquiryAnswer, Notification, VerifyOptions};

const BODY_HINT: &str = "; pass the raw request body (Flask: request.get_data(), Django: \
                         request.body, FastAPI: await request.body()), never a parsed dict";

/// The headers the core reads.
use doku::notification::SIGNED_HEADER_NAMES as SIGNED;

/// The signed headers of a request: from a `dict`, from any object with `items()`
/// (Flask's, Django's and Starlette's headers, `http.server`'s `self.headers`), or from
/// `(name, value)` pairs.
fn header_pairs(headers: &Bound<'_, PyAny>) -> Fallible<Vec<(PyBackedStr, PyBackedStr)>> {
    // Every refusal here is about the headers' Python type.
    let bad = |what: String| -> Fallible<Vec<(PyBackedStr, PyBackedStr)>> {
        Err(wrong_type("headers", format!("headers {what}")))
    };
    let mut pairs = Vec::with_capacity(SIGNED.len());
    if let Ok(dict) = headers.cast::<PyDict>() {
        for (name, value) in dict.iter() {
            push_signed(&mut pairs, &name, &value)?;
        }
        return Ok(pairs);
    }
    if headers.is_instance_of::<PyString>() || headers.is_instance_of::<PyBytes>() {
        return bad(format!(
            "must be a mapping or (name, value) pairs, not {}",
            type_name(headers)
        ));
    }
    let items = match headers.getattr(intern!(headers.py(), "items")) {
        Ok(items) if items.is_callable() => items.call0()?,
        _ => headers.clone(),
    };
    let Ok(iter) = items.try_iter() else {
        return bad(format!(
            "must be a mapping or (name, value) pairs, not {}",
            type_name(headers)
        ));
    };
    for item in iter {
        let item = item?;
        let Ok((name, value)) = item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>() else {
            return bad(format!(
                "must hold (name, value) pairs, not {}",
                type_name(&item)
            ));
        };
        push_signed(&mut pairs, &name, &value)?;
    }
    Ok(pairs)
}

/// Keeps a header when it is one of the signed ones; the others are skipped unconverted
/// (they are none of the core's business).
fn push_signed(
    pairs: &mut Vec<(PyBackedStr, PyBackedStr)>,
    name: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
) -> Fallible<()> {
    let name = arg_str(name, "headers")?;
    if let Some(signed) = SIGNED.iter().find(|n| n.eq_ignore_ascii_case(&name)) {
        let value = arg_str(value, &format!("headers.{signed}"))?;
        pairs.push((name, value));
    }
    Ok(())
}

/// The keys of a rotation in progress: a list or tuple of str/bytes, newest first.
fn previous_keys(keys: Option<&Bound<'_, PyAny>>) -> Fallible<Vec<doku::SigningKey>> {
    let Some(keys) = keys.filter(|k| !k.is_none()) else {
        return Ok(Vec::new());
    };
    if keys.is_instance_of::<PyString>() || keys.is_instance_of::<PyBytes>() {
        return Err(wrong_type(
            "previous_secret_keys",
            "previous_secret_keys must be a list of keys, not a single str".to_string(),
        ));
    }
    let Ok(iter) = keys.try_iter() else {
        return Err(wrong_type(
            "previous_secret_keys",
            format!(
                "previous_secret_keys must be a list of keys, not {}",
                type_name(keys)
            ),
        ));
    };
    iter.enumerate()
        .map(|(i, key)| {
            let field = format!("previous_secret_keys[{i}]");
            let bytes = arg_bytes(&key?, &field, "")?;
            Ok(notification::previous_key(Some(&bytes), &field)?)
        })
        .collect()
}

/// Shared argument handling of the two verify functions: `f` runs with the GIL released
/// when the body is large.
#[allow(clippy::too_many_arguments)]
fn verify_call<'py, T: Send>(
    py: Python<'py>,
    headers: &Bound<'py, PyAny>,
    body: &Bound<'py, PyAny>,
    path: &Bound<'py, PyAny>,
    client_id: &Bound<'py, PyAny>,
    secret_key: &Bound<'py, PyAny>,
    tolerance_secs: Option<&Bound<'py, PyAny>>,
    previous_secret_keys: Option<&Bound<'py, PyAny>>,
    f: impl FnOnce(
            &[(PyBackedStr, PyBackedStr)],
            &[u8],
            doku::Keys<'_>,
            &VerifyOptions<'_>,
        ) -> doku::Result<T>
        + Send,
) -> PyResult<T> {
    guard(py, || {
        let headers = header_pairs(headers)?;
        let body = arg_bytes(body, "body", BODY_HINT)?;
        let path = arg_str(path, "path")?;
        let client_id = arg_str(client_id, "client_id")?;
        let key = sign_key(secret_key)?;
        let previous = previous_keys(previous_secret_keys)?;
        let opts = VerifyOptions {
            path: &path,
            client_id: &client_id,
            tolerance_secs: opt_u64(tolerance_secs, "tolerance_secs")?,
        };
        let work = || f(&headers, &body, doku::Keys::new(&key, &previous), &opts);
        let out = if body.len() >= RELEASE_GIL_BYTES {
            py.detach(work)
        } else {
            work()
        };
        Ok(out?)
    })
}

/// Verifies a DOKU payment notification and returns it parsed (a dict).
///
/// `headers`: a mapping or headers object (Flask, Django, Starlette, `http.server`) or
/// `(name, value)` pairs; names match case-insensitively. `body`: the raw request body
/// exactly as received (Flask `request.get_data()`, Django `request.body`, FastAPI
/// `await request.body()`); the signature covers those bytes, so a re-encoded dict does
/// not verify. `path`: the path of *your* Notification URL (`/payments/notifications`),
/// not read from the request (a proxy may rewrite it). `tolerance_secs`: reject a
/// Request-Timestamp further than this from now; off by default, since DOKU retries for
/// up to 12 hours.
///
/// Raises SignatureError (bad signature, other Client-Id, stale timestamp),
/// InvalidInputError (missing or repeated header, body not JSON) or DecodeError (no
/// `transaction.status` or `order.invoice_number`). De-duplicate on `request_id`: it is the
/// same on every retry.
#[pyfunction]
#[pyo3(signature = (headers, body, path, client_id, secret_key, tolerance_secs=None, previous_secret_keys=None))]
#[allow(clippy::too_many_arguments)]
pub(super) fn verify_notification<'py>(
    py: Python<'py>,
    headers: &Bound<'py, PyAny>,
    body: &Bound<'py, PyAny>,
    path: &Bound<'py, PyAny>,
    client_id: &Bound<'py, PyAny>,
    secret_key: &Bound<'py, PyAny>,
    tolerance_secs: Option<&Bound<'py, PyAny>>,
    previous_secret_keys: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let n = verify_call(
        py,
        headers,
        body,
        path,
        client_id,
        secret_key,
        tolerance_secs,
        previous_secret_keys,
        |h, body, keys, opts| {
            notification::verify_notification(
                h.iter().map(|(k, v)| (&**k, &**v)),
                body,
                keys,
                opts,
                &SystemClock,
            )
        },
    )?;
    notification_to_py(py, n)
}

/// The dict of `Notification::to_json`, built from the struct directly: the body is
/// converted once instead of being cloned into another JSON value first.
fn notification_to_py(py: Python<'_>, n: Notification) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("request_id", n.request_id)?;
    dict.set_item("client_id", n.client_id)?;
    dict.set_item("request_timestamp", n.request_timestamp)?;
    dict.set_item("service_id", n.service_id)?;
    dict.set_item("acquirer_id", n.acquirer_id)?;
    dict.set_item("channel_id", n.channel_id)?;
    dict.set_item("status", n.status)?;
    dict.set_item("transaction_date", n.transaction_date)?;
    dict.set_item("original_request_id", n.original_request_id)?;
    dict.set_item("invoice_number", n.invoice_number)?;
    let amount = match &n.amount {
        Some(a) => to_py(py, a)?,
        None => py.None().into_bound(py),
    };
    dict.set_item("amount", amount)?;
    dict.set_item("payment_code", n.payment_code)?;
    dict.set_item("body", to_py(py, &n.body)?)?;
    dict.set_item("key_index", n.key_index)?;
    Ok(dict.into_any())
}

/// Verifies a Direct Inquiry (DIPC) like a notification (`path` is your Inquiry URL's
/// path) and returns it parsed (a dict); answer it with `inquiry_reply`.
#[pyfunction]
#[pyo3(signature = (headers, body, path, client_id, secret_key, tolerance_secs=None, previous_secret_keys=None))]
#[allow(clippy::too_many_arguments)]
pub(super) fn verify_inquiry<'py>(
    py: Python<'py>,
    headers: &Bound<'py, PyAny>,
    body: &Bound<'py, PyAny>,
    path: &Bound<'py, PyAny>,
    client_id: &Bound<'py, PyAny>,
    secret_key: &Bound<'py, PyAny>,
    tolerance_secs: Option<&Bound<'py, PyAny>>,
    previous_secret_keys: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let inquiry = verify_call(
        py,
        headers,
        body,
        path,
        client_id,
        secret_key,
        tolerance_secs,
        previous_secret_keys,
        |h, body, keys, opts| {
            notification::verify_inquiry(
                h.iter().map(|(k, v)| (&**k, &**v)),
                body,
                keys,
                opts,
                &SystemClock,
            )
        },
    )?;
    to_py(py, &inquiry.to_json())
}

/// Builds and signs the reply to a verified inquiry: `{"headers": {...}, "body": "..."}`;
/// send those headers and exactly that body. `status` is e.g. `success`, `not_found`,
/// `paid` or `expired`. The reply is signed as a response (Response-Timestamp, the
/// inquiry's Client-Id and Request-Id, your `inquiry_path`).
#[pyfunction]
#[pyo3(signature = (inquiry, *, invoice_number, amount, status, secret_key, inquiry_path))]
pub(super) fn inquiry_reply<'py>(
    py: Python<'py>,
    inquiry: &Bound<'py, PyAny>,
    invoice_number: &Bound<'py, PyAny>,
    amount: &Bound<'py, PyAny>,
    status: &Bound<'py, PyAny>,
    secret_key: &Bound<'py, PyAny>,
    inquiry_path: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let reply = guard(py, || {
        let inquiry = Inquiry::from_json(&to_value(inquiry, "inquiry")?.to_string())?;
        // The answer's rules are the core's (the same as C's answer_json).
        let answer = serde_json::json!({
            "invoice_number": to_value(invoice_number, "invoice_number")?,
            "amount": to_value(amount, "amount")?,
            "status": to_value(status, "status")?,
        });
        let answer = InquiryAnswer::from_json(&answer)?;
        let key = sign_key(secret_key)?;
        let path = arg_str(inquiry_path, "inquiry_path")?;
        Ok(notification::inquiry_reply(
            &inquiry,
            &answer,
            &key,
            &path,
            &SystemClock,
        )?)
    })?;
    to_py(py, &reply.to_json())
}

/// A payment notification exactly as DOKU would send it (for tests): `request_json` as
/// `doku::notification_body::TestNotification::from_json` reads it. Returns
/// `{"headers": {...}, "body": "..."}`.
#[pyfunction]
pub(super) fn test_notification<'py>(
    py: Python<'py>,
    request_json: &Bound<'py, PyAny>,
    secret_key: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let signed = guard(py, || {
        let request = arg_str(request_json, "request_json")?;
        let t = doku::notification_body::TestNotification::from_json(&request)?;
        Ok(doku::notification_body::signed_test_notification(
            &t,
            &sign_key(secret_key)?,
            &SystemClock,
            &doku::UuidV4,
        )?)
    })?;
    to_py(py, &signed.to_json())
}
