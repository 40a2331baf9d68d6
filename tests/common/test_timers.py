"""The timer entrypoint of every service: woken, paced, configured and guarded (``services.common.timers``)."""
import logging

import eventlet
from nameko.containers import ServiceContainer
from pymongo.errors import ServerSelectionTimeoutError

from services.common import timers
from services.common.timers import Signal, timer

SIGNAL = Signal()
RUNS = []


class Sleepy:
    name = "sleepy"

    @timer(interval=60, signal=SIGNAL)
    def tick(self):
        RUNS.append(eventlet.hubs.get_hub().clock())


def wait_for(predicate, timeout=5.0):
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while not predicate() and eventlet.hubs.get_hub().clock() < deadline:
        eventlet.sleep(0.01)
    return predicate()


def test_a_woken_timer_runs_at_once_and_again_for_a_later_wake():
    RUNS.clear()
    container = ServiceContainer(Sleepy, {})
    container.start()
    try:
        eventlet.sleep(0.05)
        assert RUNS == []
        SIGNAL.wake()
        SIGNAL.wake()
        assert wait_for(lambda: len(RUNS) == 1)
        eventlet.sleep(0.05)
        assert len(RUNS) == 1
        SIGNAL.wake()
        assert wait_for(lambda: len(RUNS) == 2)
    finally:
        container.stop()


BACKLOG = []
BATCHES = []


class Batched:
    name = "batched"

    @timer(interval=60, signal=SIGNAL)
    def drain(self):
        """A batch of up to three; true when it was whole (more may be waiting)."""
        batch, BACKLOG[:3] = BACKLOG[:3], []
        BATCHES.append(batch)
        return len(batch) == 3


def test_a_woken_timer_whose_run_took_a_whole_batch_runs_again_at_once():
    BACKLOG[:], BATCHES[:] = list(range(8)), []
    container = ServiceContainer(Batched, {})
    container.start()
    try:
        SIGNAL.wake()
        assert wait_for(lambda: len(BATCHES) == 3)  # 3, 3, then 2: the interval is a minute
        assert BATCHES == [[0, 1, 2], [3, 4, 5], [6, 7]]
        eventlet.sleep(0.1)
        assert len(BATCHES) == 3
    finally:
        container.stop()


def test_a_timer_between_runs_stops_at_once():
    container = ServiceContainer(Sleepy, {})
    container.start()
    eventlet.sleep(0.05)
    with eventlet.Timeout(2):
        container.stop()
    RUNS.clear()
    SIGNAL.wake()
    eventlet.sleep(0.05)
    assert RUNS == []


def test_a_paced_timer_runs_when_woken_when_its_last_run_found_more_or_when_idle_long_enough():
    signal = Signal()
    paced = timers.Timer(0.5, signal=signal, idle=60)
    assert paced.due()  # the first tick
    assert not paced.due()
    signal.wake()
    assert paced.due()
    assert not paced.due()
    paced.more = True
    assert paced.due()
    paced.more = False
    paced.last -= 61
    assert paced.due()
    assert timers.Timer(0.5).due()


def test_an_interval_may_name_a_configuration_variable_read_at_start(monkeypatch):
    monkeypatch.setenv("FEEDBACK_SLA_SCAN_INTERVAL", "7")
    configured = timers.Timer("FEEDBACK_SLA_SCAN_INTERVAL")
    configured.setup()
    assert configured.interval == 7.0


def test_a_guarded_run_that_lost_the_database_is_a_warning_and_ends(caplog):
    class Service:
        name = "sleepy"

        def sweep(self):
            raise ServerSelectionTimeoutError("no server")

    with caplog.at_level(logging.WARNING, logger=timers.__name__):
        assert timers.guarded("expiry sweep", Service.sweep)(Service()) is None
    assert "expiry sweep of sleepy: database unavailable (ServerSelectionTimeoutError)" in caplog.text


class Long:
    name = "long"
    stopping = timers.Stopping()

    @timer(interval=0.01)
    def work(self):
        RUNS.append("started")
        while not self.stopping():
            eventlet.sleep(0.01)
        RUNS.append("ended")


def test_a_long_run_sees_its_timer_stopping_and_the_container_stops_at_once():
    RUNS.clear()
    container = ServiceContainer(Long, {})
    container.start()
    assert wait_for(lambda: RUNS == ["started"])
    with eventlet.Timeout(2):
        container.stop()
    assert RUNS == ["started", "ended"]
