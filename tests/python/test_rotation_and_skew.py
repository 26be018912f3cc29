"""Key rotation (previous keys, key_index) and clock skew, through the Python package."""

from __future__ import annotations

import json
from typing import Dict

import pytest

import doku_direct
from doku_direct.testing import Sandbox
from support import NOTIFICATION_PATH, alfa_body, invoice

NEW = "SK-py-rotation-new-not-real"
OLD = "SK-py-rotation-old-not-real"
TS = "2026-11-29T01:00:00Z"
BODY = json.dumps(
    {"order": {"invoice_number": "INV-PY-ROT", "amount": 10000}, "transaction": {"status": "SUCCESS"}}
).encode()


def headers_signed_with(secret: str) -> Dict[str, str]:
    sig = doku_direct.sign("MCH-PY-ROT", "req-py-rot", TS, NOTIFICATION_PATH, BODY, secret)
    return {
        "Client-Id": "MCH-PY-ROT",
        "Request-Id": "req-py-rot",
        "Request-Timestamp": TS,
        "Signature": sig,
    }


def verify(secret_used: str, **kw: object) -> Dict[str, object]:
    return dict(
        doku_direct.verify_notification(
            headers_signed_with(secret_used), BODY, NOTIFICATION_PATH, "MCH-PY-ROT", NEW, **kw  # type: ignore[arg-type]
        )
    )


def test_a_notification_signed_with_a_previous_key_verifies_with_its_index() -> None:
    assert verify(NEW)["key_index"] == 0
    assert verify(OLD, previous_secret_keys=[OLD])["key_index"] == 1
    assert verify(OLD, previous_secret_keys=("SK-between", OLD))["key_index"] == 2


def test_no_key_of_the_ring_is_one_signature_error_without_keys() -> None:
    with pytest.raises(doku_direct.SignatureError) as e:
        verify("SK-someone-else", previous_secret_keys=[OLD])
    for secret in (NEW, OLD, "SK-someone-else"):
        assert secret not in str(e.value) and secret not in repr(e.value)


def test_previous_keys_are_checked_by_index() -> None:
    with pytest.raises(doku_direct.InvalidInputError) as e:
        verify(NEW, previous_secret_keys=[OLD, ""])
    assert e.value.field == "previous_secret_keys[1]"
    with pytest.raises(doku_direct.InvalidTypeError) as t:
        verify(NEW, previous_secret_keys=OLD)
    assert t.value.field == "previous_secret_keys"
    with pytest.raises(doku_direct.InvalidTypeError):
        verify(NEW, previous_secret_keys=[OLD, 7])
    with pytest.raises(doku_direct.ConfigError) as c:
        doku_direct.Client("C", NEW, previous_secret_keys=[""])
    assert c.value.field == "previous_secret_keys[0]"
    assert OLD not in repr(doku_direct.Client("C", NEW, previous_secret_keys=[OLD]))


def test_responses_report_their_key_and_the_clock_skew_is_measured(sb: Sandbox) -> None:
    client = doku_direct.Client(sb.client_id, sb.secret_key, base_url=sb.base_url, retries=0)
    assert client.clock_skew() is None
    r = client.alfa_payment_code(alfa_body(invoice("ROT")))
    assert r.signature_verified and r.key_index == 0
    skew = client.clock_skew()
    assert skew is not None and abs(skew) <= 2


def test_a_refused_timestamp_is_explained(sb: Sandbox) -> None:
    client = doku_direct.Client(sb.client_id, sb.secret_key, base_url=sb.base_url, retries=0)
    with pytest.raises(doku_direct.ApiError) as e:
        client.alfa_payment_code(alfa_body(invoice("TS")), timestamp="2020-01-01T00:00:00Z")
    assert e.value.status == 401
    assert "timestamp_out_of_window" in e.value.message
    # This machine's clock agrees with the sandbox's: the advice says to look elsewhere.
    assert "Your clock agrees with DOKU's" in e.value.message


def test_a_signed_test_notification_verifies_in_every_channel() -> None:
    from doku_direct.testing import signed_notification

    for channel in ("alfa", "indomaret", "indodana"):
        n = signed_notification(
            channel, client_id="MCH-PY-T", secret_key=NEW, status="FAILED",
            invoice_number="INV-PY-T", amount=7000,
        )
        got = doku_direct.verify_notification(
            n["headers"], n["body"], NOTIFICATION_PATH, "MCH-PY-T", NEW
        )
        assert got["status"] == "FAILED" and got["invoice_number"] == "INV-PY-T"
        assert got["amount"] == 7000
    with pytest.raises(doku_direct.InvalidInputError) as e:
        signed_notification("ovo", client_id="C", secret_key=NEW)
    assert e.value.field == "channel"
