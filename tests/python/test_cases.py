"""The shared table of cases (tests/data/cases.json), run through the Python package.

The Rust, C and PHP suites run the same table: the same input gives the same outcome,
error kind and field on every surface. ``verify`` answers a mismatch with ``False`` (the
Python API's convention) instead of raising, so there the kind is checked without a field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

import doku_direct

CASES = Path(__file__).resolve().parents[2] / "tests" / "data" / "cases.json"
TABLE: Dict[str, Any] = json.loads(CASES.read_text(encoding="utf-8"))
ALL: List[Dict[str, Any]] = TABLE["cases"]


def body_of(inp: Dict[str, Any]) -> Optional[bytes]:
    if "body_hex" in inp:
        return bytes.fromhex(inp["body_hex"])
    if "body_repeat" in inp:
        rep = inp["body_repeat"]
        return (str(rep["unit"]) * int(rep["count"])).encode()
    body = inp.get("body")
    return None if body is None else str(body).encode()


def run(op: str, inp: Dict[str, Any]) -> Dict[str, Any]:
    """Runs one case; returns the values the expectation may name, or raises."""
    if op in ("sign", "verify"):
        args = (inp["client_id"], inp["request_id"], inp["timestamp"], inp["request_target"])
        if op == "sign":
            return {"signature": doku_direct.sign(*args, body_of(inp), inp["secret_key"])}
        ok = doku_direct.verify(*args, body_of(inp), inp["secret_key"], inp["signature"])
        if not ok:
            raise doku_direct.SignatureError("verify returned False")
        return {}
    if op == "validate":
        body = body_of(inp)
        assert body is not None
        doku_direct.validate(inp["operation"], body)
        return {}
    if op == "verify_notification":
        headers: List[Tuple[str, str]] = [(p[0], p[1]) for p in inp["headers"]]
        body = body_of(inp)
        assert body is not None
        n = doku_direct.verify_notification(
            headers, body, inp["path"], inp["client_id"], inp["secret_key"],
            tolerance_secs=inp.get("tolerance_secs"),
        )
        return {"invoice_number": n["invoice_number"], "amount": n["amount"]}
    if op == "config":
        config = dict(inp["config"])
        doku_direct.Client(config.pop("client_id"), config.pop("secret_key"), **config)
        return {}
    if op == "inquiry_reply":
        answer = inp["answer"]
        doku_direct.inquiry_reply(
            inp["inquiry"],
            invoice_number=answer["invoice_number"],
            amount=answer["amount"],
            status=answer["status"],
            secret_key=inp["secret_key"],
            inquiry_path=inp["inquiry_path"],
        )
        return {}
    raise AssertionError(f"unknown op {op!r}")


def test_the_table_is_there() -> None:
    assert len(ALL) >= 30
    for case in ALL:
        if "python" in case.get("skip", []):
            assert case.get("why"), f"{case['name']}: a skip says why"


@pytest.mark.parametrize("case", ALL, ids=[c["name"] for c in ALL])
def test_case(case: Dict[str, Any]) -> None:
    if "python" in case.get("skip", []):
        pytest.skip(case["why"])
    expect = case["expect"]
    if expect.get("ok"):
        got = run(case["op"], case["input"])
        for key, want in expect.items():
            if key != "ok":
                assert got[key] == want, key
        return
    with pytest.raises(doku_direct.DokuError) as e:
        run(case["op"], case["input"])
    assert e.value.kind == expect["kind"], str(e.value)
    inp = case["input"]
    secret = inp.get("secret_key") or inp.get("config", {}).get("secret_key") or ""
    if len(secret) >= 4:
        for text in (str(e.value), repr(e.value), e.value.message, repr(e.value.args)):
            assert secret not in text, "an error shows the secret key"
    if case["op"] == "verify" and expect["kind"] == "signature_mismatch":
        return  # verify() answers False: no field to compare
    assert e.value.field == expect["field"], str(e.value)
