"""Each service's replica of the sites, on the real DB: the newest version wins whatever the order,
an unknown id is asked of accounts once, and every write's rule refuses unknown, disabled and
deleted sites naming the field."""
import pytest

from services.common import sites
from services.common.envelope import make_event
from services.common.errors import Unavailable, ValidationFailed


@pytest.fixture
def db(db_factory):
    return db_factory("customers")


def site(version, status="active", name="Plant A", site_id="s-a"):
    return {"site_id": site_id, "code": "PA", "name": name, "timezone": "Asia/Shanghai", "status": status,
            "version": version}


def nobody_asked(site_ids):
    raise AssertionError("accounts was asked about %s" % site_ids)


def test_the_newest_version_wins_in_any_order(db):
    sites.save(db, site(3, "disabled", "Plant A (old)"))
    sites.save(db, site(2, "active", "Plant A (older)"))
    sites.apply_event(db, make_event("accounts.site_updated", site(1)))
    known = sites.find(db, "s-a")
    assert (known["status"], known["name"], known["version"]) == ("disabled", "Plant A (old)", 3)
    sites.save(db, site(4, "active", "Plant A (renamed)"))
    assert sites.find(db, "s-a")["name"] == "Plant A (renamed)"


def test_a_tombstone_is_not_brought_back_by_a_late_event(db):
    sites.sync(db, [site(5, "deleted")])
    sites.apply_event(db, make_event("accounts.site_disabled", site(4, "disabled")))
    assert sites.status_of(db, "s-a", nobody_asked) == "deleted"


def test_an_active_site_passes_without_asking_accounts(db):
    sites.sync(db, [site(1), site(1, "disabled", site_id="s-b")])
    sites.require(db, "s-a", lookup=nobody_asked)
    assert sites.known_ids(db) == {"s-a", "s-b"}


@pytest.mark.parametrize("status,code", [("disabled", "site_disabled"), ("deleted", "unknown_site")])
def test_disabled_and_deleted_sites_are_refused_naming_the_field(db, status, code):
    sites.save(db, site(2, status))
    with pytest.raises(ValidationFailed) as refused:
        sites.require(db, "s-a", field="target_site_id", lookup=nobody_asked)
    assert refused.value.code == code
    assert list(refused.value.fields) == ["target_site_id"]


def test_an_unknown_id_is_asked_of_accounts_once_and_then_known(db):
    asked = []

    def accounts(site_ids):
        asked.append(site_ids)
        return [site(1, site_id=i) for i in site_ids if i == "s-new"]

    sites.require(db, "s-new", lookup=accounts)
    sites.require(db, "s-new", lookup=accounts)
    assert asked == [["s-new"]]
    with pytest.raises(ValidationFailed) as refused:
        sites.require(db, "no-such-site", lookup=accounts)
    assert refused.value.fields == {"site_id": ["No such site."]}


@pytest.mark.parametrize("value", [None, "", 42, ["s-a"], {"$ne": None}, "x" * 65])
def test_what_is_not_a_site_id_is_refused_without_a_question(db, value):
    with pytest.raises(ValidationFailed):
        sites.require(db, value, lookup=nobody_asked)


def test_accounts_down_while_the_site_is_unknown_is_unavailable_never_a_pass(db):
    def down(site_ids):
        raise Unavailable("The accounts service is unavailable.")

    with pytest.raises(Unavailable):
        sites.require(db, "s-unknown", lookup=down)


def test_events_of_one_site_handled_at_once_by_many_workers_leave_the_newest_version(db):
    """A site's created, updated and disabled events arrive together on three queues; their
    workers race to insert the absent site, and the newest version must still win."""
    import threading

    for round_ in range(5):
        site_id = "s-race-%d" % round_
        barrier = threading.Barrier(3)

        def handle(version, status):
            barrier.wait()
            sites.save(db, site(version, status, site_id=site_id))

        workers = [threading.Thread(target=handle, args=(version, status))
                   for version, status in ((1, "active"), (2, "active"), (3, "disabled"))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        known = sites.find(db, site_id)
        assert (known["version"], known["status"]) == (3, "disabled")
