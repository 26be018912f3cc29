"""Types shared by the public facade and the stubs of ``_native`` (re-exported by
``doku_direct``)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Protocol, Tuple, TypedDict, Union

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


# ---------------------------------------------------------------------------------------
# Request bodies and answers, as TypedDicts: an IDE completes
# ``response.body["online_to_offline_info"]["payment_code"]`` and mypy checks a body before
# the core does. The core's field rules (``doku_direct.validate``) remain the judge;
# numbers may also be given as strings of digits, as DOKU's plugins send them.
# ---------------------------------------------------------------------------------------

#: An amount or other integer field: a JSON number, or a string of digits.
IntLike = Union[int, str]


class _OrderRequired(TypedDict):
    invoice_number: str
    amount: IntLike


class Order(_OrderRequired, total=False):
    """``order`` of a payment code request."""


class _O2OInfoRequired(TypedDict):
    reusable_status: Union[bool, str]


class OnlineToOfflineInfo(_O2OInfoRequired, total=False):
    """``online_to_offline_info`` of a payment code request."""

    #: Minutes until the code expires (DOKU's default: 60).
    expired_time: IntLike
    info: str
    #: A merchant-generated code (MGPC); leave it out for a DOKU-generated one.
    payment_code: str


class _CustomerRequired(TypedDict):
    name: str


class Customer(_CustomerRequired, total=False):
    email: str


class AdditionalInfo(TypedDict, total=False):
    override_notification_url: str


class Receipt(TypedDict, total=False):
    description: str
    footer_message: str


class AlfaInfo(TypedDict, total=False):
    receipt: Receipt


class IndomaretInfo(TypedDict):
    receipt: Receipt


class _AlfaRequestRequired(TypedDict):
    order: Order
    online_to_offline_info: OnlineToOfflineInfo
    customer: Customer


class AlfaPaymentCodeRequest(_AlfaRequestRequired, total=False):
    """The body of :meth:`Client.alfa_payment_code`."""

    alfa_info: AlfaInfo
    additional_info: AdditionalInfo


class _IndomaretRequestRequired(TypedDict):
    order: Order
    online_to_offline_info: OnlineToOfflineInfo
    customer: Customer
    indomaret_info: IndomaretInfo


class IndomaretPaymentCodeRequest(_IndomaretRequestRequired, total=False):
    """The body of :meth:`Client.indomaret_payment_code`."""

    additional_info: AdditionalInfo


class _LineItemRequired(TypedDict):
    id: str
    name: str
    price: Union[int, float, str]
    quantity: IntLike
    category: str


class LineItem(_LineItemRequired, total=False):
    url: str
    image_url: str
    type: str


class _IndodanaOrderRequired(TypedDict):
    invoice_number: str
    amount: IntLike
    line_items: List[LineItem]
    callback_url_cancel: str


class IndodanaOrder(_IndodanaOrderRequired, total=False):
    callback_url: str


class _PeerToPeerInfoRequired(TypedDict):
    merchant_unique_reference: str


class PeerToPeerInfo(_PeerToPeerInfoRequired, total=False):
    expired_time: IntLike


class _IndodanaCustomerRequired(TypedDict):
    first_name: str
    email: str
    phone: str


class IndodanaCustomer(_IndodanaCustomerRequired, total=False):
    last_name: str


class _AddressRequired(TypedDict):
    first_name: str
    address: str
    city: str
    postal_code: str
    phone: str
    country_code: str


class Address(_AddressRequired, total=False):
    last_name: str


class _IndodanaRequestRequired(TypedDict):
    order: IndodanaOrder
    peer_to_peer_info: PeerToPeerInfo
    customer: IndodanaCustomer
    billing_address: Address


class IndodanaGenerateOrderRequest(_IndodanaRequestRequired, total=False):
    """The body of :meth:`Client.indodana_generate_order`."""

    shipping_address: Address
    additional_info: AdditionalInfo


class AnswerOrder(TypedDict, total=False):
    invoice_number: str
    amount: int


class PaymentCodeInfo(TypedDict, total=False):
    payment_code: str
    #: WIB (UTC+7) dates as DOKU writes them, ``20261129060937``.
    created_date: str
    expired_date: str
    created_date_utc: str
    expired_date_utc: str
    how_to_pay_page: str
    how_to_pay_api: str


class PaymentCodeAnswer(TypedDict, total=False):
    """DOKU's answer to an Alfa or Indomaret payment code request."""

    order: AnswerOrder
    online_to_offline_info: PaymentCodeInfo
    additional_info: Dict[str, Any]


class Identifier(TypedDict):
    name: str
    value: str


class PaymentPage(TypedDict, total=False):
    status: str
    #: Where to send the customer to apply for the paylater.
    url: str


class PeerToPeerAnswerInfo(TypedDict, total=False):
    identifier: List[Identifier]
    merchant_unique_reference: str
    created_date: str
    expired_date: str
    created_date_utc: str
    expired_date_utc: str


class IndodanaOrderAnswer(TypedDict, total=False):
    """DOKU's answer to an Indodana generate order request."""

    order: AnswerOrder
    payment: PaymentPage
    peer_to_peer_info: PeerToPeerAnswerInfo
    additional_info: Dict[str, Any]


class Transaction(TypedDict, total=False):
    #: PENDING, SUCCESS, FAILED or EXPIRED.
    status: str
    date: str
    original_request_id: str


class StatusAnswer(TypedDict, total=False):
    """DOKU's answer to check status (and the notification body's common part)."""

    service: Dict[str, str]
    acquirer: Dict[str, str]
    channel: Dict[str, str]
    order: AnswerOrder
    transaction: Transaction
    online_to_offline_info: Dict[str, Any]
    peer_to_peer_info: Dict[str, Any]
