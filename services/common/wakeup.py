"""Timers that a worker of the same process can wake, so work it just queued runs at once.

A ``Signal`` is shared by whoever queues the work and the timers that do it: ``wake()`` after
the work is stored, and each listening timer starts its next run now instead of at its next
interval (a run already going is followed by another one). Without a wake the timer runs every
``interval`` seconds as before, which still catches work other processes queued.
"""
from eventlet import Timeout
from eventlet.event import Event
from nameko.timer import Timer


class Signal:
    """Wakes the timers listening to it in this process."""

    def __init__(self):
        self._listeners = set()

    def listen(self, event):
        self._listeners.add(event)

    def forget(self, event):
        self._listeners.discard(event)

    def wake(self):
        for event in list(self._listeners):
            if not event.ready():
                event.send(True)


class WakeableTimer(Timer):
    """nameko's timer entrypoint, also run as soon as ``signal`` is woken."""

    def __init__(self, interval, signal, **kwargs):
        self.signal = signal
        self.woken = Event()
        super().__init__(interval, **kwargs)

    def start(self):
        self.signal.listen(self.woken)
        super().start()

    def stop(self):
        self.signal.forget(self.woken)
        self.should_stop.send(True)
        if not self.woken.ready():
            self.woken.send(True)
        self.gt.wait()

    def kill(self):
        self.signal.forget(self.woken)
        super().kill()

    def _run(self):
        while True:
            with Timeout(self.interval, exception=False):
                self.woken.wait()
            if self.woken.ready():
                self.woken.reset()
            if self.should_stop.ready():
                break
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()


wakeable_timer = WakeableTimer.decorator
