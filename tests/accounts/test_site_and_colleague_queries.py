"""The sites a caller lists and the colleagues a picker offers, on the real database server: the
answers, and the query shapes the store sends (``services/accounts/store.py``)."""
import datetime

from services.accounts import management, sites, store
from services.common.auth import Caller
from tests.support import windows as support

watched_db = support.watched_db

AT = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
ADMIN_A = Caller("u-admin-a", ["s-a", "s-c"], ["users:admin"])
ADMIN_ALL = Caller("u-admin", [], ["users:admin", "sites:all"])


def seed(db):
    store.ensure_indexes(db)
    for code, status in (("A", "active"), ("B", "active"), ("C", "deleted"), ("D", "disabled")):
        db.sites.insert_one({"_id": "s-%s" % code.lower(), "code": code, "code_key": code.lower(), "name": code,
                             "timezone": "UTC", "status": status, "version": 1, "created_at": AT})
    for name, user_sites, status in (("ann", ["s-a"], "active"), ("bo", ["s-b"], "active"),
                                     ("cy", ["s-a", "s-b"], "deleted"), ("di", ["s-c"], "active")):
        db.users.insert_one({"_id": "u-" + name, "username": name, "username_key": name, "display_name": name.title(),
                             "sites": user_sites, "status": status, "created_at": AT})


def test_sites_are_found_by_id_first_never_by_the_status_they_are_not(watched_db):
    db, finds = watched_db
    seed(db)
    finds.clear()
    assert [site["code"] for site in sites.list_sites(db, ADMIN_A)["items"]] == ["A"]
    assert [site["code"] for site in sites.list_sites(db, ADMIN_ALL)["items"]] == ["A", "B", "D"]
    assert [site["code"] for site in sites.site_directory(db, ["s-d", "s-c"])["items"]] == ["C", "D"]
    assert [site["code"] for site in sites.site_directory(db)["items"]] == ["A", "B", "C", "D"]
    limited, everywhere, named, every = finds.of("sites")
    assert list(limited) == ["_id", "status"] and limited["_id"] == {"$in": ["s-a", "s-c"]}
    assert everywhere == {"status": {"$ne": "deleted"}}
    assert named == {"_id": {"$in": ["s-d", "s-c"]}} and every == {}
    assert store.find_site_by_code(db, "b")["_id"] == "s-b" and store.find_site_by_code(db, "x") is None


def test_colleagues_are_the_active_users_of_the_callers_or_the_named_site(watched_db):
    db, finds = watched_db
    seed(db)
    finds.clear()

    def names(caller, **filters):
        return [user["username"] for user in management.colleagues(db, caller, filters)["items"]]

    assert names(ADMIN_A) == ["ann", "di"]
    assert names(ADMIN_ALL) == ["ann", "bo", "di"]
    assert names(ADMIN_ALL, site_id="s-b") == ["bo"] and names(ADMIN_A, site_id="s-b") == []
    assert names(ADMIN_ALL, ids=["u-cy", "u-bo"]) == ["bo"] and names(ADMIN_A, ids=["u-bo", "u-di"]) == ["di"]
    queries = finds.of("users")
    assert queries[0] == {"status": "active", "sites": {"$in": ["s-a", "s-c"]}}
    assert queries[1:3] == [{"status": "active"}, {"status": "active", "sites": {"$in": ["s-b"]}}]
    assert list(queries[4]) == ["status", "_id", "sites"]


def test_a_sign_in_key_finds_one_user_by_username_or_email_and_never_guesses_between_two(watched_db):
    """One indexed query each (no ``$or``, which reads every user); a key that is one user's username
    and another's e-mail finds neither."""
    db, finds = watched_db
    seed(db)
    db.users.update_one({"_id": "u-ann"}, {"$set": {"email_key": "ann@example.com"}})
    db.users.update_one({"_id": "u-bo"}, {"$set": {"email_key": "di"}})
    finds.clear()
    assert store.find_user_by_key(db, "ann")["_id"] == "u-ann"
    assert store.find_user_by_key(db, "ann@example.com")["_id"] == "u-ann"
    assert store.find_user_by_key(db, "di") is None  # di's username, bo's e-mail
    assert store.find_user_by_key(db, "nobody") is None
    assert all(list(query) in (["username_key"], ["email_key"]) for query in finds.of("users")), finds.of("users")
