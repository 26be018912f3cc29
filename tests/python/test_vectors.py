"""The signature vectors (tests/data/vectors.json), through the Python API:
the same cases drive the Rust, C and PHP suites, so the surfaces cannot drift apart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Dict, Optional

import pytest

import doku_direct
from support import VECTORS

CASES = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
SECRET = json.loads(VECTORS.read_text(encoding="utf-8"))["secret_key"]


def reference_signature(secret: str, component: str) -> str:
    mac = hmac.new(secret.encode(), component.encode(), hashlib.sha256).digest()
    return "HMACSHA256=" + base64.b64encode(mac).decode()


def body_of(case: Dict[str, Any]) -> Optional[bytes]:
    return None if case["body"] is None else case["body"].encode("utf-8")


def sign_case(case: Dict[str, Any], body: Any, secret: Any = SECRET) -> str:
    fn = doku_direct.sign if case["kind"] == "request" else doku_direct.sign_response
    return fn(
        case["client_id"], case["request_id"], case["timestamp"], case["request_target"], body, secret
    )


def verify_case(case: Dict[str, Any], body: Any, signature: str) -> bool:
    fn = doku_direct.verify if case["kind"] == "request" else doku_direct.verify_response
    return fn(
        case["client_id"],
        case["request_id"],
        case["timestamp"],
        case["request_target"],
        body,
        SECRET,
        signature,
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector_signs_and_verifies(case: Dict[str, Any]) -> None:
    body = body_of(case)
    assert sign_case(case, body) == case["signature"]
    assert verify_case(case, body, case["signature"]) is True
    # The vector is self-consistent: its component, signed by Python's hmac, gives it too.
    assert reference_signature(SECRET, case["component"]) == case["signature"]
    if body is not None:
        assert base64.b64encode(hashlib.sha256(body).digest()).decode() == case["digest"]


@pytest.mark.parametrize("case", [c for c in CASES if c["body"] is not None], ids=lambda c: c["name"])
def test_str_bytearray_and_bytes_bodies_agree(case: Dict[str, Any]) -> None:
    assert sign_case(case, case["body"]) == case["signature"]
    assert sign_case(case, bytearray(body_of(case) or b"")) == case["signature"]
    assert sign_case(case, body_of(case), secret=SECRET.encode()) == case["signature"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_one_changed_byte_does_not_verify(case: Dict[str, Any]) -> None:
    body = body_of(case)
    if body is not None:
        assert verify_case(case, body + b" ", case["signature"]) is False
        assert verify_case(case, None, case["signature"]) is False
    else:
        assert verify_case(case, b"", case["signature"]) is False
    # The other kind of component (request vs response timestamp line) does not verify.
    other = doku_direct.verify_response if case["kind"] == "request" else doku_direct.verify
    assert (
        other(
            case["client_id"],
            case["request_id"],
            case["timestamp"],
            case["request_target"],
            body,
            SECRET,
            case["signature"],
        )
        is False
    )


def test_must_not_verify_against_post_alfa_compact(vectors: Dict[str, Any]) -> None:
    compact = next(c for c in vectors["cases"] if c["name"] == "post-alfa-compact")
    bad = vectors["must_not_verify_against_post_alfa_compact"]
    assert {b["name"] for b in bad} >= {"trailing-newline", "wrong-prefix", "other-secret"}
    for entry in bad:
        assert verify_case(compact, body_of(compact), entry["signature"]) is False, entry["name"]
        if "component" in entry:
            assert reference_signature(SECRET, entry["component"]) == entry["signature"]


def test_keyword_arguments_use_the_c_parameter_names() -> None:
    case = next(c for c in CASES if c["name"] == "post-empty-object")
    signature = doku_direct.sign(
        client_id=case["client_id"],
        request_id=case["request_id"],
        timestamp=case["timestamp"],
        request_target=case["request_target"],
        body=b"{}",
        secret_key=SECRET,
    )
    assert signature == case["signature"]
    assert doku_direct.verify(
        client_id=case["client_id"],
        request_id=case["request_id"],
        timestamp=case["timestamp"],
        request_target=case["request_target"],
        body="{}",
        secret_key=SECRET,
        signature=signature,
    )
    response = next(c for c in CASES if c["kind"] == "response")
    assert (
        doku_direct.sign_response(
            client_id=response["client_id"],
            request_id=response["request_id"],
            response_timestamp=response["timestamp"],
            request_target=response["request_target"],
            body=response["body"],
            secret_key=SECRET,
        )
        == response["signature"]
    )


def test_get_and_empty_post_differ() -> None:
    args = ("C", "r", "2026-01-01T00:00:00Z", "/orders/v1/status/INV-1")
    get = doku_direct.sign(*args, None, SECRET)
    empty = doku_direct.sign(*args, b"", SECRET)
    assert get != empty
    assert get == reference_signature(SECRET, "Client-Id:C\nRequest-Id:r\nRequest-Timestamp:2026-01-01T00:00:00Z\nRequest-Target:/orders/v1/status/INV-1")
    digest = base64.b64encode(hashlib.sha256(b"").digest()).decode()
    assert empty == reference_signature(
        SECRET,
        "Client-Id:C\nRequest-Id:r\nRequest-Timestamp:2026-01-01T00:00:00Z\n"
        f"Request-Target:/orders/v1/status/INV-1\nDigest:{digest}",
    )


def test_large_bodies_sign_like_the_reference_and_the_limit_is_enforced() -> None:
    # 512 KiB is hashed with the GIL released; the result must not change.
    body = json.dumps({"data": "x" * (512 * 1024)}).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    component = (
        "Client-Id:C\nRequest-Id:r\nRequest-Timestamp:2026-01-01T00:00:00Z\n"
        f"Request-Target:/checkout/v1/payment\nDigest:{digest}"
    )
    args = ("C", "r", "2026-01-01T00:00:00Z", "/checkout/v1/payment")
    signature = doku_direct.sign(*args, body, SECRET)
    assert signature == reference_signature(SECRET, component)
    assert doku_direct.verify(*args, body, SECRET, signature)
    too_big = b" " * (doku_direct.MAX_BODY_BYTES + 1)
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.sign(*args, too_big, SECRET)
    assert e.value.field == "body"
