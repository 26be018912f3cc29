"""A local DOKU sandbox for your own test suite, running in-process.

:func:`sandbox` starts the same emulator as ``doku sandbox`` on a free loopback port,
inside your Python process (no subprocess, no network beyond 127.0.0.1), and stops it on
exit. It serves the Alfa, Indomaret and Indodana create calls and check status with
signed responses, DOKU's error bodies, idempotent replays (409), and simulated payments
that send your notification URL a signed notification.

>>> from doku_direct.testing import sandbox
>>> with sandbox() as sb:
...     client = sb.client()
...     created = client.alfa_payment_code({
...         "order": {"invoice_number": "INV-1", "amount": 150000},
...         "online_to_offline_info": {"reusable_status": False},
...         "customer": {"name": "Taufik Ismail"},
...     })
...     paid = sb.pay(invoice_number="INV-1")
...     client.check_status("INV-1").body["transaction"]["status"]
'SUCCESS'

Pytest fixture recipe (put it in your ``conftest.py``)::

    import pytest
    from doku_direct.testing import sandbox

    @pytest.fixture
    def doku_sandbox():
        # notification_url: where your app under test listens for DOKU's notifications
        with sandbox(notification_url="http://127.0.0.1:8000/payments/notifications") as sb:
            yield sb

    def test_checkout(doku_sandbox):
        client = doku_sandbox.client()   # a doku_direct.Client for the sandbox merchant
        ...
        doku_sandbox.pay(invoice_number="INV-1")
        attempts = doku_sandbox.wait_for_notifications(1)
        assert attempts[0]["delivered"]

Use ``scope="session"`` to share one sandbox between tests (invoice numbers must then be
unique across them).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, TypedDict

from . import Client, _native
from .errors import InvalidInputError

__all__ = [
    "sandbox",
    "Sandbox",
    "NotificationAttempt",
    "SignedNotification",
    "signed_notification",
    "CLIENT_ID",
    "SECRET_KEY",
]

#: Client-Id of the sandbox's default merchant.
CLIENT_ID: str = _native.SANDBOX_CLIENT_ID
#: Secret key of the sandbox's default merchant (public: it only opens the local sandbox).
SECRET_KEY: str = _native.SANDBOX_SECRET_KEY


class NotificationAttempt(TypedDict):
    """One notification delivery attempt made by the sandbox."""

    client_id: str
    invoice_number: str
    #: ``transaction.status`` in the notification (SUCCESS or FAILED).
    transaction_status: str
    #: Where it was sent (empty when the merchant has no notification URL).
    url: str
    #: The notification's Request-Id: the same on every retry.
    request_id: str
    #: 1 for the first attempt, 2 to 4 for retries.
    attempt: int
    #: Your endpoint's HTTP status, when it answered.
    status: Optional[int]
    #: Why the attempt failed without an HTTP answer.
    error: Optional[str]
    time: str
    #: True when your endpoint answered 2xx.
    delivered: bool
    #: True when another attempt is scheduled.
    will_retry: bool
    #: From sending to your endpoint's answer (or the failure), in milliseconds.
    latency_ms: Optional[int]
    #: The first bytes of your endpoint's answer, as text (control characters replaced).
    answer: Optional[str]


class Sandbox:
    """A running in-process sandbox; see :func:`sandbox`."""

    __slots__ = ("_native", "client_id", "_secret_key", "notification_url", "_admin")

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        secret_key: str = SECRET_KEY,
        notification_url: Optional[str] = None,
        time_scale: float = 1.0,
    ) -> None:
        self._native = _native.Sandbox(
            client_id, secret_key, notification_url, None, time_scale
        )
        #: The merchant's Client-Id.
        self.client_id = client_id
        self._secret_key = secret_key
        #: Where notifications are sent (None: recorded, not sent).
        self.notification_url = notification_url
        self._admin: Optional[Client] = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: give it to ``Client(base_url=...)``."""
        return self._native.base_url

    @property
    def secret_key(self) -> str:
        """The merchant's secret key (a test key for this sandbox only)."""
        return self._secret_key

    def client(self, **options: Any) -> Client:
        """A :class:`doku_direct.Client` for this sandbox's merchant. Options are
        ``Client``'s keyword arguments; by default the response signature is required
        (the sandbox signs every answer)."""
        options.setdefault("response_signature", "require")
        return Client(self.client_id, self._secret_key, base_url=self.base_url, **options)

    def pay(
        self,
        invoice_number: Optional[str] = None,
        *,
        payment_code: Optional[str] = None,
        status: str = "SUCCESS",
    ) -> Dict[str, Any]:
        """Simulates a payment (``POST /_sandbox/pay``) of an invoice number or a payment
        code, with ``status`` SUCCESS or FAILED. The sandbox then sends the signed
        notification to ``notification_url`` in the background (see
        :meth:`wait_for_notifications`). Returns the sandbox's answer; a refusal (unknown
        invoice, already paid, expired) raises :class:`doku_direct.ApiError`."""
        body: Dict[str, Any] = {"status": status, "client_id": self.client_id}
        if invoice_number is not None:
            body["invoice_number"] = invoice_number
        if payment_code is not None:
            body["payment_code"] = payment_code
        if self._admin is None:
            self._admin = self.client(retries=0, response_signature="off")
        answer = self._admin.request("POST", "/_sandbox/pay", body).body
        return answer if isinstance(answer, dict) else {}

    def notifications(self) -> List[NotificationAttempt]:
        """Every notification delivery attempt so far, oldest first."""
        return self._native.notifications()  # type: ignore[return-value]

    def wait_for_notifications(self, count: int = 1, timeout: float = 10.0) -> List[NotificationAttempt]:
        """Waits (at most ``timeout`` seconds, the GIL released) until at least ``count``
        delivery attempts were made; returns the attempts so far."""
        return self._native.wait_for_notifications(count, timeout)  # type: ignore[return-value]

    def transaction_count(self) -> int:
        """How many transactions the sandbox holds."""
        return self._native.transaction_count()

    def close(self) -> None:
        """Stops the sandbox (idempotent): the port and every connection are closed."""
        self._native.shutdown()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"doku_direct.testing.Sandbox(base_url={self.base_url!r}, client_id={self.client_id!r})"


@contextmanager
def sandbox(
    *,
    client_id: str = CLIENT_ID,
    secret_key: str = SECRET_KEY,
    notification_url: Optional[str] = None,
    time_scale: float = 1.0,
) -> Iterator[Sandbox]:
    """Runs a sandbox on a free loopback port for the duration of the ``with`` block.

    ``notification_url`` is the merchant's Notification URL for every channel (the
    notifications are signed with its path as Request-Target). ``time_scale`` divides every
    duration: 3600 makes DOKU's 30-minute notification retry happen after half a second.
    """
    sb = Sandbox(
        client_id=client_id,
        secret_key=secret_key,
        notification_url=notification_url,
        time_scale=time_scale,
    )
    try:
        yield sb
    finally:
        sb.close()


class SignedNotification(TypedDict):
    """A notification exactly as DOKU would send it: post ``body`` with ``headers``."""

    headers: Dict[str, str]
    body: bytes


def signed_notification(
    channel: str,
    *,
    client_id: str,
    secret_key: str,
    path: str = "/payments/notifications",
    status: str = "SUCCESS",
    invoice_number: Optional[str] = None,
    amount: Optional[int] = None,
) -> SignedNotification:
    """A payment notification of ``channel`` (``"alfa"``, ``"indomaret"``,
    ``"indodana"``) signed as DOKU signs it, for your handler's tests::

        n = signed_notification("alfa", client_id=CID, secret_key=SK, invoice_number="INV-1")
        response = test_client.post("/payments/notifications", content=n["body"],
                                    headers=n["headers"])

    ``path`` is your Notification URL's path (what the signature covers). ``status`` is
    ``SUCCESS`` or ``FAILED``; the invoice number defaults to a fresh ``INV-TEST-...`` and
    the amount to 10000. Bad values raise :class:`doku_direct.InvalidInputError`.
    """
    request: Dict[str, Any] = {
        "channel": channel,
        "client_id": client_id,
        "path": path,
        "status": status,
        "invoice_number": invoice_number,
        "amount": amount,
    }
    try:
        request_json = json.dumps({k: v for k, v in request.items() if v is not None})
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"cannot encode the notification request: {e}", field="request") from None
    signed = _native.test_notification(request_json, secret_key)
    return {"headers": dict(signed["headers"]), "body": signed["body"].encode()}
