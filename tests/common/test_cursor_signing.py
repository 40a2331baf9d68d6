"""List cursors are signed, bound to their list, and carry only plain values of known types."""
import base64
import datetime
import json

import pytest
from bson import ObjectId

from services.common import paging
from services.common.errors import BadRequest


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CRM_SECRET_KEY", "cursor tests")


def _body(cursor):
    body = cursor.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _forged(content, mac_of=None):
    """``content`` as a cursor body with the signature of ``mac_of`` (or a made-up one)."""
    body = base64.urlsafe_b64encode(json.dumps(content).encode()).decode().rstrip("=")
    return "%s.%s" % (body, mac_of.split(".")[1] if mac_of else "A" * 22)


def _refused(key, cursor):
    with pytest.raises(BadRequest) as refused:
        paging.decode_cursor(key, cursor)
    assert list(refused.value.fields) == ["cursor"]


@pytest.mark.parametrize("value", [None, True, 7, 2.5, "Zhongshan 精密", datetime.datetime(
    2026, 3, 1, 8, 30, 15, 123000, tzinfo=datetime.timezone.utc)])
def test_every_sort_value_type_survives_the_round_trip(value):
    cursor = paging.encode_cursor("db.items:-rank", value, "id-1", 42)
    assert paging.decode_cursor("db.items:-rank", cursor) == (value, "id-1", 42)


def test_object_ids_and_naive_times_come_back_as_such():
    ident, naive = ObjectId(), datetime.datetime(2026, 1, 2, 3, 4, 5)
    value, decoded, _ = paging.decode_cursor("k", paging.encode_cursor("k", naive, ident, 0))
    assert decoded == ident and value == naive.replace(tzinfo=datetime.timezone.utc)


def test_a_cursor_of_another_list_sort_or_direction_is_refused():
    cursor = paging.encode_cursor("db.customers:-legal_name", "Acme", "c1", 3)
    for other in ("db.users:-legal_name", "db.customers:legal_name", "db.customers:-created_at",
                  "other.customers:-legal_name"):
        _refused(other, cursor)


def test_an_edited_cursor_is_refused_even_with_plain_values():
    cursor = paging.encode_cursor("k", "Acme", "c1", 3)
    assert _body(cursor) == [["s", "Acme"], ["s", "c1"], 3]
    _refused("k", _forged([["s", "Zeta"], ["s", "c1"], 3], cursor))
    _refused("k", _forged([["s", "Acme"], ["s", "c1"], 3]))


def test_operators_regexes_and_junk_never_decode():
    bad = [{"$in": ["x"]}, {"$regex": "^(a+)+$"}, ["d", 1], ["s", 5], ["i", "5"], ["i", True], ["x", 1], "Acme"]
    for value in bad:
        body = base64.urlsafe_b64encode(json.dumps([value, ["s", "c1"], 3]).encode()).decode().rstrip("=")
        signed = "%s.%s" % (body, paging._b64(paging._mac("k", body)))
        _refused("k", signed)
    for junk in ("", "not-a-cursor", "a.b.c", "é.x", "x" * 5000, "eyJ9.AAAA", None, 5, {"$gt": ""}):
        _refused("k", junk)


def test_a_signed_cursor_with_a_bad_id_or_total_is_refused():
    for content in ([["s", "a"], ["n", None], 3], [["s", "a"], ["f", 1.5], 3], [["s", "a"], ["s", "c"], -1],
                    [["s", "a"], ["s", "c"], True], [["s", "a"], ["s", "c"]], [["s", "a"], ["o", "zz"], 1]):
        body = base64.urlsafe_b64encode(json.dumps(content).encode()).decode().rstrip("=")
        _refused("k", "%s.%s" % (body, paging._b64(paging._mac("k", body))))


def test_a_cursor_made_under_another_secret_is_refused(monkeypatch):
    cursor = paging.encode_cursor("k", "Acme", "c1", 3)
    monkeypatch.setenv("CRM_SECRET_KEY", "another deployment")
    _refused("k", cursor)
