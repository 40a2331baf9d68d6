"""Where a process spends its CPU, by layer, from py-spy samples (``pip install py-spy``).

Each sample is given to the innermost frame that belongs to a known layer: the standard library
counts for whoever called it (``json.dumps`` under kombu is kombu's), except logging, which is a
layer of its own.
"""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = tuple(os.path.join(ROOT, part) + os.sep for part in ("gateway", "services", "bench"))
LAYERS = (
    ("nameko/kombu/eventlet", ("nameko", "kombu", "amqp", "eventlet", "greenlet", "vine")),
    ("pymongo/bson", ("pymongo", "bson")),
    ("flask/gunicorn", ("flask", "flask_smorest", "werkzeug", "webargs", "gunicorn", "apispec")),
    ("marshmallow", ("marshmallow",)),
    ("jwt/crypto", ("jwt", "cryptography")),
    ("prometheus", ("prometheus_client",)),
)
STDLIB_LAYERS = (("logging", ("logging",)),)
FRAME = re.compile(r"\((?P<path>[^()]*?)(?::\d+)?\)$")


def py_spy():
    return shutil.which("py-spy", path=os.path.dirname(sys.executable)) or shutil.which("py-spy")


def record(pids, seconds, rate=100):
    """Sample ``pids`` for ``seconds``; -> list of raw (collapsed-stack) files."""
    spy = py_spy()
    if spy is None:
        raise RuntimeError("py-spy is not installed: pip install -r requirements-dev.txt -c constraints.txt")
    outputs, procs = [], []
    for pid in pids:
        handle, path = tempfile.mkstemp(suffix=".txt", prefix="spy-%d-" % pid)
        os.close(handle)
        outputs.append(path)
        command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(rate),
                   "--format", "raw", "--full-filenames", "--gil", "--nonblocking", "--output", path]
        procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs, outputs


def _module_of(path):
    """The top-level package of a site-packages or standard library path, or None."""
    marker = "site-packages" + os.sep
    if marker in path:
        return path.split(marker, 1)[1].split(os.sep, 1)[0].split(".")[0]
    return None


def layer_of(path):
    if path.startswith(OURS):
        return "our code"
    module = _module_of(path)
    if module is not None:
        for layer, modules in LAYERS:
            if module in modules:
                return layer
        return "other libraries"
    for layer, modules in STDLIB_LAYERS:
        if any((os.sep + name + os.sep) in path or path.endswith(os.sep + name + ".py") for name in modules):
            return layer
    return None


def classify(stack):
    """The layer of one collapsed stack (frames root first, ``;``-separated)."""
    for frame in reversed(stack.split(";")):
        match = FRAME.search(frame)
        layer = layer_of(match.group("path")) if match else None
        if layer:
            return layer
    return "interpreter/stdlib"


def breakdown(paths):
    """Samples per layer over the raw files ``paths``."""
    counts = collections.Counter()
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                stack, _, count = line.rstrip("\n").rpartition(" ")
                if stack and count.isdigit():
                    counts[classify(stack)] += int(count)
    return counts


def shares(counts):
    total = sum(counts.values()) or 1
    return {layer: count / total for layer, count in counts.most_common()}
