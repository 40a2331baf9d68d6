"""Generated order histories of known cadence, for back-testing the reorder forecasts
(``tests/customers/test_forecasts.py``, ``bench/forecast_backtest.py``).

Each kind is a rule a customer orders by, with noise drawn from a seeded ``random.Random``:

- ``regular_30`` / ``regular_60`` / ``regular_90``: a gap of 30, 60 or 90 days ± a normal noise of
  10 % (sd), an amount about a fixed level ± 15 % (sd);
- ``trend``: gaps shrinking from 60 days by 1 day an order (± 3 days), amounts growing 3 % of the
  first an order (± 10 %);
- ``seasonal``: a gap of 30 days ± 3 over three years, amounts following the month of the year
  (1.6 times the level in March and April, 0.6 times in July and August, ± 10 %);
- ``irregular``: gaps drawn evenly from 10 to 120 days, amounts log-normal (sd 0.5).
"""
import datetime

KINDS = ("regular_30", "regular_60", "regular_90", "trend", "seasonal", "irregular")
START = datetime.date(2022, 1, 3)
SEASON = {3: 1.6, 4: 1.6, 7: 0.6, 8: 0.6}


def history(kind, rng, orders=None):
    """``[(date, amount)]`` of one generated customer of ``kind``, oldest first."""
    level = rng.choice((8000.0, 25000.0, 60000.0, 150000.0))
    day = START + datetime.timedelta(days=rng.randrange(0, 60))
    found = []
    if kind.startswith("regular_"):
        cadence = int(kind.split("_")[1])
        count = orders or max(6, min(24, (4 * 365) // cadence))
        for _ in range(count):
            found.append((day, level * max(0.2, rng.gauss(1, 0.15))))
            day += datetime.timedelta(days=max(1, round(rng.gauss(cadence, cadence * 0.10))))
    elif kind == "trend":
        for n in range(orders or 20):
            found.append((day, level * (1 + 0.03 * n) * max(0.2, rng.gauss(1, 0.10))))
            day += datetime.timedelta(days=max(1, round(rng.gauss(60 - n, 3))))
    elif kind == "seasonal":
        last = START + datetime.timedelta(days=3 * 365)
        while day < last:
            found.append((day, level * SEASON.get(day.month, 1.0) * max(0.2, rng.gauss(1, 0.10))))
            day += datetime.timedelta(days=max(1, round(rng.gauss(30, 3))))
    elif kind == "irregular":
        for _ in range(orders or 16):
            found.append((day, level * rng.lognormvariate(0, 0.5)))
            day += datetime.timedelta(days=rng.randint(10, 120))
    else:
        raise ValueError(kind)
    return [(d, round(a, 2)) for d, a in found]


def as_orders(points):
    """``[{order_date, total_amount}]`` of ``points``, as the store reads counted orders."""
    return [{"order_date": d.isoformat(), "total_amount": a} for d, a in points]
