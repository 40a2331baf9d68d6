"""Timer entrypoints: every service's periodic work runs through ``timer``.

``timer`` is nameko's timer (a run every ``interval`` seconds, or at once after a longer run)
with these options:

- ``interval`` (and ``idle``) may name a configuration variable instead of giving seconds: it is
  read when the container starts, so a test or an operator can change it without re-importing the
  service;
- ``guard``: what the timer does, named in the warning logged when a run finds the database
  unavailable (a ``PyMongoError``); the run ends there and the next one tries again. Without a
  guard such an error is the worker's, as any other;
- ``signal``: a ``Signal`` shared with whoever stores the work. ``wake()`` after the work is
  stored, and the timer starts its next run now instead of at its next interval (a run already
  going is followed by another one), as it does after a run that returned a true value (more to
  do: a whole batch). Without a wake it runs every ``interval`` seconds, which still catches work
  other processes stored;
- ``signal`` with ``idle``: the timer ticks every ``interval`` but runs only when the signal was
  woken since its last run, its last run returned a true value (more to do), or ``idle``
  seconds passed. For work whose signal is woken before the write that stores it (the outbox),
  and whose idle run costs queries.

A long run asks ``Stopping`` (a dependency) whether its timer is being stopped, and ends early:
the container waits for a running worker before it stops, so a run over every customer would
otherwise hold a service's shutdown for as long as it takes.
"""
import functools
import logging
import time

from eventlet import Timeout
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from nameko.timer import Timer as NamekoTimer
from pymongo.errors import PyMongoError

from services.common import config

log = logging.getLogger(__name__)


class Signal:
    """Wakes the timers listening to it in this process; ``wakes`` counts the wakes."""

    def __init__(self):
        self._listeners = set()
        self.wakes = 0

    def listen(self, event):
        self._listeners.add(event)

    def forget(self, event):
        self._listeners.discard(event)

    def wake(self):
        self.wakes += 1
        for event in list(self._listeners):
            if not event.ready():
                event.send(True)


class Timer(NamekoTimer):
    """The timer entrypoint behind ``timer`` (see the module's docstring)."""

    def __init__(self, interval, eager=False, signal=None, idle=None, **kwargs):
        self.signal = signal
        self.idle = idle
        self.woken = Event()
        self.seen = -1
        self.last = 0.0
        self.more = False
        super().__init__(interval, eager=eager, **kwargs)

    @property
    def wakeable(self):
        return self.signal is not None and self.idle is None

    def setup(self):
        if isinstance(self.interval, str):
            self.interval = config.get_float(self.interval)
        if isinstance(self.idle, str):
            self.idle = config.get_float(self.idle)

    def start(self):
        if self.wakeable:
            self.signal.listen(self.woken)
        super().start()

    def stop(self):
        if self.wakeable:
            self.signal.forget(self.woken)
            if not self.woken.ready():
                self.woken.send(True)  # ends the wait at once; the loop then sees should_stop
        super().stop()

    def kill(self):
        if self.wakeable:
            self.signal.forget(self.woken)
        super().kill()

    def _run(self):
        if not self.wakeable:
            super()._run()
            return
        while True:
            if not self.more:
                with Timeout(self.interval, exception=False):
                    self.woken.wait()
            if self.woken.ready():
                self.woken.reset()
            if self.should_stop.ready():
                break
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()

    def handle_timer_tick(self):
        if self.due():
            super().handle_timer_tick()
        else:
            self.worker_complete.send()

    def due(self):
        """Whether this tick runs (always, but for a timer with ``idle``)."""
        if self.idle is None:
            return True
        now = time.monotonic()
        if self.more or self.seen != self.signal.wakes or now - self.last >= self.idle:
            self.seen, self.last = self.signal.wakes, now
            return True
        return False

    def handle_result(self, worker_ctx, result, exc_info):
        self.more = exc_info is None and bool(result)
        return super().handle_result(worker_ctx, result, exc_info)


class Stopping(DependencyProvider):
    """The worker's ``stopping()``: true once the timer that started it is being stopped (never
    for a worker another entrypoint started)."""

    def get_dependency(self, worker_ctx):
        should_stop = getattr(worker_ctx.entrypoint, "should_stop", None)
        return lambda: should_stop is not None and should_stop.ready()


def timer(interval, guard=None, **options):
    """Declare a timer entrypoint (``eager``, ``signal``, ``idle``: see the module's docstring)."""
    def decorator(method):
        if guard is not None:
            method = guarded(guard, method)
        return Timer.decorator(interval=interval, **options)(method)

    return decorator


def guarded(doing, method):
    """``method`` of a service, with a ``PyMongoError`` logged as a warning naming ``doing``."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except PyMongoError as exc:
            log.warning("%s of %s: database unavailable (%s)", doing, self.name, type(exc).__name__)
            return None

    return run
