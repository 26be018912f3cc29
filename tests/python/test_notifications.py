"""Notifications end to end: the sandbox sends signed notifications to a real stdlib HTTP
server in this test, which verifies them with verify_notification over the raw body.
Also Direct Inquiry (DIPC) verification and the signed reply."""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, List, Tuple

import pytest

import doku_direct
from doku_direct.testing import sandbox
from support import (
    NOTIFICATION_PATH,
    Receiver,
    alfa_body,
    indodana_body,
    indomaret_body,
    invoice,
)

CLIENT_ID = "MCH-PY-WEBHOOK-0001"
SECRET = "SK-py-webhook-not-a-real-key"


def header(headers: List[Tuple[str, str]], name: str) -> str:
    return next(v for k, v in headers if k.lower() == name.lower())


def verified(received: List[Any]) -> List[doku_direct.Notification]:
    return [r.notification for r in received if r.notification is not None]


def test_sandbox_notifications_verify_at_a_real_endpoint(
    make_receiver: Callable[..., Receiver],
) -> None:
    receiver = make_receiver(CLIENT_ID, SECRET)
    with sandbox(client_id=CLIENT_ID, secret_key=SECRET, notification_url=receiver.url) as sb:
        client = sb.client()
        invoices = {"ALFA": invoice("ALFA"), "INDOMARET": invoice("IDM"), "INDODANA": invoice("IDN")}
        alfa = client.alfa_payment_code(alfa_body(invoices["ALFA"]))
        client.indomaret_payment_code(indomaret_body(invoices["INDOMARET"]))
        client.indodana_generate_order(indodana_body(invoices["INDODANA"]))
        sb.pay(payment_code=alfa.body["online_to_offline_info"]["payment_code"])
        sb.pay(invoice_number=invoices["INDOMARET"])
        sb.pay(invoice_number=invoices["INDODANA"], status="FAILED")
        got = receiver.wait_for(lambda r: len(r) >= 3)
        assert [r.error for r in got] == [None, None, None]
        by_invoice = {n["invoice_number"]: n for n in verified(got)}
        assert set(by_invoice) == set(invoices.values())
        for acquirer, inv in invoices.items():
            n = by_invoice[inv]
            assert n["acquirer_id"] == acquirer
            assert n["client_id"] == CLIENT_ID
            assert n["body"]["order"]["invoice_number"] == inv
        assert by_invoice[invoices["ALFA"]]["status"] == "SUCCESS"
        assert by_invoice[invoices["ALFA"]]["payment_code"] == alfa.body["online_to_offline_info"]["payment_code"]
        assert by_invoice[invoices["ALFA"]]["original_request_id"] == alfa.request_id
        assert by_invoice[invoices["ALFA"]]["channel_id"] == "ONLINE_TO_OFFLINE_ALFA"
        assert by_invoice[invoices["INDODANA"]]["status"] == "FAILED"
        assert by_invoice[invoices["INDODANA"]]["service_id"] == "PEER_TO_PEER"
        assert all(r.path == NOTIFICATION_PATH for r in got)
        attempts = sb.wait_for_notifications(3)
        assert all(a["delivered"] and a["status"] == 200 for a in attempts)
        assert {a["request_id"] for a in attempts} == {n["request_id"] for n in verified(got)}
        assert client.check_status(invoices["INDOMARET"]).body["transaction"]["status"] == "SUCCESS"


def test_retries_keep_the_request_id_and_are_signed_afresh(
    make_receiver: Callable[..., Receiver],
) -> None:
    receiver = make_receiver(CLIENT_ID, SECRET, answers=(500,))
    # time_scale 36000: DOKU's 30-minute retry comes after 50 ms.
    with sandbox(
        client_id=CLIENT_ID, secret_key=SECRET, notification_url=receiver.url, time_scale=36000
    ) as sb:
        inv = invoice()
        sb.client().alfa_payment_code(alfa_body(inv))
        sb.pay(invoice_number=inv)
        got = receiver.wait_for(lambda r: len(r) >= 2)
        assert [r.answered for r in got[:2]] == [500, 200]
        first, second = verified(got)[:2]
        assert first["request_id"] == second["request_id"]
        sigs = [header(r.headers, "Signature") for r in got[:2]]
        assert len(set(sigs)) in (1, 2)  # the same second can give the same signature
        attempts = sb.wait_for_notifications(2)
        assert [a["attempt"] for a in attempts[:2]] == [1, 2]


def test_the_raw_body_is_what_verifies(make_receiver: Callable[..., Receiver]) -> None:
    receiver = make_receiver(CLIENT_ID, SECRET)
    with sandbox(client_id=CLIENT_ID, secret_key=SECRET, notification_url=receiver.url) as sb:
        inv = invoice()
        sb.client().alfa_payment_code(alfa_body(inv))
        sb.pay(invoice_number=inv)
        got = receiver.wait_for(lambda r: len(r) >= 1)[0]
    assert got.notification is not None
    headers, raw = got.headers, got.body

    def check(h: Any, body: Any, path: str = NOTIFICATION_PATH, **kw: Any) -> doku_direct.Notification:
        return doku_direct.verify_notification(h, body, path, CLIENT_ID, SECRET, **kw)

    # The same bytes verify again, from pairs, a dict, lowercase names, and as str.
    assert check(headers, raw)["invoice_number"] == inv
    assert check(dict(headers), raw)["request_id"] == got.notification["request_id"]
    assert check({k.lower(): v for k, v in headers}, raw.decode())["status"] == "SUCCESS"
    assert check(headers, bytearray(raw), tolerance_secs=3600)["invoice_number"] == inv
    # A re-encoded dict is the same JSON value but other bytes: it does not verify.
    reencoded = json.dumps(json.loads(raw)).encode()
    assert reencoded != raw
    for body in (reencoded, raw + b"\n", raw.replace(b"SUCCESS", b"FAILED")):
        with pytest.raises(doku_direct.SignatureError):
            check(headers, body)
    with pytest.raises(doku_direct.SignatureError):
        check(headers, raw, path="/other/path")
    with pytest.raises(doku_direct.SignatureError) as e:
        doku_direct.verify_notification(headers, raw, NOTIFICATION_PATH, "MCH-OTHER", SECRET)
    assert e.value.field == "headers.Client-Id"
    doubled: List[Tuple[str, str]] = list(headers) + [("Signature", header(headers, "Signature"))]
    with pytest.raises(doku_direct.InvalidInputError) as bad:
        check(doubled, raw)
    assert bad.value.field == "headers.Signature"
    missing = [(k, v) for k, v in headers if k.lower() != "signature"]
    with pytest.raises(doku_direct.InvalidInputError) as bad:
        check(missing, raw)
    assert bad.value.field == "headers.Signature"


def test_the_vector_notification_and_timestamp_tolerance(vectors: Dict[str, Any]) -> None:
    case = next(c for c in vectors["cases"] if c["name"] == "notification-to-merchant")
    headers = {
        "Client-Id": case["client_id"],
        "Request-Id": case["request_id"],
        "Request-Timestamp": case["timestamp"],
        "Signature": case["signature"],
    }
    body = case["body"].encode()
    n = doku_direct.verify_notification(
        headers, body, case["request_target"], case["client_id"], vectors["secret_key"]
    )
    # The shape of the C ABI's notification JSON (Notification::to_json), in its order.
    assert list(n) == [
        "request_id", "client_id", "request_timestamp", "service_id", "acquirer_id",
        "channel_id", "status", "transaction_date", "original_request_id", "invoice_number",
        "amount", "payment_code", "body", "key_index",
    ]
    assert n["request_id"] == case["request_id"]
    assert n["status"] == "SUCCESS" and n["invoice_number"] == "INV-2021002-0001"
    assert n["amount"] == 150000 and n["payment_code"] == "8888888844445555"
    assert n["channel_id"] == "ONLINE_TO_OFFLINE_INDOMARET"
    assert n["transaction_date"] == "2021-06-24T07:30:00Z"
    # Sent in 2021: too old for a 5-minute tolerance (off by default, as DOKU retries late).
    with pytest.raises(doku_direct.SignatureError) as e:
        doku_direct.verify_notification(
            headers, body, case["request_target"], case["client_id"], vectors["secret_key"],
            tolerance_secs=300,
        )
    assert e.value.field == "headers.Request-Timestamp"
    with pytest.raises(doku_direct.InvalidInputError) as bad:
        doku_direct.verify_notification(
            headers, body, case["request_target"], case["client_id"], vectors["secret_key"],
            tolerance_secs=-1,
        )
    assert bad.value.field == "tolerance_secs"


def test_direct_inquiry_and_signed_reply() -> None:
    path = "/payments/inquiry"
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    body = json.dumps(
        {
            "service": {"id": "ONLINE_TO_OFFLINE"},
            "acquirer": {"id": "ALFA"},
            "channel": {"id": "ONLINE_TO_OFFLINE_ALFA"},
            "online_to_offline_info": {"payment_code": "8888800000000001"},
            "online_to_offline_inquiry": {"date": ts, "identifier": []},
        }
    ).encode()
    signature = doku_direct.sign(CLIENT_ID, "inq-1", ts, path, body, SECRET)
    headers = {"Client-Id": CLIENT_ID, "Request-Id": "inq-1", "Request-Timestamp": ts, "Signature": signature}
    inquiry = doku_direct.verify_inquiry(headers, body, path, CLIENT_ID, SECRET, tolerance_secs=60)
    assert inquiry["payment_code"] == "8888800000000001"
    assert inquiry["request_id"] == "inq-1"
    reply = doku_direct.inquiry_reply(
        inquiry,
        invoice_number="INV-INQ-1",
        amount=150000,
        status="success",
        secret_key=SECRET,
        inquiry_path=path,
    )
    h = reply["headers"]
    assert h["Client-Id"] == CLIENT_ID and h["Request-Id"] == "inq-1"
    sent = json.loads(reply["body"])
    assert sent["order"] == {"invoice_number": "INV-INQ-1", "amount": 150000}
    assert sent["online_to_offline_inquiry"]["status"] == "success"
    assert doku_direct.verify_response(
        CLIENT_ID, "inq-1", h["Response-Timestamp"], path, reply["body"], SECRET, h["Signature"]
    )
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.inquiry_reply(
            inquiry, invoice_number="INV", amount=-5, status="success", secret_key=SECRET, inquiry_path=path
        )
    # The core's rule and field, as C's answer_json and PHP report them.
    assert e.value.field == "answer.amount"
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.inquiry_reply(
            {"request_id": "x"},  # type: ignore[typeddict-item]
            invoice_number="INV", amount=1, status="success", secret_key=SECRET, inquiry_path=path,
        )
    assert e.value.field == "inquiry.client_id"
    with pytest.raises(doku_direct.SignatureError):
        doku_direct.verify_inquiry(headers, body, "/payments/notifications", CLIENT_ID, SECRET)


def test_a_large_notification_body_verifies() -> None:
    # Over 16 KiB: verified with the GIL released; the result must not change.
    body = json.dumps(
        {
            "transaction": {"status": "SUCCESS"},
            "order": {"invoice_number": "INV-BIG"},
            "extra": ["x" * 100] * 400,
        }
    ).encode()
    ts = "2026-01-01T00:00:00Z"
    headers = [
        ("Client-Id", CLIENT_ID),
        ("Request-Id", "big-1"),
        ("Request-Timestamp", ts),
        ("Signature", doku_direct.sign(CLIENT_ID, "big-1", ts, NOTIFICATION_PATH, body, SECRET)),
    ]
    n = doku_direct.verify_notification(headers, body, NOTIFICATION_PATH, CLIENT_ID, SECRET)
    assert n["invoice_number"] == "INV-BIG" and len(n["body"]["extra"]) == 400
    with pytest.raises(doku_direct.SignatureError):
        doku_direct.verify_notification(headers, body[:-1] + b" ", NOTIFICATION_PATH, CLIENT_ID, SECRET)
