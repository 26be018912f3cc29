"""The overall deadline and Ctrl-C: a blocking call never holds a Python program hostage.

No test measures time. The stalling server never answers; what is checked is the error
the caller gets (its kind and the limit it names) and that a real SIGINT ends a call whose
own limits are ten minutes away. The subprocess wait is only a guard against hanging.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

import doku_direct
from support import Stalling

CHILD = textwrap.dedent(
    """
    import signal
    import sys
    import doku_direct

    # As in a terminal: a runner started in the background may have SIGINT ignored,
    # which its children inherit.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    client = doku_direct.Client(
        "C", "S", base_url=sys.argv[1], timeout=600, deadline=1200, retries=0
    )
    print("calling", flush=True)
    try:
        client.check_status("INV-1", request_id="rid-ctrl-c")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("the call returned", flush=True)
    """
)


def test_the_deadline_ends_a_stalled_call(stalling_server: Stalling) -> None:
    client = doku_direct.Client(
        "C", "S", base_url=stalling_server.url, timeout=10, deadline=0.3, retries=5
    )
    with pytest.raises(doku_direct.TimeoutError) as e:
        client.check_status("INV-1", request_id="rid-deadline")
    assert "overall deadline of 300 ms" in e.value.message
    assert e.value.request_id == "rid-deadline"


def test_deadline_is_given_once_in_seconds_or_milliseconds() -> None:
    with pytest.raises(doku_direct.InvalidInputError) as e:
        doku_direct.Client("C", "S", deadline=1, deadline_ms=1000)
    assert e.value.field == "deadline"
    with pytest.raises(doku_direct.ConfigError) as c:
        doku_direct.Client("C", "S", deadline_ms=0)
    assert c.value.field == "deadline_ms"
    doku_direct.Client("C", "S", deadline=2.5)


def test_ctrl_c_interrupts_a_blocked_call(stalling_server: Stalling) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, stalling_server.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "calling"
        # The request is on the wire: the server has accepted the connection.
        assert stalling_server.accepted.wait(30), "the child never connected"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 3, (out, err)
    assert "interrupted" in out
