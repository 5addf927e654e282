"""Attack 7 of the v1 audit: owner changes reaching into running tasks.

In v1, slash amounts were read at finalize and a waiting task took the windows in
force at its activation, so an owner change applied to tasks already running. In
v2 a task records the parameter version of its creation and keeps its windows and
slash amounts whatever the owner changes later.
"""

from __future__ import annotations

import boa
from eth_utils import keccak

from deployments.boa_chain import mine, to_next_epoch
from deployments.params import Params
from tests.contracts.attacks.conftest import seat_task
from tests.contracts.utils.draws import distinct, members_of
from tests.contracts.utils.protocol import ETHER, commitment, new_salt

OUTPUT = b'{"dim":384,"i8":"AAAA"}'


def _play_with_one_silent(world, task_id):
    """All members but the first commit and reveal OUTPUT; returns the silent one."""
    members = members_of(world.market.committeeOf(task_id))
    silent, *speaking = members
    salts = {m: new_salt() for m in speaking}
    for m in speaking:
        with boa.env.prank(m):
            world.market.commit(task_id, commitment(task_id, m, keccak(OUTPUT), salts[m]))
    t = world.market.getTask(task_id)
    boa.env.time_travel(seconds=t.commit_end - boa.env.timestamp)
    for m in speaking:
        with boa.env.prank(m):
            world.market.reveal(task_id, keccak(OUTPUT), salts[m])
    t = world.market.getTask(task_id)
    boa.env.time_travel(seconds=t.reveal_end - boa.env.timestamp)
    return silent


def _raise_everything(world):
    with boa.env.prank(world.owner):
        world.market.setSlashAmounts(10 * world.params.slash_missed, 10 * world.params.slash_wrong)
        world.market.setWindows(600, 600)


def test_v2_running_and_waiting_tasks_keep_their_parameters(deploy_v2):
    world = deploy_v2(Params())
    for _ in range(4):
        world.add_agent(ETHER)
    to_next_epoch()
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, ETHER)
    running = seat_task(world, requester, 3, 2, distinct)
    with boa.env.prank(requester):
        waiting = world.market.createTask(world.model_id, b"x", 3, 2, [], value=10**15)
    before = world.market.getTask(running)

    _raise_everything(world)
    assert world.market.getTask(running) == before
    silent = _play_with_one_silent(world, running)
    stake = world.staking.stakeOf(silent)
    world.market.finalize(running, OUTPUT)
    assert world.staking.stakeOf(silent) == stake - world.params.slash_missed

    # A task created before the change and activated after it keeps its own too.
    mine(1)
    now = boa.env.timestamp
    world.market.activate(waiting)
    t = world.market.getTask(waiting)
    assert t.reveal_end - now == world.params.commit_window + world.params.reveal_window
    assert (t.slash_missed, t.slash_wrong) == (world.params.slash_missed, world.params.slash_wrong)


def test_v1_the_owner_reached_into_a_running_task(deploy_v1):
    world = deploy_v1(Params())
    for _ in range(4):
        world.add_agent(ETHER)
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, ETHER)
    with boa.env.prank(requester):
        running = world.market.createTask(world.model_id, b"x", 3, 2, [], value=10**15)
    _raise_everything(world)
    silent = _play_with_one_silent(world, running)
    stake = world.staking.stakeOf(silent)
    world.market.finalize(running, OUTPUT)
    assert world.staking.stakeOf(silent) == stake - 10 * world.params.slash_missed
