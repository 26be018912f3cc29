"""Type stubs of doku_direct._native, the compiled Rust core (PyO3).

Private: import from ``doku_direct`` instead. Every function raises the
``doku_direct.errors`` class of the core error's kind.
"""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union, final

from ._types import Headers, Inquiry, InquiryReply, JsonBody, Notification, RawBody

__all__ = [
    "__version__",
    "MAX_BODY_BYTES",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_SECRET_KEY",
    "validate",
    "sign",
    "verify",
    "sign_response",
    "verify_response",
    "verify_notification",
    "verify_inquiry",
    "inquiry_reply",
    "test_notification",
    "_test_panic",
    "Client",
    "CallHandle",
    "Completions",
    "Sandbox",
]

__version__: str
MAX_BODY_BYTES: int
SANDBOX_CLIENT_ID: str
SANDBOX_SECRET_KEY: str

# (status, request_id, response_timestamp, replay, signature_verified, body, key_index)
_ResponseTuple = Tuple[int, str, Optional[str], bool, bool, Any, Optional[int]]

def validate(operation: str, body: JsonBody) -> None: ...
def sign(
    client_id: str,
    request_id: str,
    timestamp: str,
    request_target: str,
    body: Optional[RawBody],
    secret_key: Union[str, bytes],
) -> str: ...
def verify(
    client_id: str,
    request_id: str,
    timestamp: str,
    request_target: str,
    body: Optional[RawBody],
    secret_key: Union[str, bytes],
    signature: str,
) -> bool: ...
def sign_response(
    client_id: str,
    request_id: str,
    response_timestamp: str,
    request_target: str,
    body: Optional[RawBody],
    secret_key: Union[str, bytes],
) -> str: ...
def verify_response(
    client_id: str,
    request_id: str,
    response_timestamp: str,
    request_target: str,
    body: Optional[RawBody],
    secret_key: Union[str, bytes],
    signature: str,
) -> bool: ...
def verify_notification(
    headers: Headers,
    body: RawBody,
    path: str,
    client_id: str,
    secret_key: Union[str, bytes],
    tolerance_secs: Optional[int] = None,
    previous_secret_keys: Optional[Sequence[Union[str, bytes]]] = None,
) -> Notification: ...
def verify_inquiry(
    headers: Headers,
    body: RawBody,
    path: str,
    client_id: str,
    secret_key: Union[str, bytes],
    tolerance_secs: Optional[int] = None,
    previous_secret_keys: Optional[Sequence[Union[str, bytes]]] = None,
) -> Inquiry: ...
def test_notification(request_json: str, secret_key: Union[str, bytes]) -> Dict[str, Any]: ...
def inquiry_reply(
    inquiry: Inquiry,
    *,
    invoice_number: str,
    amount: int,
    status: str,
    secret_key: Union[str, bytes],
    inquiry_path: str,
) -> InquiryReply: ...
def _test_panic() -> None: ...
@final
class Client:
    def __new__(cls, config_json: str) -> Client: ...
    @property
    def client_id(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    def clock_skew(self) -> Optional[int]: ...
    def call_async(
        self,
        operation: str,
        body: JsonBody,
        request_id: Optional[str],
        timestamp: Optional[str],
        sink: Union[Completions, Callable[[bool, Any], None]],
        token: int,
    ) -> CallHandle: ...
    def check_status_async(
        self,
        id: str,
        request_id: Optional[str],
        timestamp: Optional[str],
        sink: Union[Completions, Callable[[bool, Any], None]],
        token: int,
    ) -> CallHandle: ...
    def request_async(
        self,
        method: str,
        path: str,
        body: Optional[JsonBody],
        request_id: Optional[str],
        timestamp: Optional[str],
        sink: Union[Completions, Callable[[bool, Any], None]],
        token: int,
    ) -> CallHandle: ...
    def call(
        self,
        operation: str,
        body: JsonBody,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> _ResponseTuple: ...
    def check_status(
        self,
        id: str,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> _ResponseTuple: ...
    def request(
        self,
        method: str,
        path: str,
        body: Optional[JsonBody] = None,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> _ResponseTuple: ...

@final
class CallHandle:
    def cancel(self) -> None: ...

@final
class Completions:
    def __new__(cls) -> Completions: ...
    def fileno(self) -> int: ...
    def drain(self, limit: int) -> List[Tuple[int, bool, Any]]: ...

@final
class Sandbox:
    def __new__(
        cls,
        client_id: str,
        secret_key: str,
        notification_url: Optional[str] = None,
        address: Optional[str] = None,
        time_scale: Optional[float] = None,
    ) -> Sandbox: ...
    @property
    def base_url(self) -> str: ...
    def notifications(self) -> List[Dict[str, Any]]: ...
    def wait_for_notifications(self, count: int = 1, timeout: float = 10.0) -> List[Dict[str, Any]]: ...
    def transaction_count(self) -> int: ...
    def shutdown(self) -> None: ...
