"""`make test` runs every test: the last, lone run of the tests that stop the RabbitMQ node collects
only the files the Makefile names (BROKER_OUTAGE), and every other run leaves such tests out."""
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "mark." + "broker_outage"  # spelled apart so this file does not count as one holding the mark


def makefile_list(name):
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    [value] = re.findall(r"^%s\s*:=\s*(.*)$" % name, text, flags=re.MULTILINE)
    return value.split()


def test_the_broker_outage_run_collects_every_file_holding_such_a_test():
    marked = sorted(str(path.relative_to(ROOT)).replace(os.sep, "/") for path in (ROOT / "tests").rglob("*.py")
                    if MARK in path.read_text(encoding="utf-8"))
    assert marked, "no test is marked broker_outage any more"
    assert sorted(makefile_list("BROKER_OUTAGE")) == marked


def test_the_lanes_name_existing_paths():
    for path in makefile_list("BESIDE_BROWSER") + makefile_list("BROKER_OUTAGE"):
        assert (ROOT / path).exists(), path
