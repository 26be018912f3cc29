"""The "outcome unknown" drill through the Python client, against the in-process sandbox.

An invoice number ending in ``-SBX-STALL`` (or the amount 9900504) makes the sandbox create
the payment code and then hold its answer until the client gives up. The merchant's code is
unchanged: it sees a ``TimeoutError`` (the outcome is unknown), finds the code with check
status, and retries with the same ``request_id`` to get DOKU's 409 replay of the original
answer. Nothing here waits on a clock: the client's own timeout ends the call, and the
sandbox lets the held answer go when the client hangs up (or when the retry arrives).
"""

from __future__ import annotations

import uuid

import pytest

import doku_direct
from doku_direct.testing import Sandbox
from support import alfa_body, invoice


def test_timeout_then_check_status_then_the_same_request_id_gets_the_replay(sb: Sandbox) -> None:
    client = sb.client(timeout=2, retries=0)
    inv = invoice("DRILL") + "-SBX-STALL"
    body = alfa_body(inv)
    rid = str(uuid.uuid4())
    with pytest.raises(doku_direct.TimeoutError) as caught:
        client.alfa_payment_code(body, request_id=rid)
    err = caught.value
    assert isinstance(err, TimeoutError), "also the builtin TimeoutError"
    assert err.kind == "timeout"
    assert err.request_id == rid
    assert "outcome is unknown" in err.message
    # The payment code exists although the answer never came.
    status = client.check_status(inv)
    assert status.body["transaction"]["status"] == "PENDING"
    code = status.body["online_to_offline_info"]["payment_code"]
    # The same call with the same Request-Id: the original answer, flagged as a replay.
    replay = client.alfa_payment_code(body, request_id=rid)
    assert (replay.status, replay.replay, replay.signature_verified) == (409, True, True)
    assert replay.request_id == rid
    assert replay.body["online_to_offline_info"]["payment_code"] == code
    assert sb.transaction_count() == 1


def test_a_client_that_retries_by_itself_ends_with_the_replay(sb: Sandbox) -> None:
    client = sb.client(timeout=2, retries=1, retry_backoff_ms=1)
    body = alfa_body(invoice("DRILL2"))
    body["order"]["amount"] = 9900504
    r = client.alfa_payment_code(body)
    assert (r.status, r.replay) == (409, True)
    assert sb.transaction_count() == 1


def test_a_new_request_id_after_the_timeout_is_refused_as_a_duplicate_invoice(sb: Sandbox) -> None:
    """The wrong recovery: retrying with a fresh Request-Id does not create a second code;
    the sandbox names the invoice number as already used."""
    client = sb.client(timeout=2, retries=0)
    inv = invoice("DRILL3") + "-sbx-stall"
    body = alfa_body(inv)
    with pytest.raises(doku_direct.TimeoutError):
        client.alfa_payment_code(body)
    with pytest.raises(doku_direct.ApiError) as caught:
        client.alfa_payment_code(body)
    assert caught.value.status == 400
    assert caught.value.field == "order.invoice_number"
    assert sb.transaction_count() == 1
