"""doku_direct.testing: the in-process sandbox a merchant's own test suite uses."""

from __future__ import annotations

import pytest

import doku_direct
from doku_direct import testing
from doku_direct.testing import Sandbox, sandbox
from support import alfa_body, invoice


def test_defaults_and_repr(sb: Sandbox) -> None:
    assert sb.base_url.startswith("http://127.0.0.1:")
    assert sb.client_id == testing.CLIENT_ID
    assert sb.secret_key == testing.SECRET_KEY
    assert sb.secret_key not in repr(sb)
    assert sb.notifications() == []
    client = sb.client()
    assert client.base_url == sb.base_url and client.client_id == sb.client_id


def test_pay_by_code_and_by_invoice_and_refusals(sb: Sandbox) -> None:
    client = sb.client()
    inv = invoice()
    code = client.alfa_payment_code(alfa_body(inv)).body["online_to_offline_info"]["payment_code"]
    paid = sb.pay(payment_code=code)
    assert paid["invoice_number"] == inv and paid["status"] == "SUCCESS"
    # No notification URL: the attempt is recorded with the reason.
    attempt = sb.wait_for_notifications(1)[0]
    assert attempt["invoice_number"] == inv and not attempt["delivered"]
    assert attempt["error"] and "no notification URL" in attempt["error"]
    with pytest.raises(doku_direct.ApiError) as e:
        sb.pay(invoice_number=inv)
    assert e.value.status == 400 and "transaction_closed" in (e.value.body or "")
    with pytest.raises(doku_direct.ApiError) as e:
        sb.pay(invoice_number="INV-NEVER-CREATED")
    assert e.value.status == 404
    inv2 = invoice()
    client.alfa_payment_code(alfa_body(inv2))
    assert sb.pay(invoice_number=inv2, status="FAILED")["status"] == "FAILED"
    assert client.check_status(inv2).body["transaction"]["status"] == "FAILED"
    assert sb.transaction_count() == 2


def test_custom_merchant_and_shutdown() -> None:
    with sandbox(client_id="MCH-CUSTOM-1", secret_key="SK-custom") as sb:
        url = sb.base_url
        assert sb.client().alfa_payment_code(alfa_body(invoice())).status == 200
        other = doku_direct.Client(testing.CLIENT_ID, testing.SECRET_KEY, base_url=url, retries=0)
        with pytest.raises(doku_direct.ApiError) as e:
            other.check_status("INV-1")
        assert e.value.status == 401
    # After the block the port is closed.
    client = doku_direct.Client("MCH-CUSTOM-1", "SK-custom", base_url=url, retries=0)
    with pytest.raises(doku_direct.TransportError):
        client.check_status("INV-1")
    sb.close()  # idempotent
    with pytest.raises(doku_direct.InvalidInputError):
        sb.notifications()


def test_bad_sandbox_settings_are_config_errors() -> None:
    with pytest.raises(doku_direct.ConfigError) as e:
        Sandbox(client_id="")
    assert e.value.field == "client_id"
    with pytest.raises(doku_direct.ConfigError) as e:
        Sandbox(notification_url="not a url")
    assert e.value.field == "notification_url"
    with pytest.raises(doku_direct.ConfigError) as e:
        Sandbox(time_scale=0)
    assert e.value.field == "time_scale"
