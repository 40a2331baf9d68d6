"""Back-test of the reorder forecasts (``services.customers.forecasts``) on generated order histories.

``python -m bench.forecast_backtest [--customers 1000] [--hold-out 3] [--seed 1]``

Generates ``--customers`` order histories spread evenly over the kinds of
``tests.support.order_histories`` (regular 30/60/90-day cycles with noise, a trend, a seasonal one,
an irregular one), forecasts each from its history less the last k orders (k = 1..``--hold-out``)
and compares with the k-th last order. Prints per kind: the mean absolute error of the date (days)
and of the amount (CNY, and as a share of the actual amount), the share of actual dates and amounts
inside the 80 % ranges, the methods used, and the time per forecast. No database: the forecasts are
plain rules.
"""
import argparse
import collections
import random
import statistics
import time

from services.customers import forecasts
from tests.support import order_histories


def back_test(kind, customers, hold_out, rng):
    rows = collections.defaultdict(list)
    methods = collections.Counter()
    spent = 0.0
    for _ in range(customers):
        history = order_histories.history(kind, rng)
        for k in range(1, hold_out + 1):
            started = time.perf_counter()
            found = forecasts.predict(history[:-k])
            spent += time.perf_counter() - started
            day, amount = history[-k]
            rows["days"].append(abs((found["expected"] - day).days))
            rows["amount"].append(abs(found["value"] - amount))
            rows["share"].append(abs(found["value"] - amount) / amount)
            rows["date_in"].append(found["earliest"] <= day <= found["latest"])
            rows["amount_in"].append(found["low"] <= amount <= found["high"])
            methods[found["method"]] += 1
    n = len(rows["days"])
    return {"forecasts": n, "days": statistics.mean(rows["days"]), "amount": statistics.mean(rows["amount"]),
            "share": statistics.mean(rows["share"]), "date_in": sum(rows["date_in"]) / n,
            "amount_in": sum(rows["amount_in"]) / n, "ms": spent / n * 1000, "method": methods.most_common(1)[0][0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--hold-out", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    per_kind = max(1, args.customers // len(order_histories.KINDS))
    print("| kind | customers | forecasts | date MAE (days) | amount MAE (CNY) | amount MAE / actual | dates in 80 % "
          "range | amounts in 80 % range | most used method | ms per forecast |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in order_histories.KINDS:
        found = back_test(kind, per_kind, args.hold_out, rng)
        print("| %s | %d | %d | %.1f | %.0f | %.1f %% | %.0f %% | %.0f %% | %s | %.2f |" % (
            kind, per_kind, found["forecasts"], found["days"], found["amount"], found["share"] * 100,
            found["date_in"] * 100, found["amount_in"] * 100, found["method"], found["ms"]))


if __name__ == "__main__":
    main()
