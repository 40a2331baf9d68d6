"""CPU time and peak memory of processes, from /proc: what each part of a system spent on a run."""
import os
import subprocess

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU seconds of ``pid`` so far (0 when it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_kib(pids):
    """The largest VmHWM (peak resident memory, KiB) among ``pids`` (0 when all are gone)."""
    peaks = []
    for pid in pids:
        try:
            with open("/proc/%s/status" % pid) as handle:
                peaks += [int(line.split()[1]) for line in handle if line.startswith("VmHWM")]
        except OSError:
            pass
    return max(peaks, default=0)


def children(pid):
    """``pid`` and its direct children."""
    return [str(pid)] + subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()


def broker_pids():
    """The RabbitMQ node's processes (shared with anything else using the broker)."""
    found = subprocess.run(["pgrep", "-f", "beam.smp.*rabbit"], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


class Meter:
    """CPU seconds per named group of processes between ``start()`` and ``stop()``."""

    def __init__(self, groups):
        self.groups = groups
        self.before = {}

    def _sample(self):
        return {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in self.groups.items()}

    def start(self):
        self.before = self._sample()

    def stop(self):
        after = self._sample()
        return {name: after[name] - self.before.get(name, 0.0) for name in self.groups}
