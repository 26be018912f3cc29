"""Types shared by the public facade and the stubs of ``_native`` (re-exported by
``doku_direct``)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Optional, Protocol, Tuple, TypedDict, Union

#: Raw bytes (sent or verified exactly as given); ``str`` is taken as its UTF-8 bytes.
RawBody = Union[bytes, bytearray, str]

#: A JSON request body: a ``dict`` or other mapping (serialised once by the core;
#: ``Decimal`` prices stay exact) or raw JSON ``bytes``/``str`` (validated, then sent byte
#: for byte).
JsonBody = Union[Mapping[str, Any], bytes, bytearray, str]


class HeaderItems(Protocol):
    """Anything with ``items()`` giving ``(name, value)`` pairs: ``dict``, Flask's, Django's
    and Starlette's ``request.headers``, ``http.server``'s ``self.headers``."""

    def items(self) -> Iterable[Tuple[str, str]]: ...


#: Request headers: a mapping or headers object (see :class:`HeaderItems`), or
#: ``(name, value)`` pairs. Names match case-insensitively; a repeated signed header is
#: refused.
Headers = Union[HeaderItems, Mapping[str, str], Iterable[Tuple[str, str]]]


class Notification(TypedDict):
    """A verified payment notification. ``body`` holds every field DOKU sent (unknown
    channels and fields included); the rest is the common part, lifted out."""

    #: DOKU's Request-Id: the de-duplication key, the same on every retry.
    request_id: str
    client_id: str
    request_timestamp: str
    service_id: Optional[str]
    acquirer_id: Optional[str]
    channel_id: Optional[str]
    #: ``transaction.status``: SUCCESS or FAILED.
    status: str
    transaction_date: Optional[str]
    original_request_id: Optional[str]
    invoice_number: str
    amount: Any
    #: ``online_to_offline_info.payment_code`` of convenience-store notifications.
    payment_code: Optional[str]
    body: Dict[str, Any]
    #: Which key verified it: 0 for ``secret_key``, 1 for ``previous_secret_keys[0]``, ...
    key_index: int


class Inquiry(TypedDict):
    """A verified Direct Inquiry (DIPC): DOKU asks about ``payment_code``."""

    request_id: str
    client_id: str
    request_timestamp: str
    payment_code: str
    body: Dict[str, Any]
    #: Which key verified it (as :attr:`Notification.key_index`).
    key_index: int


class InquiryReply(TypedDict):
    """The signed answer to an inquiry: send these ``headers`` and exactly ``body``."""

    headers: Dict[str, str]
    body: str
