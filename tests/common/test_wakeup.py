import eventlet
from nameko.containers import ServiceContainer

from services.common.wakeup import Signal, wakeable_timer

SIGNAL = Signal()
RUNS = []


class Sleepy:
    name = "sleepy"

    @wakeable_timer(interval=60, signal=SIGNAL)
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
