"""How a typed merchant codebase uses doku_direct: checked with ``mypy --strict`` against
the package's annotations and ``_native.pyi`` (make python-test), never executed by pytest.
Each ``assert_type`` pins the type a caller sees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Tuple

from typing_extensions import assert_type

import doku_direct
from doku_direct import errors
from doku_direct.testing import NotificationAttempt, Sandbox, sandbox


def sign_and_verify(secret: str) -> bool:
    signature = doku_direct.sign(
        client_id="MCH-1",
        request_id="r-1",
        timestamp="2026-01-01T00:00:00Z",
        request_target="/checkout/v1/payment",
        body=b"{}",
        secret_key=secret,
    )
    assert_type(signature, str)
    get = doku_direct.sign("MCH-1", "r-2", "2026-01-01T00:00:00Z", "/orders/v1/status/INV-1", None, secret)
    response = doku_direct.sign_response("MCH-1", "r-1", "2026-01-01T00:00:01Z", "/x", "{}", secret.encode())
    ok = doku_direct.verify("MCH-1", "r-1", "2026-01-01T00:00:00Z", "/checkout/v1/payment", "{}", secret, signature)
    ok_response = doku_direct.verify_response(
        "MCH-1", "r-1", "2026-01-01T00:00:01Z", "/x", bytearray(b"{}"), secret, response
    )
    assert_type(ok, bool)
    return ok and ok_response and get.startswith("HMACSHA256=")


def create_payment_code(client: doku_direct.Client, invoice: str) -> str:
    body: Dict[str, Any] = {
        "order": {"invoice_number": invoice, "amount": 150000},
        "online_to_offline_info": {"reusable_status": False},
        "customer": {"name": "Taufik Ismail"},
    }
    try:
        r = client.alfa_payment_code(body, request_id=f"rid-{invoice}")
    except errors.ValidationError as e:
        field: Optional[str] = e.field
        raise ValueError(f"fix {field}") from e
    except doku_direct.TimeoutError as e:
        # Outcome unknown: reconcile.
        status = client.check_status(invoice, request_id=e.request_id)
        return str(status.body["transaction"]["status"])
    except doku_direct.ApiError as e:
        code: Optional[int] = e.status
        raw: Optional[str] = e.body
        raise RuntimeError(f"{code}: {raw}") from e
    assert_type(r, doku_direct.Response[doku_direct.PaymentCodeAnswer])
    assert_type(r.status, int)
    assert_type(r.replay, bool)
    assert_type(r.signature_verified, bool)
    assert_type(r.response_timestamp, Optional[str])
    code_value: str = r.body["online_to_offline_info"]["payment_code"]
    return code_value


def other_calls(client: doku_direct.Client) -> List[doku_direct.Response[Any]]:
    indodana = client.indodana_generate_order(
        {"order": {"line_items": [{"price": Decimal("50000.00")}]}}, timestamp="2026-01-01T00:00:00Z"
    )
    indomaret = client.indomaret_payment_code(b'{"order": {}}')
    generic = client.request("POST", "/checkout/v1/payment", {"order": {}})
    get = client.request("GET", "/orders/v1/status/INV-1")
    by_name = client.call("alfa_payment_code", "{}")
    return [indodana, indomaret, generic, get, by_name]


def notification_handler(headers: Mapping[str, str], raw_body: bytes) -> Tuple[int, str]:
    try:
        n = doku_direct.verify_notification(
            headers, raw_body, "/payments/notifications", "MCH-1", "secret", tolerance_secs=None
        )
    except doku_direct.SignatureError:
        return 401, "bad signature"
    assert_type(n, doku_direct.Notification)
    status: str = n["status"]
    invoice: str = n["invoice_number"]
    request_id: str = n["request_id"]
    payment_code: Optional[str] = n["payment_code"]
    body: Dict[str, Any] = n["body"]
    pairs: List[Tuple[str, str]] = list(headers.items())
    doku_direct.verify_notification(pairs, raw_body.decode(), "/n", "MCH-1", b"secret")
    return 200, f"{status} {invoice} {request_id} {payment_code} {len(body)}"


def inquiry_handler(headers: Mapping[str, str], raw_body: bytes) -> doku_direct.InquiryReply:
    inquiry = doku_direct.verify_inquiry(headers, raw_body, "/payments/inquiry", "MCH-1", "secret")
    assert_type(inquiry["payment_code"], str)
    reply = doku_direct.inquiry_reply(
        inquiry,
        invoice_number="INV-1",
        amount=150000,
        status="success",
        secret_key="secret",
        inquiry_path="/payments/inquiry",
    )
    assert_type(reply["headers"], Dict[str, str])
    assert_type(reply["body"], str)
    return reply


def error_fields(e: doku_direct.DokuError) -> Dict[str, Any]:
    kind: str = e.kind
    message: str = e.message
    http_status: Optional[int] = e.http_status
    request_id: Optional[str] = e.request_id
    return {"kind": kind, "message": message, "http_status": http_status, "request_id": request_id, **e.to_dict()}


def with_sandbox() -> List[NotificationAttempt]:
    with sandbox(notification_url="http://127.0.0.1:8000/payments/notifications", time_scale=60.0) as sb:
        assert_type(sb, Sandbox)
        client = sb.client(timeout_ms=5000)
        assert_type(client, doku_direct.Client)
        paid: Dict[str, Any] = sb.pay(invoice_number="INV-1", status="FAILED")
        sb.pay(payment_code="8888800000000001")
        url: str = sb.base_url
        attempts = sb.wait_for_notifications(1, timeout=5.0)
        assert_type(attempts, List[NotificationAttempt])
        delivered: bool = attempts[0]["delivered"]
        return sb.notifications() if delivered and url and paid else attempts


def build_client() -> doku_direct.Client:
    return doku_direct.Client(
        "MCH-1",
        "secret",
        environment="production",
        connect_timeout_ms=2000,
        timeout_ms=10000,
        retries=2,
        retry_backoff_ms=250,
        response_signature="require",
        paths={"alfa_payment_code": "/alfa-virtual-account/v2/payment-code"},
    )


def typed_bodies_and_answers(client: doku_direct.Client) -> str:
    # A request body written as the TypedDict: mypy checks its keys and value types.
    body: doku_direct.AlfaPaymentCodeRequest = {
        "order": {"invoice_number": "INV-1", "amount": 150000},
        "online_to_offline_info": {"reusable_status": False, "expired_time": 60},
        "customer": {"name": "Taufik"},
        "alfa_info": {"receipt": {"footer_message": "Thank you"}},
    }
    created = client.alfa_payment_code(body)
    assert_type(created, doku_direct.Response[doku_direct.PaymentCodeAnswer])
    code = created.body["online_to_offline_info"]["payment_code"]
    assert_type(code, str)
    status = client.check_status("INV-1").body["transaction"]["status"]
    assert_type(status, str)
    order = client.indodana_generate_order(b"{}").body["payment"]["url"]
    assert_type(order, str)
    assert_type(client.call("alfa_payment_code", body).body, Any)
    return code


async def typed_async(client: doku_direct.AsyncClient) -> Optional[int]:
    created = await client.indomaret_payment_code(
        {
            "order": {"invoice_number": "INV-2", "amount": "150000"},
            "online_to_offline_info": {"reusable_status": "false"},
            "customer": {"name": "Dewi"},
            "indomaret_info": {"receipt": {"description": "Order INV-2"}},
        }
    )
    assert_type(created.body["online_to_offline_info"]["how_to_pay_page"], str)
    assert_type(created.key_index, Optional[int])
    return client.clock_skew()
