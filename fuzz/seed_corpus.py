#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/ from tests/data
(cases.json, vectors.json and the JSON bodies in the published seeds), in each target's
input format (see the comment at the top of fuzz/fuzz_targets/<target>.rs).

Files are named by the SHA-1 of their content, as libFuzzer names what it adds, so running
this again adds nothing twice. Inputs libFuzzer found later (and every crashing input, kept
after its fix) live beside these seeds; this script never deletes a file.

    python3 fuzz/seed_corpus.py
"""
import hashlib
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
NUL, RS = b"\0", b"\x1e"
# The sandbox's defaults (sandbox/src/policy.rs) and fuzzing merchant (sandbox/src/fuzzing.rs).
SANDBOX_CLIENT = "MCH-SANDBOX-0001"
ALFA = "/alfa-online-to-offline/v2/payment-code"
INDOMARET = "/indomaret-online-to-offline/v2/payment-code"
INDODANA = "/indodana-peer-to-peer/v2/generate-order"
OPERATIONS = ["alfa_payment_code", "indomaret_payment_code", "indodana_generate_order", "check_status"]

written = {}


def b(s):
    return s if isinstance(s, bytes) else str(s).encode()


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    written[target] = written.get(target, 0) + 1


def fields(flags, *parts):
    return bytes([flags]) + NUL.join(b(p) for p in parts)


def body_of(inp):
    if "body_repeat" in inp:
        return None  # megabyte bodies: beyond libFuzzer's input sizes
    if "body_hex" in inp:
        return bytes.fromhex(inp["body_hex"])
    return None if inp.get("body") is None else b(inp["body"])


def seed_bodies():
    """JSON texts from the published seeds (the Indomaret one has a trailing comma)."""
    out = []
    for name in sorted(os.listdir(os.path.join(DATA, "seeds"))):
        text = open(os.path.join(DATA, "seeds", name), encoding="utf-8").read()
        for m in re.finditer(r"```json\n(.*?)```", text, re.S):
            out.append(m.group(1).strip())
        for m in re.finditer(r"(?m)^\{\n.*?^\}", text, re.S):
            out.append(m.group(0))
    return [o for o in dict.fromkeys(out) if o.startswith("{")]


cases = json.load(open(os.path.join(DATA, "cases.json")))["cases"]
vectors = json.load(open(os.path.join(DATA, "vectors.json")))
bodies = [c["input"]["body"] for c in cases if c["op"] == "validate" and "body" in c["input"]]
bodies += seed_bodies()

# ffi_sign: flags, client_id, request_id, timestamp, request_target, secret_key, signature, body
for c in cases:
    if c["op"] not in ("sign", "verify"):
        continue
    i = c["input"]
    body = body_of(i)
    if body is None and "body_repeat" in i:
        continue
    flags = 2 if body is None else 0
    put("ffi_sign", fields(flags, i["client_id"], i["request_id"], i["timestamp"],
                           i["request_target"], i["secret_key"], i.get("signature", ""), body or b""))
for v in vectors["cases"]:
    flags = (1 if v["kind"] == "response" else 0) | (2 if v["body"] is None else 0)
    put("ffi_sign", fields(flags, v["client_id"], v["request_id"], v["timestamp"],
                           v["request_target"], vectors["secret_key"], v["signature"], v["body"] or ""))
put("ffi_sign", fields(0x10, "c", "r", "2020-08-11T08:45:42Z", "/", "k", "", "{}"))  # a NULL argument
put("ffi_sign", fields(0x04, "c", "r", "2020-08-11T08:45:42Z", "/", "k", "", "{}"))  # NULL body, len 2

# ffi_validate: selector, body (0xff: operation \0 body)
for c in cases:
    if c["op"] != "validate":
        continue
    i = c["input"]
    body = body_of(i) or b""
    if i["operation"] in OPERATIONS:
        put("ffi_validate", bytes([0]) + body)
    else:
        put("ffi_validate", bytes([0xFF]) + b(i["operation"]) + NUL + body)
for s in seed_bodies():
    put("ffi_validate", bytes([0]) + b(s))

# ffi_client: selector (function), name, path-or-id, options, body
options = '{"request_id": "fuzz-r-1", "timestamp": "2026-01-01T00:00:00Z"}'
for n, body in enumerate(bodies[:8]):
    for function in (0, 1, 2, 3):
        put("ffi_client", fields(function | (8 if n % 2 else 0), OPERATIONS[n % 4], "", options, body))
put("ffi_client", fields(4, "", "INV-1/../?x", options, ""))
put("ffi_client", fields(5, "POST", "/bca-virtual-account/v2/payment-code", options, '{"order":{}}'))
put("ffi_client", fields(5, "GET", "/orders/v1/status/INV-1", "", ""))
put("ffi_client", fields(0, "check_status", "", '{"request_id": 7}', '{"id": "INV-1"}'))

# ffi_notification: flags, headers_json, path, client_id, secret_key, options_json,
#                   request_id, timestamp, answer_json, body
answer = '{"invoice_number": "INV-INQ-1", "amount": 150000, "status": "success"}'
for c in cases:
    i = c["input"]
    if c["op"] == "verify_notification":
        opts = json.dumps({"tolerance_secs": i["tolerance_secs"]}) if "tolerance_secs" in i else ""
        put("ffi_notification", fields(0 if opts else 4, json.dumps(i["headers"]), i["path"], i["client_id"],
                                       i["secret_key"], opts, "", "", answer, i["body"]))
        # The same body signed by the harness: as a notification and as an inquiry.
        hdr = dict((k.lower(), v) for k, v in i["headers"])
        for flags in (2 | 4, 2 | 4 | 8 | 16, 1 | 2 | 4):
            put("ffi_notification", fields(flags, "", i["path"], i["client_id"], i["secret_key"], "",
                                           hdr.get("request-id", "r"), hdr.get("request-timestamp", ""),
                                           answer, i["body"]))
    if c["op"] == "inquiry_reply":
        put("ffi_notification", fields(4 | 32, json.dumps(i["inquiry"]), i["inquiry_path"], "MCH-0001",
                                       i["secret_key"], "", "", "", json.dumps(i["answer"]), "{}"))
inquiry_body = json.dumps({"online_to_offline_info": {"payment_code": "8888800000000001"}})
put("ffi_notification", fields(1 | 2 | 4, "", "/payments/inquiry", "MCH-0001", "SK-inquiry-0001-test", "",
                               "inq-1", "2026-01-01T00:00:00Z", answer, inquiry_body))

# config: the JSON text
for c in cases:
    if c["op"] == "config":
        i = c["input"]
        put("config", b(i["config_json"] if "config_json" in i else json.dumps(i["config"])))
put("config", b(json.dumps({
    "client_id": "MCH-1", "secret_key": "SK-config-seed-0001", "base_url": "http://127.0.0.1:8080/prefix",
    "connect_timeout_ms": 1000, "timeout_ms": 5000, "retries": 3, "retry_backoff_ms": 10,
    "proxy": "http://proxy.local:3128", "response_signature": "require",
    "paths": {"alfa_payment_code": "/alfa-virtual-account/v2/payment-code",
              "check_status": "/orders/v2/status/{id}"}})))
put("config", b(json.dumps({"client_id": "MCH-1", "secret_key": "SK-config-seed-0002",
                            "environment": "production", "response_signature": "off"})))

# sandbox: requests separated by 0x1e; flags, method, target, headers, request_id, timestamp, body
def req(flags, method, target, headers="", request_id="", timestamp="", body=""):
    return fields(flags, method, target, headers, request_id, timestamp, body)


alfa = json.dumps({"order": {"invoice_number": "INV-F-1", "amount": 150000},
                   "online_to_offline_info": {"reusable_status": False},
                   "customer": {"name": "Taufik Ismail"}})
pay = json.dumps({"invoice_number": "INV-F-1"})
pay2 = json.dumps({"invoice_number": "INV-F-1", "client_id": "MCH-FUZZ-0002", "status": "FAILED"})
channel_paths = [ALFA, INDOMARET, INDODANA, "/alfa-virtual-account/v2/payment-code"]
for n, body in enumerate(bodies):
    try:
        json.loads(body)
    except ValueError:
        continue
    path = channel_paths[n % len(channel_paths)]
    put("sandbox", req(1 | (2 if n % 2 else 0), "POST", path, "content-type:application/json", f"r-{n}", "", body))
put("sandbox", RS.join([
    req(1, "POST", ALFA, "", "r-1", "", alfa),
    req(1, "POST", ALFA, "", "r-1", "", alfa),  # a replay: 409
    req(0, "POST", "/_sandbox/pay", "", "", "", pay),
    req(1, "GET", "/orders/v1/status/INV-F-1", "", "r-2"),
    req(0, "GET", "/_sandbox/notifications"),
]))
put("sandbox", RS.join([
    req(3, "POST", ALFA, "", "r-1", "", alfa),
    req(0x80 | 0x40, "POST", "/_sandbox/pay", "", "", "", pay2),  # a day later: expired
    req(3, "GET", "/orders/v1/status/r-1?x=1", "", "r-3"),
]))
indodana = next((x for x in bodies if '"billing_address"' in x and '"item' in x), None)
if indodana:
    put("sandbox", RS.join([
        req(3, "POST", INDODANA, "", "r-i", "", indodana),
        req(0, "GET", "/_sandbox/indodana/payment/INV-1"),
        req(0, "POST", "/_sandbox/indodana/payment/INV-1/approve"),
    ]))
put("sandbox", req(0, "POST", ALFA, f"Client-Id:{SANDBOX_CLIENT}\nRequest-Id:r\nRequest-Timestamp:"
                   "2026-05-28T20:26:40Z\nSignature:HMACSHA256=AAAA", "", "", alfa))
put("sandbox", req(1 | 4, "POST", ALFA, "", "r-1", "2020-01-01T00:00:00Z", alfa))  # outside the window
put("sandbox", req(1 | 0x10, "POST", ALFA, "", "r-1", "", alfa))  # body over the limit
put("sandbox", req(1 | 0x18, "POST", ALFA, "", "r-1", "", alfa))  # unreadable body
put("sandbox", req(0, "DELETE", ALFA))
put("sandbox", req(0, "GET", "/how-to-pay/v2/alfa-online-to-offline/8888800000000001"))
put("sandbox", req(0, "GET", "/indomaret-online-to-offline/v2/how-to-pay-page/8888800000000001"))
put("sandbox", req(0, "GET", "/_sandbox"))

for target in sorted(written):
    n = len(os.listdir(os.path.join(CORPUS, target)))
    print(f"{target}: {n} files in fuzz/corpus/{target}")
