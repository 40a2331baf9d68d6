"""The clock every record and event is stamped with: UTC, to the millisecond, as ISO 8601 text."""
import datetime


def utcnow():
    """Now, in UTC, to the millisecond: what BSON keeps, so a record reads back as it was written."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def isoformat(moment):
    return moment.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(text):
    """The moment an ``isoformat`` text names (aware, UTC)."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)


def day_bounds(since, until, zone=datetime.timezone.utc):
    """``[since 00:00, the day after until 00:00)`` of the days ``since`` through ``until`` (dates) in
    time zone ``zone``, as UTC times: what a range on a stored time reads for whole days of a site."""
    def start(day):
        return datetime.datetime.combine(day, datetime.time(), zone).astimezone(datetime.timezone.utc)
    return start(since), start(until + datetime.timedelta(days=1))
