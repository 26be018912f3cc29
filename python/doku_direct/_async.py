"""``AsyncClient``: the methods of :class:`doku_direct.Client` as coroutines, for FastAPI,
aiohttp and Django async views.

Each call runs on a thread of its own in the native core. Its outcome is queued natively
and the event loop is woken through a socket it watches (``loop.add_reader``); the loop
drains the queue on its own thread and settles the futures. Only the loop's thread takes
the GIL for outcomes, so a hundred calls finishing at once do not starve it. Loops without
``add_reader`` (Windows' Proactor) get each outcome through ``call_soon_threadsafe``.

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
import itertools
import weakref
from typing import Any, Callable, Dict, Optional, Set, Tuple, Union

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

#: Where a call's outcome goes: the loop's Completions queue, or a callback.
_Sink = Any
_Start = Callable[[_Sink, int], _native.CallHandle]
_Outcome = "asyncio.Future[Tuple[bool, Any]]"

_tokens = itertools.count(1)


class _LoopOutcomes:
    """One event loop's Completions queue, watched by the loop, and the futures of the
    calls waiting on it (shared by every AsyncClient used on that loop)."""

    #: Outcomes settled per turn of the loop: converting a response takes the GIL on the
    #: loop's thread, so a burst is spread over several turns to let other tasks run.
    BATCH = 8

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.completions = _native.Completions()
        self.waiting: Dict[int, "asyncio.Future[Tuple[bool, Any]]"] = {}
        loop.add_reader(self.completions.fileno(), self._drain)
        # Stop watching when the loop goes away with this object.
        weakref.finalize(self, _remove_reader, weakref.ref(loop), self.completions.fileno())

    def _drain(self) -> None:
        batch = self.completions.drain(self.BATCH)
        for token, ok, value in batch:
            fut = self.waiting.pop(token, None)
            if fut is not None and not fut.done():
                fut.set_result((ok, value))
        if len(batch) == self.BATCH:
            self.loop.call_soon(self._drain)


def _remove_reader(loop_ref: "weakref.ReferenceType[asyncio.AbstractEventLoop]", fd: int) -> None:
    loop = loop_ref()
    if loop is not None and not loop.is_closed():
        loop.remove_reader(fd)


#: Per event loop (weakly: a closed loop drops its entry), or None where the loop has no
#: add_reader.
_by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Optional[_LoopOutcomes]]" = (
    weakref.WeakKeyDictionary()
)


def _outcomes_for(loop: asyncio.AbstractEventLoop) -> Optional[_LoopOutcomes]:
    if loop not in _by_loop:
        try:
            # No Completions off Unix, and no add_reader on Windows' Proactor loop.
            _by_loop[loop] = _LoopOutcomes(loop) if hasattr(_native, "Completions") else None
        except NotImplementedError:
            _by_loop[loop] = None
    return _by_loop[loop]


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
            lambda sink, token: native.check_status_async(id, request_id, timestamp, sink, token)
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
            lambda sink, token: native.call_async(
                operation, body, request_id, timestamp, sink, token
            )
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
            lambda sink, token: native.request_async(
                method, path, body, request_id, timestamp, sink, token
            )
        )

    async def _run(self, start: _Start) -> Response[Any]:
        loop = asyncio.get_running_loop()
        finished: "asyncio.Future[Tuple[bool, Any]]" = loop.create_future()
        outcomes = _outcomes_for(loop)
        token = next(_tokens)
        if outcomes is not None:
            handle = start(outcomes.completions, token)  # argument errors raise here
            outcomes.waiting[token] = finished
        else:

            def settle(ok: bool, value: Any) -> None:
                if not finished.done():
                    finished.set_result((ok, value))

            def done(ok: bool, value: Any) -> None:
                # On the call's thread, with the GIL: hand the outcome to the loop.
                try:
                    loop.call_soon_threadsafe(settle, ok, value)
                except RuntimeError:
                    pass  # the loop is closed: nobody is waiting any more

            handle = start(done, token)
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
