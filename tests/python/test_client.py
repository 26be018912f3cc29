"""Every Client operation against the in-process sandbox, through real sockets."""

from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal
from types import MappingProxyType
from typing import List

import pytest

import doku_direct
from doku_direct.testing import Sandbox
from support import Stalling, alfa_body, indodana_body, indomaret_body, invoice


def test_alfa_payment_code(sb: Sandbox) -> None:
    inv = invoice("ALFA")
    r = sb.client().alfa_payment_code(alfa_body(inv))
    assert isinstance(r, doku_direct.Response)
    assert r.status == 200 and not r.replay and r.signature_verified
    assert str(uuid.UUID(r.request_id)) == r.request_id  # a generated UUIDv4
    assert r.response_timestamp and r.response_timestamp.endswith("Z")
    assert r.body["order"]["invoice_number"] == inv
    code = r.body["online_to_offline_info"]["payment_code"]
    assert code.isdigit() and code.startswith("88888")


def test_indomaret_payment_code(sb: Sandbox) -> None:
    inv = invoice("IDM")
    r = sb.client().indomaret_payment_code(indomaret_body(inv), request_id="py-idm-" + inv)
    assert r.request_id == "py-idm-" + inv
    assert r.signature_verified
    assert r.body["online_to_offline_info"]["payment_code"].isdigit()


def test_indodana_generate_order_with_exact_decimal_prices(sb: Sandbox) -> None:
    inv = invoice("IDN")
    r = sb.client().indodana_generate_order(indodana_body(inv, price=Decimal("50000.00")))
    assert r.body["order"]["invoice_number"] == inv
    assert r.body["payment"]["status"] == "PENDING"
    assert r.body["payment"]["url"].startswith(sb.base_url)
    # 49999.99 x 2 is not 100000: the exact sum is checked before anything is sent.
    with pytest.raises(doku_direct.ValidationError):
        sb.client().indodana_generate_order(indodana_body(invoice(), price=Decimal("49999.99")))


def test_check_status_by_invoice_and_by_request_id(sb: Sandbox) -> None:
    client = sb.client()
    inv = invoice()
    created = client.alfa_payment_code(alfa_body(inv))
    by_invoice = client.check_status(inv)
    assert by_invoice.signature_verified
    assert by_invoice.body["transaction"]["status"] == "PENDING"
    assert by_invoice.body["order"]["invoice_number"] == inv
    by_id = client.check_status(created.request_id)
    assert by_id.body["order"]["invoice_number"] == inv
    sb.pay(invoice_number=inv)
    assert client.check_status(inv).body["transaction"]["status"] == "SUCCESS"


def test_raw_bytes_are_sent_as_given_and_a_repeat_is_a_replay(sb: Sandbox) -> None:
    client = sb.client()
    inv = invoice()
    pretty = json.dumps(alfa_body(inv), indent=4).encode()
    first = client.alfa_payment_code(pretty, request_id="rid-" + inv)
    again = client.alfa_payment_code(pretty, request_id="rid-" + inv)
    assert (first.status, first.replay) == (200, False)
    assert (again.status, again.replay) == (409, True)
    assert again.body == first.body
    assert again.signature_verified
    # The same Request-Id with other bytes (even the same JSON value) is refused.
    compact = json.dumps(alfa_body(inv), separators=(",", ":"))
    with pytest.raises(doku_direct.ApiError) as e:
        client.alfa_payment_code(compact, request_id="rid-" + inv)
    assert e.value.status == 400
    assert json.loads(e.value.body or "")["error"]["code"] == "request_id_reused"


def test_generic_call_and_request(sb: Sandbox) -> None:
    client = sb.client()
    inv = invoice()
    r = client.call("indomaret_payment_code", indomaret_body(inv))
    assert r.body["order"]["invoice_number"] == inv
    # A signed POST to any path, body not checked against field rules (the sandbox does).
    inv2 = invoice()
    posted = client.request("POST", "/alfa-online-to-offline/v2/payment-code", alfa_body(inv2))
    assert posted.signature_verified and posted.body["order"]["invoice_number"] == inv2
    raw = client.request(
        "POST", "/alfa-virtual-account/v2/payment-code", json.dumps(alfa_body(invoice()))
    )
    assert raw.status == 200
    got = client.request("GET", f"/orders/v1/status/{inv}")
    assert got.signature_verified
    assert got.body["transaction"]["status"] == "PENDING"
    with pytest.raises(doku_direct.InvalidInputError) as e:
        client.call("refund", {})
    assert e.value.field == "operation"
    with pytest.raises(doku_direct.InvalidInputError) as e:
        client.request("GET", "/orders/v1/status/x", {"a": 1})
    assert e.value.field == "body"
    with pytest.raises(doku_direct.InvalidInputError) as e:
        client.request("PUT", "/x", {})
    assert e.value.field == "method"


def test_any_mapping_is_a_json_object(sb: Sandbox) -> None:
    inv = invoice()
    r = sb.client().alfa_payment_code(MappingProxyType(alfa_body(inv)))
    assert r.body["order"]["invoice_number"] == inv


def test_path_override(sb: Sandbox) -> None:
    client = sb.client(paths={"alfa_payment_code": "/alfa-virtual-account/v2/payment-code"})
    assert client.alfa_payment_code(alfa_body(invoice())).status == 200


def test_clients_are_shared_between_threads(sb: Sandbox) -> None:
    client = sb.client()
    results: List[str] = []
    errors: List[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                inv = invoice("T")
                results.append(client.alfa_payment_code(alfa_body(inv)).body["order"]["invoice_number"])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 20
    assert sb.transaction_count() == 20


def test_the_gil_is_released_during_network_io(stalling_server: Stalling) -> None:
    client = doku_direct.Client(
        "C", "S", base_url=stalling_server.url, timeout_ms=1000, retries=0
    )
    outcome: List[BaseException] = []

    def call() -> None:
        try:
            client.check_status("INV-1")
        except BaseException as e:
            outcome.append(e)

    t = threading.Thread(target=call)
    t.start()
    # The server's accept loop and this thread are Python code: had the call kept the GIL,
    # neither could run until it returned, and the thread would be gone by then.
    assert stalling_server.accepted.wait(10)
    for _ in range(200):
        doku_direct.sign("C", "r", "2026-01-01T00:00:00Z", "/x", b"{}", "S")
    still_waiting = t.is_alive()
    t.join()
    assert still_waiting
    assert isinstance(outcome[0], doku_direct.TimeoutError)


def test_timeouts_in_seconds_as_requests_and_httpx_take_them(stalling_server: Stalling) -> None:
    client = doku_direct.Client("C", "S", base_url=stalling_server.url, timeout=0.3, retries=0)
    with pytest.raises(doku_direct.TimeoutError):
        client.check_status("INV-1")
    doku_direct.Client("C", "S", timeout=2, connect_timeout=0.5)
    with pytest.raises(doku_direct.InvalidTypeError) as wrong:
        doku_direct.Client("C", "S", timeout="2")  # type: ignore[arg-type]
    assert wrong.value.field == "timeout" and isinstance(wrong.value, TypeError)
    with pytest.raises(doku_direct.InvalidInputError) as both:
        doku_direct.Client("C", "S", timeout=2, timeout_ms=2000)
    assert both.value.field == "timeout"
    with pytest.raises(doku_direct.InvalidInputError) as endless:
        doku_direct.Client("C", "S", connect_timeout=float("inf"))
    assert endless.value.field == "connect_timeout"
    # The range is the core's rule, the same as for timeout_ms.
    with pytest.raises(doku_direct.ConfigError) as zero:
        doku_direct.Client("C", "S", timeout=0)
    assert zero.value.field == "timeout_ms"


def test_validate_checks_the_field_rules_without_sending(sb: Sandbox) -> None:
    body = alfa_body(invoice())
    doku_direct.validate("alfa_payment_code", body)  # returns None; raises on a broken rule
    doku_direct.validate("alfa_payment_code", json.dumps(body).encode())  # returns None; raises on a broken rule
    body["order"]["amount"] = 0
    with pytest.raises(doku_direct.ValidationError) as e:
        doku_direct.validate("alfa_payment_code", body)
    assert e.value.field == "order.amount"
    with pytest.raises(doku_direct.InvalidInputError) as bad_json:
        doku_direct.validate("alfa_payment_code", b'{"order": {"amount": 1,}}')
    assert bad_json.value.field == "request" and "line 1" in bad_json.value.message
    with pytest.raises(doku_direct.InvalidInputError) as unknown:
        doku_direct.validate("alfa", body)
    assert unknown.value.field == "operation"
    doku_direct.validate("check_status", {"id": "INV-1"})  # returns None; raises on a broken rule
    assert sb.transaction_count() == 0
