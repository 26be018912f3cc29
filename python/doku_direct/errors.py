"""Exceptions raised by doku_direct, one class per error kind of the Rust core.

Every exception is a :class:`DokuError` and carries the fields of the C library's
last-error JSON: ``kind`` (a stable snake_case name), ``message``, ``field`` (the argument
or JSON path at fault, e.g. ``order.line_items[1].price``), ``http_status``,
``request_id`` and ``body`` (the raw answer DOKU sent). Messages never contain the secret
key, a signature or a signing component.

======================  =====================  ======================================
kind                    class                  raised when
======================  =====================  ======================================
``invalid_input``       InvalidInputError      an argument is unusable (InvalidTypeError,
                                               also a TypeError: of the wrong type)
``validation``          ValidationError        a request body breaks a field rule
``config``              ConfigError            the client configuration is unusable
``signature_mismatch``  SignatureError         a signature does not verify
``api``                 ApiError               DOKU answered with an error status
``timeout``             TimeoutError           no answer in time: outcome **unknown**
``transport``           TransportError         the connection failed or broke
``decode``              DecodeError            DOKU's answer could not be read
``panic``               PanicError             a bug inside the library was caught
======================  =====================  ======================================
"""

from __future__ import annotations

import builtins
from typing import Any, Dict, Optional, Tuple, Type

__all__ = [
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
]


class DokuError(Exception):
    """Root of every doku_direct exception."""

    kind: str = "doku_error"

    def __init__(
        self,
        message: str,
        *,
        field: Optional[str] = None,
        http_status: Optional[int] = None,
        request_id: Optional[str] = None,
        body: Optional[str] = None,
        display: Optional[str] = None,
    ) -> None:
        text = display if display is not None else _display(message, field)
        super().__init__(text)
        self.message = message
        self.field = field
        self.http_status = http_status
        self.request_id = request_id
        self.body = body

    def to_dict(self) -> Dict[str, Any]:
        """``{"kind", "message", "field", "http_status", "request_id", "body"}``, the shape
        of the C library's last-error JSON."""
        return {
            "kind": self.kind,
            "message": self.message,
            "field": self.field,
            "http_status": self.http_status,
            "request_id": self.request_id,
            "body": self.body,
        }

    def __reduce__(self) -> Tuple[Any, ...]:
        # Picklable (multiprocessing, task queues) with every field.
        return (_rebuild, (type(self), self.to_dict(), str(self)))


class InvalidInputError(DokuError, ValueError):
    """An argument is missing, of the wrong type, too large or otherwise unusable;
    ``field`` names it (``client_id``, ``body``, ``headers.Signature``)."""

    kind = "invalid_input"


class InvalidTypeError(InvalidInputError, TypeError):
    """An argument has the wrong Python type (``client_id=5``, a ``set`` in a body). An
    ``InvalidInputError`` like the others, and a ``TypeError`` as Python code expects."""


class ValidationError(DokuError, ValueError):
    """A request body breaks one of DOKU's field rules, checked before anything is sent;
    ``field`` is the JSON path (``order.line_items[1].price``)."""

    kind = "validation"


class ConfigError(DokuError, ValueError):
    """The client configuration is unusable; ``field`` names the key."""

    kind = "config"


class SignatureError(DokuError):
    """A signature does not verify: a notification, an inquiry or DOKU's response."""

    kind = "signature_mismatch"


class ApiError(DokuError):
    """DOKU answered with an error status. ``status`` (also ``http_status``),
    ``request_id`` and the raw ``body`` are set."""

    kind = "api"

    @property
    def status(self) -> Optional[int]:
        """The HTTP status DOKU answered with."""
        return self.http_status


class TimeoutError(DokuError, builtins.TimeoutError):
    """No complete answer in time: the outcome is **unknown**. DOKU may have created the
    payment code. Call ``check_status`` with the invoice number (or this ``request_id``), or
    retry with the same ``request_id`` (DOKU then answers with the original response)."""

    kind = "timeout"


class TransportError(DokuError):
    """The connection failed or broke before an answer arrived (refused, reset, DNS, TLS)."""

    kind = "transport"


class DecodeError(DokuError):
    """DOKU's answer (or a notification body) could not be read: not JSON, or not the
    expected shape. ``body`` holds the raw answer."""

    kind = "decode"


class PanicError(DokuError):
    """A bug inside the library was caught at the Python boundary; nothing was changed."""

    kind = "panic"


_BY_KIND: Dict[str, Type[DokuError]] = {
    cls.kind: cls
    for cls in (
        InvalidInputError,
        ValidationError,
        ConfigError,
        SignatureError,
        ApiError,
        TimeoutError,
        TransportError,
        DecodeError,
        PanicError,
    )
}


def _display(message: str, field: Optional[str]) -> str:
    if field and not message.startswith(field):
        return f"{field}: {message}"
    return message


def _from_native(
    kind: str,
    message: str,
    display: str,
    field: Optional[str],
    http_status: Optional[int],
    request_id: Optional[str],
    body: Optional[str],
    wrong_type: bool = False,
) -> DokuError:
    """Builds the exception for an error of the Rust core (called by ``_native``);
    ``wrong_type`` marks an argument of the wrong Python type."""
    cls: Type[DokuError] = InvalidTypeError if wrong_type else _BY_KIND.get(kind, DokuError)
    err = cls(
        message,
        field=field,
        http_status=http_status,
        request_id=request_id,
        body=body,
        display=display,
    )
    if cls is DokuError:
        err.kind = kind
    return err


def _rebuild(cls: Type[DokuError], fields: Dict[str, Any], display: str) -> DokuError:
    fields = dict(fields)
    kind = fields.pop("kind")
    err = cls(display=display, **fields)
    if cls is DokuError:
        err.kind = kind
    return err
