"""``AsyncClient``: the methods of :class:`doku_direct.Client` as coroutines, for FastAPI,
aiohttp and Django async views.

Each call runs on a thread of its own in the native core; the event loop only awaits a
future that the thread settles through ``call_soon_threadsafe``, so it never waits on the
network and keeps serving other tasks.

**Cancellation.** Cancelling a coroutine (a client disconnect, ``asyncio.wait_for``, a
``TaskGroup`` failing) raises ``CancelledError`` in it at once and stops the call between
attempts: no further attempt or backoff wait starts. An attempt already on the wire cannot
be recalled; it runs to its own time limit and its outcome is discarded. For a create,
that outcome is **unknown**: the payment code may exist. Reconcile with
:meth:`AsyncClient.check_status` (by invoice number, or by the Request-Id if you gave one),
or retry with the same ``request_id`` (DOKU answers a repeat with the original response).
Nothing runs unobserved: :attr:`AsyncClient.in_flight` counts the calls whose thread has
not ended, and ``await client.aclose()`` (or leaving ``async with``) waits for them.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, Set, Tuple, Union

from . import _native
from ._types import (
    AlfaPaymentCodeRequest,
    IndodanaGenerateOrderRequest,
    IndodanaOrderAnswer,
    IndomaretPaymentCodeRequest,
    JsonBody,
    PaymentCodeAnswer,
    StatusAnswer,
)

# Imported from the package at the end of its __init__ (no cycle at import time).
from . import Client, Response

_Done = Callable[[bool, Any], None]


class AsyncClient:
    """The same settings and methods as :class:`Client`, as coroutines. Thread-safe and
    loop-agnostic: share one per merchant account; use it from any running event loop."""

    __slots__ = ("_client", "_pending")

    def __init__(self, client_id: str, secret_key: str, **settings: Any) -> None:
        self._client = Client(client_id, secret_key, **settings)
        self._pending: Set["asyncio.Future[Tuple[bool, Any]]"] = set()

    @property
    def client_id(self) -> str:
        return self._client.client_id

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def in_flight(self) -> int:
        """Calls whose thread has not ended yet (cancelled ones included)."""
        return len(self._pending)

    def clock_skew(self) -> Optional[int]:
        """As :meth:`Client.clock_skew`."""
        return self._client.clock_skew()

    def __repr__(self) -> str:
        return (
            f"doku_direct.AsyncClient(client_id={self.client_id!r}, base_url={self.base_url!r})"
        )

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Waits until every call started by this client has ended on its thread, cancelled
        ones included (their outcomes are discarded)."""
        while self._pending:
            await asyncio.wait(set(self._pending))

    async def alfa_payment_code(
        self,
        body: Union[AlfaPaymentCodeRequest, JsonBody],
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[PaymentCodeAnswer]:
        """Alfa Group payment code (Alfamart, Alfamidi, Dan+Dan)."""
        return await self.call("alfa_payment_code", body, request_id=request_id, timestamp=timestamp)

    async def indomaret_payment_code(
        self,
        body: Union[IndomaretPaymentCodeRequest, JsonBody],
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[PaymentCodeAnswer]:
        """Indomaret payment code."""
        return await self.call(
            "indomaret_payment_code", body, request_id=request_id, timestamp=timestamp
        )

    async def indodana_generate_order(
        self,
        body: Union[IndodanaGenerateOrderRequest, JsonBody],
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[IndodanaOrderAnswer]:
        """Indodana paylater order."""
        return await self.call(
            "indodana_generate_order", body, request_id=request_id, timestamp=timestamp
        )

    async def check_status(
        self, id: str, *, request_id: Optional[str] = None, timestamp: Optional[str] = None
    ) -> Response[StatusAnswer]:
        """As :meth:`Client.check_status`."""
        native = self._client._native
        return await self._run(
            lambda done: native.check_status_async(id, request_id, timestamp, done)
        )

    async def call(
        self,
        operation: str,
        body: JsonBody,
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[Any]:
        """As :meth:`Client.call`."""
        native = self._client._native
        return await self._run(
            lambda done: native.call_async(operation, body, request_id, timestamp, done)
        )

    async def request(
        self,
        method: str,
        path: str,
        body: Optional[JsonBody] = None,
        *,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> Response[Any]:
        """As :meth:`Client.request`."""
        native = self._client._native
        return await self._run(
            lambda done: native.request_async(method, path, body, request_id, timestamp, done)
        )

    async def _run(self, start: Callable[[_Done], _native.CallHandle]) -> Response[Any]:
        loop = asyncio.get_running_loop()
        finished: "asyncio.Future[Tuple[bool, Any]]" = loop.create_future()

        def settle(ok: bool, value: Any) -> None:
            if not finished.done():
                finished.set_result((ok, value))

        def done(ok: bool, value: Any) -> None:
            # On the call's thread, with the GIL: hand the outcome to the loop.
            try:
                loop.call_soon_threadsafe(settle, ok, value)
            except RuntimeError:
                pass  # the loop is closed: nobody is waiting any more

        handle = start(done)  # argument errors raise here, before anything runs
        self._pending.add(finished)
        finished.add_done_callback(self._pending.discard)
        try:
            ok, value = await asyncio.shield(finished)
        except asyncio.CancelledError:
            handle.cancel()
            raise
        if not ok:
            raise value
        return Response(*value)
