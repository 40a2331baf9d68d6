"""Calendar periods of targets and scorecards: ``2027`` (a year), ``2027-Q1`` (a quarter), ``2027-03``
(a month); and the bounds of their days in a site's time zone."""
import datetime
import re

from services.common.clock import day_bounds
from services.common.errors import ValidationFailed

KINDS = ("year", "quarter", "month")
_FORMS = (("year", re.compile(r"([0-9]{4})")), ("quarter", re.compile(r"([0-9]{4})-Q([1-4])")),
          ("month", re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")))
FIRST_YEAR, LAST_YEAR = 2000, 2100


class Period:
    """``key``, ``kind``, ``since`` and ``until`` (dates, both included)."""

    def __init__(self, key, kind, since, until):
        self.key, self.kind, self.since, self.until = key, kind, since, until

    @property
    def days(self):
        return (self.until - self.since).days + 1

    def months(self):
        """The period's months, ``YYYY-MM``."""
        first, last = self.since.year * 12 + self.since.month - 1, self.until.year * 12 + self.until.month - 1
        return ["%04d-%02d" % (n // 12, n % 12 + 1) for n in range(first, last + 1)]

    def elapsed(self, today):
        """Days of the period gone by ``today`` (today included), from 0 to ``days``."""
        return max(0, min(self.days, (today - self.since).days + 1))

    def bounds(self, zone):
        """``[first day 00:00, the day after the last 00:00)`` in ``zone``, as UTC times."""
        return day_bounds(self.since, self.until, zone)

    def out(self):
        return {"period": self.key, "since": self.since.isoformat(), "until": self.until.isoformat()}


def parse(key, field="period"):
    """The period ``key`` names; 422 on ``field`` for anything else."""
    for kind, form in _FORMS:
        found = form.fullmatch(key) if isinstance(key, str) else None
        if found and FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
            year = int(found.group(1))
            if kind == "year":
                return Period(key, kind, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
            first_month = (int(found.group(2)) - 1) * 3 + 1 if kind == "quarter" else int(found.group(2))
            last_month = first_month + (2 if kind == "quarter" else 0)
            return Period(key, kind, datetime.date(year, first_month, 1), _month_end(year, last_month))
    raise ValidationFailed(fields={field: ["A year (2027), quarter (2027-Q1) or month (2027-03) from %d to %d."
                                           % (FIRST_YEAR, LAST_YEAR)]})


def _month_end(year, month):
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def containing(day, kind):
    """The period of ``kind`` holding ``day``."""
    if kind == "year":
        return parse("%04d" % day.year)
    if kind == "quarter":
        return parse("%04d-Q%d" % (day.year, (day.month - 1) // 3 + 1))
    return parse("%04d-%02d" % (day.year, day.month))
