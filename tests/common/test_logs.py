"""Structured log lines and the request id they carry."""
import copy
import io
import json
import logging
import logging.config

import yaml
from nameko.cli.main import setup_yaml_parser

from services.common import envelope, logs
from tests.support.stack import ROOT


def capture(config):
    """A logger configured by ``config`` writing to a string buffer."""
    stream = io.StringIO()
    config = copy.deepcopy(config)
    config["handlers"]["console"]["stream"] = "ext://%s.STREAM" % __name__
    globals()["STREAM"] = stream
    logging.config.dictConfig(config)
    return stream


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def teardown_function():
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False, "root": {"handlers": []}})


def test_a_line_is_one_json_object_with_the_request_id(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    stream = capture(logs.logging_config())
    logs.set_process_name("customers")
    with logs.request_scope("req-42"):
        logging.getLogger("crm.test").warning("stock for %s is low", "M8 bolts")
    logging.getLogger("crm.test").warning("outside")
    inside, outside = lines(stream)
    assert inside["message"] == "stock for M8 bolts is low"
    assert inside["request_id"] == "req-42" and outside["request_id"] is None
    assert inside["level"] == "WARNING" and inside["logger"] == "crm.test" and inside["service"] == "customers"
    assert inside["time"].endswith("+00:00")


def test_exceptions_and_extra_fields_stay_inside_the_line(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    stream = capture(logs.logging_config())
    try:
        raise ValueError("bad row")
    except ValueError:
        logging.getLogger("crm.test").exception("import failed", extra={"row": 7})
    [line] = lines(stream)
    assert line["row"] == 7 and "ValueError: bad row" in line["exc_info"]


def test_plain_format_for_people(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "plain")
    stream = capture(logs.logging_config())
    with logs.request_scope("abc"):
        logging.getLogger("crm.test").info("hello")
    assert stream.getvalue().strip().endswith("crm.test [abc] hello")


def test_scopes_nest_and_restore():
    with logs.request_scope("outer"):
        with logs.request_scope("inner"):
            assert logs.current_request_id() == "inner"
        assert logs.current_request_id() == "outer"
    assert logs.current_request_id() is None


def test_events_carry_the_request_id_they_were_raised_under():
    with logs.request_scope("req-7"):
        event = envelope.make_event("customers.customer_created", {"id": "c1"})
    assert event["request_id"] == "req-7"
    assert envelope.make_event("customers.customer_created", {})["request_id"] is None


def test_the_services_logging_config_is_the_same_json_setup(monkeypatch):
    setup_yaml_parser()
    monkeypatch.setenv("LOG_FORMAT", "json")
    with open(ROOT + "/deploy/nameko.yml", encoding="utf-8") as f:
        config = yaml.safe_load(f)["LOGGING"]
    stream = capture(config)
    with logs.request_scope("svc-1"):
        logging.getLogger("nameko.test").info("served")
    [line] = lines(stream)
    assert line["request_id"] == "svc-1" and line["message"] == "served"


