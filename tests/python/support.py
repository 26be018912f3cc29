"""Request bodies and a real notification endpoint shared by the tests."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

import doku_direct

NOTIFICATION_PATH = "/payments/notifications"
#: The signature vectors that also drive the Rust, C and PHP suites.
VECTORS = Path(__file__).resolve().parents[2] / "tests" / "data" / "vectors.json"


def invoice(tag: str = "PY") -> str:
    return f"INV-{tag}-{uuid.uuid4().hex[:12].upper()}"


def alfa_body(invoice_number: str) -> Dict[str, Any]:
    return {
        "order": {"invoice_number": invoice_number, "amount": 150000},
        "online_to_offline_info": {
            "expired_time": 60,
            "reusable_status": False,
            "info": "Thank you for shopping",
        },
        "customer": {"name": "Taufik Ismail", "email": "taufik@example.com"},
        "alfa_info": {"receipt": {"footer_message": "Call Center 021 555-0525"}},
    }


def indomaret_body(invoice_number: str) -> Dict[str, Any]:
    return {
        "order": {"invoice_number": invoice_number, "amount": 150000},
        "online_to_offline_info": {
            "expired_time": 60,
            "reusable_status": False,
            "info": "Thanks for shopping",
        },
        "customer": {"name": "Taufik Ismail", "email": "taufik@doku.com"},
        "indomaret_info": {
            "receipt": {
                "description": "Voucher 10000",
                "footer_message": "Call 13555 for customer support",
            }
        },
    }


def indodana_body(invoice_number: str, price: Any = 50000) -> Dict[str, Any]:
    address = {
        "first_name": "andreas",
        "last_name": "dharmawan",
        "address": "Jalan Teknologi Indonesia No. 25",
        "city": "Jakarta",
        "postal_code": "12960",
        "phone": "081513114262",
        "country_code": "IDN",
    }
    return {
        "order": {
            "invoice_number": invoice_number,
            "line_items": [
                {
                    "name": "Ayam",
                    "price": price,
                    "quantity": 2,
                    "id": "1002",
                    "category": "ELECTRONIC",
                    "url": "https://merchant.com/product_1002",
                    "image_url": "https://merchant.com/product_1002/image",
                    "type": "handphone",
                }
            ],
            "amount": 100000,
            "callback_url": "https://merchant.com/return-url",
            "callback_url_cancel": "https://merchant.com/cancel-url",
        },
        "peer_to_peer_info": {
            "expired_time": 60,
            "merchant_unique_reference": f"MUR-{invoice_number}",
        },
        "customer": {
            "first_name": "andreas",
            "last_name": "dharmawan",
            "phone": "081939815480",
            "email": "andreas@email.com",
        },
        "billing_address": address,
        "shipping_address": address,
    }


class Received:
    """One request the receiver got: the raw body, the headers as sent, and the outcome of
    verify_notification on them."""

    def __init__(self, path: str, headers: List[Tuple[str, str]], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body
        self.notification: Optional[doku_direct.Notification] = None
        self.error: Optional[doku_direct.DokuError] = None
        self.answered = 0


class Receiver:
    """A merchant's notification endpoint: a stdlib ThreadingHTTPServer that verifies each
    POST with doku_direct.verify_notification over the raw body and answers 200 (or the
    scripted statuses first), or 401 when verification fails."""

    def __init__(self, client_id: str, secret_key: str, answers: Tuple[int, ...] = ()) -> None:
        self.client_id = client_id
        self.secret_key = secret_key
        self.answers = list(answers)
        self.received: List[Received] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (stdlib name)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                got = Received(self.path, list(self.headers.items()), raw)
                try:
                    got.notification = doku_direct.verify_notification(
                        self.headers,
                        raw,
                        NOTIFICATION_PATH,
                        receiver.client_id,
                        receiver.secret_key,
                    )
                    with receiver.cond:
                        got.answered = receiver.answers.pop(0) if receiver.answers else 200
                except doku_direct.DokuError as e:
                    got.error = e
                    got.answered = 401
                self.send_response(got.answered)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.cond:
                    receiver.received.append(got)
                    receiver.cond.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{NOTIFICATION_PATH}"

    def wait_for(self, done: Callable[[List[Received]], bool], timeout: float = 10.0) -> List[Received]:
        with self.cond:
            self.cond.wait_for(lambda: done(self.received), timeout)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Stalling:
    """A server that accepts connections, reads nothing and never answers; ``accepted`` is
    set once it has accepted a connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.accepted = threading.Event()
