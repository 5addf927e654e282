"""The blocking client where plain ``asyncio.run`` would not do: inside a running event
loop (a notebook), and interrupted by Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import pytest

from oracles.client import Client, Phase
from tests.client.conftest import ClientNet


def test_blocking_calls_inside_a_running_event_loop(client: Client) -> None:
    async def notebook_cell() -> int:
        return client.claimable()  # a blocking call from a coroutine, as in a notebook

    assert asyncio.run(notebook_cell()) == client.claimable()


def test_ctrl_c_interrupts_a_wait_and_the_client_goes_on(
    network: ClientNet, client: Client
) -> None:
    handle = client.submit(network.model("embedding"), {"text": "interrupt me"})
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        timer.start()
        handle.wait()
    timer.join()
    assert not handle.status().final  # interrupted while it ran, not after it ended
    assert client.task(handle.task_id).wait() == handle.output()  # the task went on
    assert handle.status() == Phase.SUCCEEDED
