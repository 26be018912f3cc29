"""``AsyncClient`` against the sandbox and a server that never answers, from one event loop.

No test measures time: the loop's freedom is shown by a heartbeat task that ticks while a
call is pending (an observable event, waited for with a bound), and cancellation by the
call's thread ending only when its connection is closed. The concurrency figures (100
creates, largest heartbeat gap) are measured by ``make bench-python``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
import threading
from typing import List

import pytest

import doku_direct
from doku_direct.testing import Sandbox
from support import alfa_body, invoice


class NeverAnswers:
    """Accepts connections and reads nothing until ``close()`` drops them all."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.accepted = threading.Event()
        self._conns: List[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self._listener.close()
        for c in self._conns:
            c.close()


def test_many_concurrent_creates_from_one_loop(sb: Sandbox) -> None:
    async def main() -> List[doku_direct.Response[doku_direct.PaymentCodeAnswer]]:
        async with doku_direct.AsyncClient(
            sb.client_id, sb.secret_key, base_url=sb.base_url, retries=0
        ) as client:
            done: List[doku_direct.Response[doku_direct.PaymentCodeAnswer]] = await asyncio.gather(
                *(client.alfa_payment_code(alfa_body(invoice("AS"))) for _ in range(100))
            )
            return done

    responses = asyncio.run(main())
    codes = {r.body["online_to_offline_info"]["payment_code"] for r in responses}
    assert len(codes) == 100 and all(r.signature_verified for r in responses)


def test_the_loop_keeps_running_while_a_call_waits_and_cancel_is_observable() -> None:
    server = NeverAnswers()

    async def main() -> None:
        client = doku_direct.AsyncClient("C", "S", base_url=server.url, timeout=600, retries=3)
        call = asyncio.ensure_future(client.check_status("INV-1", request_id="rid-async-cancel"))
        ticks = 0
        while ticks < 5:  # the heartbeat: the loop is free while the call waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not call.done()
        assert client.in_flight == 1
        await asyncio.get_running_loop().run_in_executor(None, server.accepted.wait, 30)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        # The attempt on the wire still runs: it is counted until its thread ends, which
        # closing the connection brings about.
        assert client.in_flight == 1
        server.close()
        await asyncio.wait_for(client.aclose(), 30)
        assert client.in_flight == 0

    asyncio.run(main())


def test_errors_arrive_as_the_same_exceptions(sb: Sandbox) -> None:
    async def main() -> None:
        client = doku_direct.AsyncClient(sb.client_id, "SK-wrong", base_url=sb.base_url, retries=0)
        with pytest.raises(doku_direct.ValidationError) as v:
            await client.alfa_payment_code({"order": {}})
        assert v.value.field == "order.invoice_number"
        with pytest.raises(doku_direct.ApiError) as a:
            await client.check_status("INV-NOPE")
        assert a.value.status == 401
        assert client.in_flight == 0

    asyncio.run(main())


def test_logging_reports_attempts_and_answers_without_secrets(
    sb: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="doku_direct")
    client = doku_direct.Client(sb.client_id, sb.secret_key, base_url=sb.base_url, retries=0)
    r = client.alfa_payment_code(alfa_body(invoice("LOG")), request_id="rid-logging-1")
    events = [getattr(rec, "doku_event", None) for rec in caplog.records if rec.name == "doku_direct"]
    assert events == ["attempt", "answer"]
    for rec in caplog.records:
        text = rec.getMessage()
        assert "rid-logging-1" in text
        assert sb.secret_key not in text and "HMACSHA256" not in text
        assert "payment_code" not in text, "bodies are never logged"
    assert r.status == 200


def test_logging_is_silent_unless_configured() -> None:
    # A program that configures no logging: the retry's WARNING must not reach stderr
    # (Python's last-resort handler would print it if the package had no handler).
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import doku_direct\n"
            "c = doku_direct.Client('C', 'S', base_url='http://127.0.0.1:1', retries=1,"
            " retry_backoff_ms=1)\n"
            "try:\n    c.check_status('INV-1')\n"
            "except doku_direct.TransportError:\n    print('transport error')\n",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.stdout.strip() == "transport error", child
    assert child.stderr == "", child.stderr


def test_loops_without_add_reader_get_outcomes_through_the_callback(sb: Sandbox) -> None:
    # Windows' Proactor loop has no add_reader: the client falls back to a callback run on
    # the call's thread. Force that path on this loop and check the same outcomes arrive.
    from doku_direct import _async

    async def main() -> None:
        _async._by_loop[asyncio.get_running_loop()] = None
        client = doku_direct.AsyncClient(sb.client_id, sb.secret_key, base_url=sb.base_url, retries=0)
        created = await client.alfa_payment_code(alfa_body(invoice("CB")))
        assert created.signature_verified
        with pytest.raises(doku_direct.ApiError):
            await doku_direct.AsyncClient(
                sb.client_id, "SK-wrong", base_url=sb.base_url, retries=0
            ).check_status("INV-NOPE")
        await client.aclose()

    asyncio.run(main())
