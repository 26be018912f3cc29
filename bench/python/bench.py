"""doku_direct against its pure-Python peers, in one run (make bench-python).

1. sign: doku_direct.sign vs hashlib + hmac (the one-shot hmac.digest, stdlib's fastest
   path) over the pretty Alfa body of tests/data/vectors.json; outputs are checked
   equal first.
2. verify_notification per second, vs hmac.compare_digest + json.loads.
3. A Client round trip against the in-process sandbox vs http.client on one kept-alive
   connection with hand-rolled signing and response-signature checking.

Prints times and ratios; asserts nothing about time (benchmarks are not tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import doku_direct
from doku_direct.testing import sandbox

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "data" / "vectors.json"


def best_of(fn: Callable[[], Any], loops: int, repeat: int = 5) -> float:
    """Seconds per call: the best of `repeat` runs of `loops` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:8.2f} µs"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def py_sign(
    client_id: str,
    request_id: str,
    timestamp: str,
    target: str,
    body: Optional[bytes],
    secret: bytes,
    timestamp_header: str = "Request-Timestamp",
) -> str:
    """The signature in plain Python (PROTOCOL.md 2)."""
    component = (
        f"Client-Id:{client_id}\nRequest-Id:{request_id}\n{timestamp_header}:{timestamp}\n"
        f"Request-Target:{target}"
    )
    if body is not None:
        component += "\nDigest:" + b64(hashlib.sha256(body).digest())
    return "HMACSHA256=" + b64(hmac.digest(secret, component.encode(), "sha256"))


def bench_sign(vectors: Dict[str, Any]) -> None:
    case = next(c for c in vectors["cases"] if c["name"] == "post-alfa-pretty")
    secret = vectors["secret_key"]
    secret_bytes = secret.encode()
    args = (case["client_id"], case["request_id"], case["timestamp"], case["request_target"])
    print("sign: Signature header of a request")
    for label, body in (
        (f"Alfa pretty body, {len(case['body'].encode())} B", case["body"].encode()),
        ("64 KiB body", json.dumps({"data": "x" * 65500}).encode()),
    ):
        ours = doku_direct.sign(*args, body, secret)
        theirs = py_sign(*args, body, secret_bytes)
        assert ours == theirs, "the two implementations disagree"
        if body == case["body"].encode():
            assert ours == case["signature"]
        loops = 20000 if len(body) < 4096 else 2000
        t_ours = best_of(lambda: doku_direct.sign(*args, body, secret), loops)
        t_theirs = best_of(lambda: py_sign(*args, body, secret_bytes), loops)
        print(
            f"  {label:28} doku_direct {fmt(t_ours)}   hashlib+hmac {fmt(t_theirs)}"
            f"   -> {t_theirs / t_ours:5.2f}x faster"
        )


def bench_verify_notification(vectors: Dict[str, Any]) -> None:
    case = next(c for c in vectors["cases"] if c["name"] == "notification-to-merchant")
    secret = vectors["secret_key"]
    body = case["body"].encode()
    headers = {
        "Content-Type": "application/json",
        "Client-Id": case["client_id"],
        "Request-Id": case["request_id"],
        "Request-Timestamp": case["timestamp"],
        "Signature": case["signature"],
    }
    path = case["request_target"]

    def ours() -> Any:
        return doku_direct.verify_notification(headers, body, path, case["client_id"], secret)

    secret_bytes = secret.encode()

    def theirs() -> Any:
        h = {k.lower(): v for k, v in headers.items()}
        expected = py_sign(h["client-id"], h["request-id"], h["request-timestamp"], path, body, secret_bytes)
        if not hmac.compare_digest(expected, h["signature"]):
            raise ValueError("bad signature")
        return json.loads(body)

    assert ours()["invoice_number"] == theirs()["order"]["invoice_number"]
    t_ours = best_of(ours, 20000)
    t_theirs = best_of(theirs, 20000)
    print("verify_notification: verify + parse a notification (the vector's Indomaret body)")
    print(
        f"  doku_direct {1 / t_ours:10,.0f}/s ({fmt(t_ours)})   hmac+json {1 / t_theirs:10,.0f}/s"
        f" ({fmt(t_theirs)})   -> {t_theirs / t_ours:5.2f}x"
    )


def bench_round_trip() -> None:
    with sandbox() as sb:
        client = sb.client(response_signature="require", retries=0)
        host, port = sb.base_url.replace("http://", "").split(":")
        conn = http.client.HTTPConnection(host, int(port))
        secret = sb.secret_key.encode()

        def now() -> str:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        def by_hand(method: str, path: str, body: Optional[bytes]) -> Any:
            request_id, timestamp = str(uuid.uuid4()), now()
            headers = {
                "Client-Id": sb.client_id,
                "Request-Id": request_id,
                "Request-Timestamp": timestamp,
                "Signature": py_sign(sb.client_id, request_id, timestamp, path, body, secret),
            }
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}: {raw!r}")
            expected = py_sign(
                sb.client_id, request_id, resp.getheader("Response-Timestamp", ""), path, raw,
                secret, "Response-Timestamp",
            )
            if not hmac.compare_digest(expected, resp.getheader("Signature", "")):
                raise RuntimeError("bad response signature")
            return json.loads(raw)

        def alfa(inv: str) -> Dict[str, Any]:
            return {
                "order": {"invoice_number": inv, "amount": 150000},
                "online_to_offline_info": {"expired_time": 60, "reusable_status": False},
                "customer": {"name": "Taufik Ismail", "email": "taufik@example.com"},
            }

        counter = iter(range(10**9))

        def create_ours() -> Any:
            return client.alfa_payment_code(alfa(f"INV-BENCH-A-{next(counter)}"))

        def create_theirs() -> Any:
            body = json.dumps(alfa(f"INV-BENCH-B-{next(counter)}"), separators=(",", ":")).encode()
            return by_hand("POST", "/alfa-online-to-offline/v2/payment-code", body)

        client.alfa_payment_code(alfa("INV-BENCH-STATUS"))
        status_path = "/orders/v1/status/INV-BENCH-STATUS"
        assert client.check_status("INV-BENCH-STATUS").body == by_hand("GET", status_path, None)
        print("round trip to the in-process sandbox (kept-alive connections, signed both ways)")
        for label, ours, theirs, loops in (
            ("check status (GET)", lambda: client.check_status("INV-BENCH-STATUS"),
             lambda: by_hand("GET", status_path, None), 1000),
            ("Alfa payment code (POST)", create_ours, create_theirs, 500),
        ):
            ours()
            theirs()
            t_ours = best_of(ours, loops, repeat=3)
            t_theirs = best_of(theirs, loops, repeat=3)
            print(
                f"  {label:28} doku_direct {fmt(t_ours)}   http.client+hmac {fmt(t_theirs)}"
                f"   -> {t_theirs / t_ours:5.2f}x"
            )
        conn.close()


def bench_async_concurrency() -> None:
    """100 concurrent creates from one event loop with AsyncClient, vs the usual
    workaround (the sync Client through asyncio.to_thread), with a heartbeat coroutine
    ticking every 10 ms: wall time and the largest gap between ticks."""
    import asyncio

    def alfa(inv: str) -> Dict[str, Any]:
        return {
            "order": {"invoice_number": inv, "amount": 150000},
            "online_to_offline_info": {"reusable_status": False, "info": "bench"},
            "customer": {"name": "Bench"},
        }

    async def run(create: Callable[[str], Any], tag: str) -> tuple:
        gaps = []
        stop = asyncio.Event()

        async def heartbeat() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        beat = asyncio.ensure_future(heartbeat())
        start = time.perf_counter()
        await asyncio.gather(*(create(f"INV-BA-{tag}-{uuid.uuid4().hex[:10]}") for _ in range(100)))
        wall = time.perf_counter() - start
        stop.set()
        await beat
        return wall, max(gaps) if gaps else 0.0

    with sandbox() as sb:
        settings = dict(base_url=sb.base_url, retries=0)
        aclient = doku_direct.AsyncClient(sb.client_id, sb.secret_key, **settings)
        sclient = doku_direct.Client(sb.client_id, sb.secret_key, **settings)
        a_wall, a_gap = asyncio.run(run(lambda inv: aclient.alfa_payment_code(alfa(inv)), "a"))
        t_wall, t_gap = asyncio.run(
            run(lambda inv: asyncio.to_thread(sclient.alfa_payment_code, alfa(inv)), "t")
        )
    print("\n4. 100 concurrent creates from one event loop (heartbeat every 10 ms)")
    print(f"   AsyncClient:               {a_wall * 1e3:8.1f} ms, largest heartbeat gap {a_gap * 1e3:6.1f} ms")
    print(f"   Client via asyncio.to_thread: {t_wall * 1e3:8.1f} ms, largest heartbeat gap {t_gap * 1e3:6.1f} ms")
    print(f"   AsyncClient is {t_wall / a_wall:.2f}x the speed of the to_thread peer")


def main() -> int:
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    print(f"doku_direct {doku_direct.__version__}, Python {sys.version.split()[0]}")
    bench_sign(vectors)
    bench_verify_notification(vectors)
    bench_round_trip()
    bench_async_concurrency()
    return 0


if __name__ == "__main__":
    sys.exit(main())
