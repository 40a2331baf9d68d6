"""Sites as a service's replica of accounts' sites holds them (``services.common.sites``), for
tests that run a service's rules without accounts."""
from services.common import config, sites
from services.common.mongo import connect

# Every site the unit and integration tests name.
TEST_SITES = ("site-a", "site-b", "site-c", "site-d", "s1", "s2", "s3", "s9")


def site_entry(site_id, status=sites.ACTIVE, version=1):
    return {"site_id": site_id, "code": site_id.upper(), "name": "Plant %s" % site_id, "timezone": "Asia/Shanghai",
            "status": status, "version": version}


def known_sites(db, *site_ids, status=sites.ACTIVE, version=1):
    """Put ``site_ids`` (by default every test site) in the replica with ``status``; a newer
    version wins over what is there."""
    sites.sync(db, [site_entry(site_id, status, version) for site_id in site_ids or TEST_SITES])


def known_to_running_service(service="customers"):
    """The test sites in the replica of ``service`` running in this test (its database named by
    the current ``CRM_DB_PREFIX``)."""
    client = connect(config.mongo_uri(service))
    try:
        known_sites(client[config.database_name(service)])
    finally:
        client.close()


def refused_on_site(call, *args):
    """``call(*args)`` must be refused with 422 on ``site_id`` alone; -> the error (its ``code``:
    ``unknown_site`` or ``site_disabled``, when the site is what is wrong)."""
    import pytest

    from services.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as failure:
        call(*args)
    assert list(failure.value.fields) == ["site_id"]
    return failure.value


def accounts_knows_no_other_site(monkeypatch):
    """accounts, asked about a site the replica does not hold, knows none either."""
    from services.common import remote

    def answer(service, method, *args, **kwargs):
        assert (service, method) == ("accounts", "site_directory")
        return {"items": []}

    monkeypatch.setattr(remote, "call", answer)
