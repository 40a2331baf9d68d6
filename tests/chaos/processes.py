"""The process ids of a running stack, children included (gunicorn's workers)."""
import subprocess


def children(pid):
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return sorted(int(child) for child in found)


def process_ids(stack):
    """``{process name: [its pid, then its children's]}``; a restarted process shows as a change."""
    return {name: [proc.pid] + children(proc.pid) for name, proc in stack.procs.items()}
