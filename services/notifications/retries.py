"""Retry schedules of the e-mail outbox and webhook deliveries, from the environment."""
import datetime

from services.common import config


def schedule(variable):
    """The delays (seconds) in ``variable``, e.g. ``60,300,1800``: one retry after each."""
    text = config.get(variable)
    try:
        delays = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError("%s must be comma-separated seconds, not %r" % (variable, text))
    if any(delay < 0 for delay in delays):
        raise ValueError("%s must not hold negative delays" % variable)
    return delays


def next_attempt_at(attempts, delays, now):
    """When to try again after ``attempts`` failed attempts, or None when the schedule is used up."""
    if attempts > len(delays):
        return None
    return now + datetime.timedelta(seconds=delays[attempts - 1])
