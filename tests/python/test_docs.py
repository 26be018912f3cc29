"""The examples in the package's docstrings and in the README's Python section run as
written, against the in-process sandbox (``doku_direct.testing.sandbox()``).

The README's examples are written for a real merchant; before running one, the test swaps
exactly these literals for the sandbox's (and fails if a literal is gone, so an edited
README cannot silently send a request to DOKU's real sandbox):

* ``"MCH-0001-..."``                  -> the sandbox's Client-Id
* ``os.environ["DOKU_SECRET_KEY"]``   -> the sandbox's secret key
* ``environment="sandbox"``           -> ``base_url=<the in-process sandbox's URL>``
* ``http://127.0.0.1:8000/payments/notifications`` (the pytest recipe's app under test)
                                      -> a real notification endpoint in this test
* the pytest recipe's ``...`` (your checkout code) -> creating the INV-1 payment code

The Flask, Django and FastAPI recipes use ``CLIENT_ID, SECRET_KEY = "MCH-SANDBOX-0001",
"SK-sandbox-0001-not-a-real-key"``, which are the sandbox's own merchant, so they run
unchanged. Those frameworks are not installed in the test environment (``make
python-test`` installs only maturin, pytest and mypy), so each recipe runs with a small
stand-in supplying exactly what the recipe reads from its framework (``request.headers``
and ``request.get_data()``, ``request.body``, ``await request.body()``, a response class)
and is fed a real notification the sandbox delivered over HTTP.
"""

from __future__ import annotations

import asyncio
import doctest
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import doku_direct
import doku_direct.testing
from doku_direct.testing import Sandbox, sandbox
from support import NOTIFICATION_PATH, Received, Receiver

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("module", [doku_direct, doku_direct.testing], ids=lambda m: m.__name__)
def test_docstring_examples(module: types.ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def python_blocks() -> List[str]:
    readme = README.read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def block(marker: str) -> str:
    """The one README Python block containing ``marker``."""
    found = [b for b in python_blocks() if marker in b]
    assert len(found) == 1, f"{len(found)} README Python blocks contain {marker!r}"
    return found[0]


def swap(code: str, replacements: Dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in code, f"the README example no longer contains {old!r}"
        code = code.replace(old, new)
    return code


def test_every_readme_python_block_compiles_and_is_run_below() -> None:
    blocks = python_blocks()
    markers = ['client = doku_direct.Client("MCH-0001-..."', "except doku_direct.ValidationError", "# Flask",
               "# Django", "# FastAPI, complete", "from doku_direct.testing import sandbox"]
    assert len(blocks) == len(markers), "a new README Python block needs a test here"
    for i, code in enumerate(blocks):
        compile(code, f"README.md python block {i + 1}", "exec")
        assert sum(m in code for m in markers) == 1, code


def run_quickstart(sb: Sandbox) -> Dict[str, Any]:
    code = swap(block('client = doku_direct.Client("MCH-0001-..."'), {
        '"MCH-0001-..."': repr(sb.client_id),
        'os.environ["DOKU_SECRET_KEY"]': repr(sb.secret_key),
        'environment="sandbox"': f"base_url={sb.base_url!r}",
    })
    namespace: Dict[str, Any] = {}
    exec(compile(code, "README.md quickstart", "exec"), namespace)
    return namespace


def test_readme_quickstart_runs_against_the_sandbox(
    sb: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = run_quickstart(sb)
    r = ns["r"]
    assert (r.status, r.replay) == (200, False)
    code = r.body["online_to_offline_info"]["payment_code"]
    assert capsys.readouterr().out.split() == [code, "200", r.request_id, "False"]
    assert ns["client"].check_status("INV-1").body["transaction"]["status"] == "PENDING"
    assert sb.transaction_count() == 1


class RecordingLog:
    def __init__(self) -> None:
        self.errors: List[Tuple[Any, ...]] = []

    def error(self, *args: Any) -> None:
        self.errors.append(args)


def test_readme_exception_handling_runs_against_the_sandbox(
    sb: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = run_quickstart(sb)
    capsys.readouterr()
    code = compile(block("except doku_direct.ValidationError"), "README.md exceptions", "exec")
    valid = {
        "order": {"invoice_number": "INV-2", "amount": 150000},
        "online_to_offline_info": {"reusable_status": False},
        "customer": {"name": "Taufik Ismail"},
    }

    # Success: no handler runs and r is the answer.
    log = RecordingLog()
    exec(code, {**ns, "body": valid, "rid": "readme-rid-1", "log": log})
    assert log.errors == [] and capsys.readouterr().out == ""

    # A field rule broken: ValidationError, nothing sent, the handler prints the JSON path.
    before = sb.transaction_count()
    invalid = {**valid, "order": {"invoice_number": "INV-3", "amount": 0}}
    exec(code, {**ns, "body": invalid, "rid": "readme-rid-2", "log": log})
    assert capsys.readouterr().out.strip() == "order.amount"
    assert sb.transaction_count() == before

    # DOKU refuses (INV-1 exists already): ApiError, logged with status and Request-Id.
    duplicate = {**valid, "order": {"invoice_number": "INV-1", "amount": 150000}}
    exec(code, {**ns, "body": duplicate, "rid": "readme-rid-3", "log": log})
    assert len(log.errors) == 1
    fmt, status, request_id, body = log.errors[0]
    assert (fmt, status, request_id) == ("DOKU %s %s: %s", 400, "readme-rid-3")
    assert "duplicate_invoice_number" in body


# ---------------------------------------------------------------------------------------
# The framework recipes, fed a real notification the sandbox delivered.


@pytest.fixture
def delivered(make_receiver: Callable[..., Receiver]) -> Received:
    """A real notification: the sandbox's merchant creates and pays INV-1 and the sandbox
    delivers the signed notification to a local endpoint, which keeps the raw request."""
    receiver = make_receiver(doku_direct.testing.CLIENT_ID, doku_direct.testing.SECRET_KEY)
    with sandbox(notification_url=receiver.url) as s:
        s.client().alfa_payment_code({
            "order": {"invoice_number": "INV-1", "amount": 150000},
            "online_to_offline_info": {"reusable_status": False},
            "customer": {"name": "Taufik Ismail"},
        })
        s.pay(invoice_number="INV-1")
        got = receiver.wait_for(lambda r: len(r) >= 1)
    assert got, "the sandbox delivered a notification"
    assert got[0].notification is not None and got[0].path == NOTIFICATION_PATH
    return got[0]


def tampered(raw: bytes) -> bytes:
    out = raw.replace(b'"SUCCESS"', b'"FAILED"')
    assert out != raw
    return out


def test_the_recipes_use_the_sandbox_merchant() -> None:
    flask = block("# Flask")
    assert f'"{doku_direct.testing.CLIENT_ID}", "{doku_direct.testing.SECRET_KEY}"' in flask


class Route:
    """Stands in for Flask's and FastAPI's ``app``: ``@app.post(path)`` records the view."""

    def __init__(self, *args: Any) -> None:
        self.views: Dict[str, Callable[..., Any]] = {}

    def post(self, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(view: Callable[..., Any]) -> Callable[..., Any]:
            self.views[path] = view
            return view

        return register


def test_flask_recipe_verifies_a_real_notification(
    delivered: Received, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Flask is not installed: a stand-in module with `Flask` and the `request` proxy.
    request = types.SimpleNamespace(headers={}, get_data=lambda: b"")
    flask = types.ModuleType("flask")
    setattr(flask, "Flask", Route)
    setattr(flask, "request", request)
    monkeypatch.setitem(sys.modules, "flask", flask)
    ns: Dict[str, Any] = {"__name__": "app"}
    exec(compile(block("# Flask"), "README.md Flask recipe", "exec"), ns)
    view = ns["app"].views[NOTIFICATION_PATH]

    request.headers = dict(delivered.headers)
    request.get_data = lambda: delivered.body
    assert view() == ("", 200)
    n = delivered.notification
    assert n is not None
    assert capsys.readouterr().out.split() == [n["invoice_number"], n["status"], n["request_id"]]
    assert (n["invoice_number"], n["status"]) == ("INV-1", "SUCCESS")

    request.get_data = lambda: tampered(delivered.body)
    assert view() == ("", 401)
    assert capsys.readouterr().out == ""


class FrameworkResponse:
    """Stands in for Django's ``HttpResponse(status=...)`` and FastAPI's
    ``Response(status_code=...)``."""

    def __init__(self, status: int = 200, status_code: Optional[int] = None) -> None:
        self.status = status_code if status_code is not None else status


def django_and_fastapi() -> Tuple[str, str]:
    code = block("# Django")
    django, fastapi = code.split("\n# FastAPI\n")
    return django, "# FastAPI\n" + fastapi


def recipe_namespace() -> Dict[str, Any]:
    flask_ns: Dict[str, Any] = {}
    for line in block("# Flask").splitlines():
        if line.startswith("CLIENT_ID, SECRET_KEY"):
            exec(line, flask_ns)
    return {"doku_direct": doku_direct, "CLIENT_ID": flask_ns["CLIENT_ID"],
            "SECRET_KEY": flask_ns["SECRET_KEY"]}


def test_django_recipe_verifies_a_real_notification(delivered: Received) -> None:
    # Django is not installed: `request.body` and `HttpResponse` are all the recipe uses.
    django, _ = django_and_fastapi()
    ns = {**recipe_namespace(), "HttpResponse": FrameworkResponse}
    exec(compile(textwrap.dedent(django), "README.md Django recipe", "exec"), ns)
    view = ns["doku_notification"]
    ok = types.SimpleNamespace(headers=dict(delivered.headers), body=delivered.body)
    assert view(ok) is None  # verified: the recipe goes on to `...` (your code)
    bad = types.SimpleNamespace(headers=dict(delivered.headers), body=tampered(delivered.body))
    refused = view(bad)
    assert isinstance(refused, FrameworkResponse) and refused.status == 401


def test_fastapi_recipe_verifies_a_real_notification(delivered: Received) -> None:
    # FastAPI is not installed: `await request.body()`, `Request`, `Response` and
    # `@app.post` are all the recipe uses.
    _, fastapi = django_and_fastapi()
    ns = {**recipe_namespace(), "app": Route(), "Request": object, "Response": FrameworkResponse}
    exec(compile(fastapi, "README.md FastAPI recipe", "exec"), ns)
    view = ns["app"].views[NOTIFICATION_PATH]

    class Request:
        def __init__(self, raw: bytes) -> None:
            self.headers = dict(delivered.headers)
            self.raw = raw

        async def body(self) -> bytes:
            return self.raw

    assert asyncio.run(view(Request(delivered.body))) is None
    refused = asyncio.run(view(Request(tampered(delivered.body))))
    assert isinstance(refused, FrameworkResponse) and refused.status == 401


def test_pytest_recipe_runs_under_pytest(
    make_receiver: Callable[..., Receiver], tmp_path: Path
) -> None:
    # The recipe's app under test is played by a real endpoint here, and its `...`
    # (your checkout code) creates the payment code that the recipe then pays.
    receiver = make_receiver(doku_direct.testing.CLIENT_ID, doku_direct.testing.SECRET_KEY)
    code = swap(block("from doku_direct.testing import sandbox"), {
        "http://127.0.0.1:8000/payments/notifications": receiver.url,
        "    ...\n": textwrap.indent(textwrap.dedent("""\
            client.alfa_payment_code({
                "order": {"invoice_number": "INV-1", "amount": 150000},
                "online_to_offline_info": {"reusable_status": False},
                "customer": {"name": "Taufik Ismail"},
            })
            """), "    "),
    })
    test_file = tmp_path / "test_readme_recipe.py"
    test_file.write_text(code, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    got = receiver.wait_for(lambda r: len(r) >= 1)
    n = got[0].notification if got else None
    assert n is not None, "the recipe's sandbox delivered its notification here"
    assert n["invoice_number"] == "INV-1"


def test_the_complete_fastapi_app_runs_with_real_fastapi(sb: Sandbox) -> None:
    from fastapi.testclient import TestClient

    code = swap(block("# FastAPI, complete"), {
        '"MCH-0001-..."': repr(sb.client_id),
        'os.environ["DOKU_SECRET_KEY"]': repr(sb.secret_key),
        'environment="sandbox"': f"base_url={sb.base_url!r}",
    })
    ns: Dict[str, Any] = {}
    exec(compile(code, "README.md FastAPI app", "exec"), ns)
    with TestClient(ns["app"]) as http:
        created = http.post("/checkout/INV-FASTAPI-1")
        assert created.status_code == 200, created.text
        assert created.json()["payment_code"].isdigit()
        # DOKU's notification for that payment, signed as DOKU signs it.
        n = doku_direct.testing.signed_notification(
            "alfa", client_id=sb.client_id, secret_key=sb.secret_key,
            invoice_number="INV-FASTAPI-1", amount=150000,
        )
        assert http.post(NOTIFICATION_PATH, content=n["body"], headers=n["headers"]).status_code == 200
        assert ns["paid"] == {"INV-FASTAPI-1"}
        forged = http.post(NOTIFICATION_PATH, content=tampered(n["body"]), headers=n["headers"])
        assert forged.status_code == 401
        assert ns["paid"] == {"INV-FASTAPI-1"}
