"""DOKU Non-SNAP Direct API for Python: signatures, validated requests, notifications.

One Rust core (the same one behind ``libdoku`` and the ``doku`` command) signs requests
with HMAC-SHA256, checks request bodies against DOKU's field rules before anything is
sent, talks to DOKU with bounded, idempotent retries, and verifies DOKU's notifications.

>>> import doku_direct
>>> doku_direct.sign(client_id="MCH-0001-10791114622547", request_id="r-1",
...                  timestamp="2026-01-01T00:00:00Z", request_target="/checkout/v1/payment",
...                  body=b"{}", secret_key="SK-vectors-0001-not-a-real-key")
'HMACSHA256=0HKXELorsUGxQ137UFmUzvV9pVPl7glsf5SLBit+cgE='

Errors are :class:`doku_direct.errors.DokuError` subclasses (see that module).
"""

from __future__ import annotations

import json
import logging as _logging
import math
from collections.abc import Mapping as _AbcMapping
from dataclasses import dataclass
from typing import Any, Dict, Generic, Mapping, Optional, Sequence, TypeVar, Union

from . import _native
from ._native import (
    inquiry_reply,
    sign,
    sign_response,
    validate,
    verify,
    verify_inquiry,
    verify_notification,
    verify_response,
)
from ._types import (
    AlfaPaymentCodeRequest,
    HeaderItems,
    Headers,
    IndodanaGenerateOrderRequest,
    IndodanaOrderAnswer,
    IndomaretPaymentCodeRequest,
    Inquiry,
    InquiryReply,
    JsonBody,
    Notification,
    PaymentCodeAnswer,
    RawBody,
    StatusAnswer,
)
from .errors import (
    ApiError,
    ConfigError,
    DecodeError,
    DokuError,
    InvalidInputError,
    InvalidTypeError,
    PanicError,
    SignatureError,
    TimeoutError,
    TransportError,
    ValidationError,
)

__all__ = [
    "validate",
    "sign",
    "verify",
    "sign_response",
    "verify_response",
    "Client",
    "Response",
    "AsyncClient",
    "verify_notification",
    "verify_inquiry",
    "inquiry_reply",
    "Notification",
    "Inquiry",
    "InquiryReply",
    "AlfaPaymentCodeRequest",
    "IndomaretPaymentCodeRequest",
    "IndodanaGenerateOrderRequest",
    "PaymentCodeAnswer",
    "IndodanaOrderAnswer",
    "StatusAnswer",
    "Headers",
    "HeaderItems",
    "JsonBody",
    "RawBody",
    "DokuError",
    "InvalidInputError",
    "InvalidTypeError",
    "ValidationError",
    "ConfigError",
    "SignatureError",
    "ApiError",
    "TimeoutError",
    "TransportError",
    "DecodeError",
    "PanicError",
    "MAX_BODY_BYTES",
]

__version__: str = _native.__version__

#: Bodies larger than this (1 MiB) are refused everywhere with an ``InvalidInputError``.
MAX_BODY_BYTES: int = _native.MAX_BODY_BYTES


#: The type of a response's body: a TypedDict per operation (see ``_types``).
Body = TypeVar("Body")


@dataclass(frozen=True)
class Response(Generic[Body]):
    """A successful DOKU answer (2xx, or a 409 replay of the original answer)."""

    #: The HTTP status (200, or 409 for a replay).
    status: int
    #: The Request-Id that was sent (DOKU's idempotency key).
    request_id: str
    #: DOKU's Response-Timestamp header, when sent.
    response_timestamp: Optional[str]
    #: True when DOKU answered 409: the original response to an earlier request with the
    #: same Request-Id and body, not a new transaction.
    replay: bool
    #: True when DOKU's response signature was present and verified.
    signature_verified: bool
    #: The parsed JSON body (a ``dict`` for every DOKU answer); integers are ``int``.
    body: Body
    #: Which key verified the signature: 0 for ``secret_key``, 1 for the first of
    #: ``previous_secret_keys``, ...; None when it was not verified.
    key_index: Optional[int] = None


def _millis(seconds: Optional[float], name: str, millis: Optional[int]) -> Optional[int]:
    """``seconds`` (an int or float) as whole milliseconds, rounded up so that any positive
    time stays positive; the core checks the range. ``millis`` when ``seconds`` is None."""
    if seconds is None:
        return millis
    if millis is not None:
        raise InvalidInputError(
            f"give {name} (seconds) or {name}_ms (milliseconds), not both", field=name
        )
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidTypeError(
            f"{name} must be a number of seconds, not {type(seconds).__name__}", field=name
        )
    if not math.isfinite(seconds):
        raise InvalidInputError(f"{name} must be a finite number of seconds", field=name)
    return math.ceil(seconds * 1000)


class Client:
    """A DOKU client: validated, signed requests with bounded, idempotent retries.

    Thread-safe; share one per merchant account (it holds one connection pool). The
    constructor does no I/O. ``environment`` is ``"sandbox"`` (the default) or
    ``"production"``; ``base_url`` points elsewhere (a local ``doku sandbox``, a proxy).
    ``response_signature`` is ``"require"``, ``"if_present"`` (default) or ``"off"``.
    ``paths`` overrides an operation's path, e.g.
    ``{"alfa_payment_code": "/alfa-virtual-account/v2/payment-code"}``. The GIL is
    released during network I/O. ``repr()`` never shows the secret key.

    ``timeout`` (one attempt), ``connect_timeout`` and ``deadline`` (the whole call: every
    attempt and every wait between them; 60 s by default) are seconds, as ``requests``
    and ``httpx`` take them (``timeout=2.5``); ``timeout_ms``, ``connect_timeout_ms`` and
    ``deadline_ms`` are the same settings in milliseconds, as in the C/JSON configuration.
    Give one of each pair.

    A :class:`TimeoutError` means the outcome is **unknown**: call :meth:`check_status`, or
    retry with the same ``request_id``. A call waits for the network with the GIL
    released. On the main thread (the one Python delivers signals to) it returns to the
    interpreter every 100 ms, so Ctrl-C raises ``KeyboardInterrupt`` at once; no further
    attempt of that call starts (one already sent may still reach DOKU: reconcile with
    :meth:`check_status`).
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        client_id: str,
        secret_key: str,
        *,
        environment: Optional[str] = None,
        base_url: Optional[str] = None,
        connect_timeout_ms: Optional[int] = None,
        timeout_ms: Optional[int] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        deadline_ms: Optional[int] = None,
        retries: Optional[int] = None,
        previous_secret_keys: Optional[Sequence[str]] = None,
        correct_clock_skew: Optional[bool] = None,
        retry_backoff_ms: Optional[int] = None,
        proxy: Optional[str] = None,
        response_signature: Optional[str] = None,
        paths: Optional[Mapping[str, str]] = None,
    ) -> None:
        options: Dict[str, Any] = {
            "environment": environment,
            "base_url": base_url,
            "connect_timeout_ms": _millis(connect_timeout, "connect_timeout", connect_timeout_ms),
            "timeout_ms": _millis(timeout, "timeout", timeout_ms),
            "deadline_ms": _millis(deadline, "deadline", deadline_ms),
            "retries": retries,
            "previous_secret_keys": (
                list(previous_secret_keys)
                if isinstance(previous_secret_keys, (list, tuple))
                else previous_secret_keys
            ),
            "correct_clock_skew": correct_clock_skew,
            "retry_backoff_ms": retry_backoff_ms,
            "proxy": proxy,
            "response_signature": response_signature,
            "paths": dict(paths) if isinstance(paths, _AbcMapping) else paths,
        }
        config: Dict[str, Any] = {"client_id": client_id, "secret_key": secret_key}
        config.update((k, v) for k, v in options.items() if v is not None)
        self._native = _native.Client(_config_json(config))

    @property
    def client_id(self) -> str:
        return self._native.client_id

    @property
    def base_url(self) -> str:
        return self._native.base_url

    def clock_skew(self) -> Optional[int]:
        """How far DOKU's clock is ahead of this machine's, in seconds (negative: behind),
        measured from the time headers of the last answer; None until one carried a time.
        ``correct_clock_skew=True`` signs with the corrected time."""
        return self._native.clock_skew()

    def __repr__(self) -> str:
        return f"doku_direct.Client(client_id={self.client_id!r}, base_url={self.base_url!r})"

    def alfa_payment_code(
        self,
        body: Union[AlfaPaymentCodeRequest, JsonBody],
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[PaymentCodeAnswer]:
        """Alfa Group payment code (Alfamart, Alfamidi, Dan+Dan)."""
        return self.call("alfa_payment_code", body, request_id=request_id, timestamp=timestamp)

    def indomaret_payment_code(
        self,
        body: Union[IndomaretPaymentCodeRequest, JsonBody],
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[PaymentCodeAnswer]:
        """Indomaret payment code."""
        return self.call(
            "indomaret_payment_code", body, request_id=request_id, timestamp=timestamp
        )

    def indodana_generate_order(
        self,
        body: Union[IndodanaGenerateOrderRequest, JsonBody],
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[IndodanaOrderAnswer]:
        """Indodana paylater order."""
        return self.call(
            "indodana_generate_order", body, request_id=request_id, timestamp=timestamp
        )

    def check_status(
        self, id: str, *, request_id: Optional[str] = None, timestamp: Optional[str] = None
    ) -> Response[StatusAnswer]:
        """Check status by invoice number or by the original Request-Id (a signed GET).
        ``body["transaction"]["status"]`` is PENDING, SUCCESS, FAILED or EXPIRED."""
        return Response(*self._native.check_status(id, request_id, timestamp))

    def call(
        self,
        operation: str,
        body: JsonBody,
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[Any]:
        """Calls a POST operation by name (``alfa_payment_code``, ``indomaret_payment_code``,
        ``indodana_generate_order``). The body is checked against DOKU's field rules first
        (:class:`ValidationError` names the field); a ``dict`` is serialised once, and
        ``bytes``/``str`` JSON is sent exactly as given. Give ``request_id`` to retry a
        request whose outcome you do not know: DOKU answers with the original response and
        ``Response.replay`` is true."""
        return Response(*self._native.call(operation, body, request_id, timestamp))

    def request(
        self,
        method: str,
        path: str,
        body: Optional[JsonBody] = None,
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[Any]:
        """A signed request to any Non-SNAP path (other virtual accounts, e-wallets,
        checkout): ``method`` is ``"GET"`` (no body) or ``"POST"`` (a JSON body, not checked
        against field rules)."""
        return Response(*self._native.request(method, path, body, request_id, timestamp))


def _config_json(config: Dict[str, Any]) -> str:
    try:
        return json.dumps(config)
    except (TypeError, ValueError):
        for key, value in config.items():
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{key} has type {type(value).__name__}, which a configuration cannot hold",
                    field=key,
                ) from None
        raise


# Last: the async client builds on Client and Response above.
from ._async import AsyncClient  # noqa: E402

# Logging is off unless the application configures the "doku_direct" logger: without a
# handler of its own, Python would print warnings through its last-resort handler.
_logging.getLogger("doku_direct").addHandler(_logging.NullHandler())
