"""docs/events.md lists exactly the events each service's catalogue can publish."""
import os
import re

import pytest

from deploy.processes import SERVICES
from services.common.envelope import Catalogue
from services.notifications.catalogue import CONTRACTS

DOC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "docs", "events.md")
ROW = re.compile(r"^\|\s*`([a-z_]+\.[a-z_]+)`\s*\|\s*([^|]*)\|\s*$")


def documented():
    rows = {}
    with open(DOC, encoding="utf-8") as handle:
        for line in handle:
            match = ROW.match(line.strip())
            if match:
                rows[match.group(1)] = tuple(f.strip() for f in match.group(2).split(",") if f.strip())
    return rows


def catalogues():
    """Every service's catalogue, read from its contract module."""
    assert set(CONTRACTS) == set(SERVICES), "a service without its contract in the catalogue"
    found = {}
    for contract in CONTRACTS.values():
        found.update(contract.CATALOGUE.types)
    return found


def test_every_published_event_is_documented_with_its_fields():
    docs, code = documented(), catalogues()
    assert code, "no event catalogue found"
    for event_type, fields in code.items():
        assert event_type in docs, "%s is missing from docs/events.md" % event_type
        assert sorted(docs[event_type]) == sorted(fields), event_type


def test_nothing_is_documented_that_the_code_cannot_publish():
    assert set(documented()) <= set(catalogues())


def test_the_catalogue_refuses_an_event_it_does_not_know_or_with_other_fields():
    catalogue = Catalogue("demo", {"thing_done": ("a", "b")})
    assert catalogue.event("thing_done", {"a": 1, "b": 2})["type"] == "demo.thing_done"
    with pytest.raises(ValueError):
        catalogue.event("other", {})
    with pytest.raises(ValueError):
        catalogue.event("thing_done", {"a": 1})
