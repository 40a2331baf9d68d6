"""The dates automation rules look for: month and day of a birthday or anniversary, the keys that find them."""
import datetime

from services.customers import dates, listing


def test_29_february_is_matched_on_the_28th_in_a_common_year_only():
    assert dates.month_days(datetime.date(2027, 2, 28)) == ["02-28", "02-29"]
    assert dates.month_days(datetime.date(2028, 2, 28)) == ["02-28"]
    assert dates.month_days(datetime.date(2028, 2, 29)) == ["02-29"]
    assert dates.month_days(datetime.date(2026, 12, 6)) == ["12-06"]


def test_a_live_customer_is_found_by_its_anniversary_and_last_order_and_interaction():
    created = datetime.datetime(2024, 3, 1, 23, 30, tzinfo=datetime.timezone.utc)
    customer = {"created_at": created, "deleted_at": None, "last_order_date": "2026-11-02",
                "last_interaction_date": "2026-11-20"}
    assert listing.due_keys(customer) == ["last_interaction:2026-11-20", "last_order:2026-11-02", "since:03-01"]
    assert "since:05-04" in listing.due_keys(dict(customer, customer_since="2011-05-04"))
    assert listing.due_keys(dict(customer, deleted_at=created)) == []
