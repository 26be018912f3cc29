"""Every exception type from a real trigger, with the fields of the C last-error JSON."""

from __future__ import annotations

import builtins
import json
import pickle
from typing import Callable, Dict, List, Tuple

import pytest

import doku_direct
from doku_direct import errors
from doku_direct.testing import Sandbox
from support import NOTIFICATION_PATH, Stalling, alfa_body, indodana_body, invoice

FIELDS = ("kind", "message", "field", "http_status", "request_id", "body")


def test_the_hierarchy() -> None:
    for cls in (
        errors.InvalidInputError,
        errors.ValidationError,
        errors.ConfigError,
        errors.SignatureError,
        errors.ApiError,
        errors.TimeoutError,
        errors.TransportError,
        errors.DecodeError,
        errors.PanicError,
    ):
        assert issubclass(cls, doku_direct.DokuError)
        assert getattr(doku_direct, cls.__name__) is cls
    assert issubclass(errors.TimeoutError, builtins.TimeoutError)
    assert errors.TimeoutError is not builtins.TimeoutError
    assert issubclass(errors.InvalidInputError, ValueError)
    assert issubclass(errors.ValidationError, ValueError)
    kinds = {
        "invalid_input",
        "validation",
        "signature_mismatch",
        "api",
        "timeout",
        "transport",
        "decode",
        "config",
        "panic",
    }
    assert {c.kind for c in errors._BY_KIND.values()} == kinds


def test_invalid_input_names_the_argument() -> None:
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.sign("C", "r\nClient-Id:forged", "2026-01-01T00:00:00Z", "/x", b"{}", "S")
    assert e.value.kind == "invalid_input" and e.value.field == "request_id"
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.sign("C", "r", "2026-01-01T00:00:00Z", "https://api.doku.com/x", b"{}", "S")
    assert e.value.field == "request_target"
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.sign("C", "r", "2026-01-01T00:00:00Z", "/x", {"a": 1}, "S")  # type: ignore[arg-type]
    assert e.value.field == "body" and "bytes or str" in e.value.message
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.verify("C", "r", "t", "/x", None, "", "HMACSHA256=")
    assert e.value.field == "secret_key"
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.verify("C", "r", "t", "/x", None, "S", 42)  # type: ignore[arg-type]
    assert e.value.field == "signature"
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.verify_notification({}, {"order": {}}, "/n", "C", "S")  # type: ignore[arg-type]
    assert e.value.field == "body" and "request.get_data()" in e.value.message
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.verify_notification({"Client-Id": "C"}, b"{}", "/n", "C", "S")
    assert e.value.field == "headers.Request-Id"


def test_a_wrong_type_is_a_type_error_and_still_an_invalid_input_error(sb: Sandbox) -> None:
    assert issubclass(doku_direct.InvalidTypeError, TypeError)
    assert issubclass(doku_direct.InvalidTypeError, doku_direct.InvalidInputError)
    cases: List[Tuple[Callable[[], object], str]] = [
        (lambda: doku_direct.sign("C", 5, "t", "/x", b"{}", "S"), "request_id"),  # type: ignore[arg-type]
        (lambda: doku_direct.sign("C", "r", "t", "/x", {"a": 1}, "S"), "body"),  # type: ignore[arg-type]
        (lambda: doku_direct.verify("C", "r", "t", "/x", None, "S", 42), "signature"),  # type: ignore[arg-type]
        (lambda: doku_direct.verify_notification("Client-Id: C", b"{}", "/n", "C", "S"), "headers"),  # type: ignore[arg-type]
        (lambda: sb.client().alfa_payment_code({"order": {"amount": {1, 2}}}), "body.order.amount"),
        (lambda: sb.client().alfa_payment_code({"order": {1: "x"}}), "body.order"),
    ]
    for call, field in cases:
        with pytest.raises(TypeError) as e:
            call()
        assert isinstance(e.value, doku_direct.InvalidTypeError), e.value
        assert e.value.kind == "invalid_input" and e.value.field == field, e.value
    # A value of the right type that is unusable stays a ValueError, not a TypeError.
    with pytest.raises(doku_direct.InvalidInputError) as bad:
        doku_direct.sign("C", "r\nx", "t", "/x", b"{}", "S")
    assert not isinstance(bad.value, TypeError)


def test_unconvertible_request_values_name_their_path(sb: Sandbox) -> None:
    body = alfa_body(invoice())
    body["order"]["amount"] = object()
    with pytest.raises(doku_direct.InvalidInputError) as e:
        sb.client().alfa_payment_code(body)
    assert e.value.field == "body.order.amount"
    body["order"]["amount"] = float("nan")
    with pytest.raises(doku_direct.InvalidInputError) as e:
        sb.client().alfa_payment_code(body)
    assert e.value.field == "body.order.amount"
    loop: Dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(doku_direct.InvalidInputError):
        sb.client().alfa_payment_code(loop)


def test_validation_error_names_the_json_path_and_sends_nothing(sb: Sandbox) -> None:
    body = alfa_body(invoice())
    body["order"]["amount"] = 0
    with pytest.raises(doku_direct.ValidationError) as e:
        sb.client().alfa_payment_code(body)
    assert e.value.kind == "validation"
    assert e.value.field == "order.amount"
    assert str(e.value).startswith("order.amount")
    idn = indodana_body(invoice())
    idn["order"]["line_items"][0]["price"] = -1
    with pytest.raises(doku_direct.ValidationError) as e:
        sb.client().indodana_generate_order(idn)
    assert e.value.field == "order.line_items[0].price"
    with pytest.raises(doku_direct.InvalidInputError) as bad:
        sb.client().alfa_payment_code(b'{"order": {"amount": 1,}}')
    assert "line 1" in bad.value.message
    assert sb.transaction_count() == 0


@pytest.mark.parametrize(
    "options, field",
    [
        ({"client_id": ""}, "client_id"),
        ({"secret_key": ""}, "secret_key"),
        ({"environment": "prod"}, "environment"),
        ({"base_url": "ftp://example.com"}, "base_url"),
        ({"retries": "3"}, "retries"),
        ({"timeout_ms": 0}, "timeout_ms"),
        ({"response_signature": "maybe"}, "response_signature"),
        ({"paths": {"nope": "/x"}}, "paths.nope"),
        ({"environment": "sandbox", "base_url": "http://127.0.0.1:1"}, "base_url"),
        ({"proxy": b"http://proxy"}, "proxy"),
    ],
)
def test_config_error_names_the_key(options: Dict[str, object], field: str) -> None:
    args: Dict[str, object] = {"client_id": "C", "secret_key": "S"}
    args.update(options)
    with pytest.raises(doku_direct.ConfigError) as e:
        doku_direct.Client(**args)  # type: ignore[arg-type]
    assert e.value.kind == "config"
    assert e.value.field == field


def test_signature_error_from_a_wrong_secret_and_an_unsigned_response(
    canned_server: Callable[[int, bytes, Dict[str, str]], str],
) -> None:
    body = b'{"transaction":{"status":"SUCCESS"},"order":{"invoice_number":"INV-1"}}'
    ts = "2026-01-01T00:00:00Z"
    signature = doku_direct.sign("C", "n-1", ts, NOTIFICATION_PATH, body, "right-key")
    headers = {"Client-Id": "C", "Request-Id": "n-1", "Request-Timestamp": ts, "Signature": signature}
    with pytest.raises(doku_direct.SignatureError) as e:
        doku_direct.verify_notification(headers, body, NOTIFICATION_PATH, "C", "wrong-key")
    assert e.value.kind == "signature_mismatch"
    assert e.value.field == "signature" and e.value.request_id == "n-1"
    # An answer without a Signature header when the client requires one.
    url = canned_server(200, b'{"order":{}}', {"Content-Type": "application/json"})
    client = doku_direct.Client("C", "S", base_url=url, response_signature="require", retries=0)
    with pytest.raises(doku_direct.SignatureError) as e:
        client.check_status("INV-1", request_id="rid-sig")
    assert e.value.field == "headers.Signature"
    assert e.value.http_status == 200 and e.value.request_id == "rid-sig"
    assert e.value.body == '{"order":{}}'


def test_api_error_from_the_sandbox(sb: Sandbox) -> None:
    client = sb.client()
    inv = invoice()
    client.alfa_payment_code(alfa_body(inv))
    with pytest.raises(doku_direct.ApiError) as e:
        client.alfa_payment_code(alfa_body(inv), request_id="rid-dup-" + inv)
    err = e.value
    assert err.kind == "api"
    assert err.status == err.http_status == 400
    assert err.request_id == "rid-dup-" + inv
    assert json.loads(err.body or "")["error"]["code"] == "duplicate_invoice_number"
    assert "duplicate_invoice_number" in str(err)
    wrong = doku_direct.Client(sb.client_id, "not-the-key", base_url=sb.base_url, retries=0)
    with pytest.raises(doku_direct.ApiError) as e:
        wrong.check_status(inv)
    assert e.value.status == 401
    assert json.loads(e.value.body or "")["error"]["code"] == "invalid_signature"


def test_timeout_error_means_outcome_unknown(stalling_server: Stalling) -> None:
    client = doku_direct.Client("C", "S", base_url=stalling_server.url, timeout_ms=200, retries=0)
    with pytest.raises(doku_direct.TimeoutError) as e:
        client.alfa_payment_code(alfa_body(invoice()), request_id="rid-timeout")
    err = e.value
    assert isinstance(err, builtins.TimeoutError) and isinstance(err, doku_direct.DokuError)
    assert err.kind == "timeout"
    assert err.request_id == "rid-timeout"
    assert "unknown" in err.message and "check_status" in err.message
    # Retries reuse the Request-Id and still end in a timeout.
    retrying = doku_direct.Client(
        "C", "S", base_url=stalling_server.url, timeout_ms=100, retries=1, retry_backoff_ms=1
    )
    with pytest.raises(builtins.TimeoutError):
        retrying.check_status("INV-1", request_id="rid-timeout-2")


def test_transport_error_from_a_closed_port(closed_port_url: str) -> None:
    client = doku_direct.Client("C", "S", base_url=closed_port_url, retries=0)
    with pytest.raises(doku_direct.TransportError) as e:
        client.check_status("INV-1", request_id="rid-closed")
    assert e.value.kind == "transport"
    assert e.value.request_id == "rid-closed"


def test_decode_error_from_an_answer_that_is_not_json(
    canned_server: Callable[[int, bytes, Dict[str, str]], str],
) -> None:
    url = canned_server(200, b"<html>hello</html>", {"Content-Type": "text/html"})
    client = doku_direct.Client("C", "S", base_url=url, retries=0)
    with pytest.raises(doku_direct.DecodeError) as e:
        client.check_status("INV-1")
    assert e.value.kind == "decode"
    assert e.value.http_status == 200 and e.value.body == "<html>hello</html>"
    # A verified notification without the fields every notification has.
    body = b'{"order":{"invoice_number":"INV-1"}}'
    sig = doku_direct.sign("C", "n", "2026-01-01T00:00:00Z", "/n", body, "S")
    headers = [("Client-Id", "C"), ("Request-Id", "n"), ("Request-Timestamp", "2026-01-01T00:00:00Z"), ("Signature", sig)]
    with pytest.raises(doku_direct.DecodeError) as e:
        doku_direct.verify_notification(headers, body, "/n", "C", "S")
    assert e.value.field == "transaction.status"


def test_a_panic_becomes_panic_error() -> None:
    from doku_direct import _native

    with pytest.raises(doku_direct.PanicError) as e:
        _native._test_panic()
    assert e.value.kind == "panic"
    assert "bug" in e.value.message


def test_exceptions_carry_every_field_and_pickle(closed_port_url: str) -> None:
    client = doku_direct.Client("C", "S", base_url=closed_port_url, retries=0)
    with pytest.raises(doku_direct.DokuError) as e:
        client.check_status("INV-1", request_id="rid-pickle")
    as_dict = e.value.to_dict()
    assert tuple(as_dict) == FIELDS
    assert as_dict["kind"] == "transport" and as_dict["request_id"] == "rid-pickle"
    copy = pickle.loads(pickle.dumps(e.value))
    assert type(copy) is type(e.value)
    assert copy.to_dict() == as_dict and str(copy) == str(e.value)
    api = errors.ApiError("boom", http_status=500, request_id="r", body="{}")
    assert pickle.loads(pickle.dumps(api)).status == 500


def test_repr_never_shows_the_secret() -> None:
    secret = "SK-very-secret-value-123"
    client = doku_direct.Client("MCH-1", secret, base_url="http://127.0.0.1:9")
    assert secret not in repr(client) and secret not in str(client)
    assert "MCH-1" in repr(client)
    assert not hasattr(client, "__dict__")
    assert secret not in repr(client._native)
    with pytest.raises(doku_direct.ConfigError) as e:
        doku_direct.Client("MCH-1", secret, environment="nope")
    assert secret not in str(e.value) and secret not in repr(e.value.to_dict())
