"""Products to recommend to a customer: what similar customers buy, and what is ordered with what it
buys, that it has never bought (``customers:read`` and ``orders:read``; a customer outside the
caller's sites is 404).

- **similar_customers**: the other customers of the same industry (its industry code, else its
  industry as written) and, separately, of the same tier, among those with orders read below; a
  product's score is the share of them that bought it, ``n / (peers + 1)``.
- **bought_together**: the orders of other customers holding one of this customer's products ``q``;
  a product ``p`` of those orders scores ``orders with q and p / (orders with q + 1)``, with the ``q``
  that scores it highest.
A product keeps its highest score and that reason; the ``TOP`` best, the score rounded to 3 places.
"This customer has bought it": a line of one of its latest ``OWN_ORDERS`` counted orders.

Bounded by a read, not by a kept count: the counted orders of the customer's site (of every site,
the customer's first, for a caller with ``sites:all``) dated in the last ``WINDOW_DAYS`` days, read a
``STEP_DAYS`` range at a time from the newest through the ``(site_id, order_date)`` index, only the
customer and the products projected, until ``MAX_ORDERS`` are read. A per-site document of product
pairs kept by every order write was the other way; orders change through many paths (the API,
imports, merges and their reverts, moves between sites, deletes, restores and erasure), and a count
each of them had to keep would drift, where a read of recent orders is right by construction and its
size is capped.
"""
import collections
import datetime

from services.common.clock import utcnow
from services.customers import archive, lifecycle, lists, store
from services.customers.contract import RECOMMENDATION_KINDS

WINDOW_DAYS = 730
STEP_DAYS = 30
MAX_ORDERS = 5000
OWN_ORDERS = 2000
TOP = 10
SIMILAR, TOGETHER = RECOMMENDATION_KINDS


def recent_orders(db, site_ids, today):
    """The counted orders of ``site_ids`` of the last ``WINDOW_DAYS`` days, newest range first, at most
    about ``MAX_ORDERS``: ``[{_id, customer_id, lines: [{product}]}]``."""
    found, end = [], today
    start = today - datetime.timedelta(days=WINDOW_DAYS)
    while end > start and len(found) < MAX_ORDERS:
        first = max(start, end - datetime.timedelta(days=STEP_DAYS - 1))
        for site_id in site_ids:
            found += store.site_order_products(db, site_id, first.isoformat(), end.isoformat(), lifecycle.NOT_COUNTED)
            if len(found) >= MAX_ORDERS:
                break
        end = first - datetime.timedelta(days=1)
    return found[:MAX_ORDERS]


def products_of(order):
    return {line["product"] for line in order.get("lines") or () if line.get("product")}


def industry_of(customer):
    """What makes two customers of one industry: the code, else the text as written (case and spaces aside)."""
    if customer.get("industry_code"):
        return customer["industry_code"], customer["industry_code"]
    text = (customer.get("industry") or "").strip()
    return (("text", text.casefold()), text) if text else (None, None)


def rank(customer, owned, orders, profiles, top=TOP):
    """The recommendations (``contract.RecommendationSchema``) for ``customer``, who bought ``owned``,
    from other customers' ``orders`` and their ``profiles`` (``{_id: customer}``; orders of customers
    not among them are left out)."""
    orders = [o for o in orders if o["customer_id"] != customer["_id"] and o["customer_id"] in profiles]
    bought = collections.defaultdict(set)
    for order in orders:
        bought[order["customer_id"]] |= products_of(order)
    best = {}

    def offer(product, score, count, reason):
        kept = best.get(product)
        if kept is None or (score, count) > (kept[0], kept[1]):
            best[product] = (score, count, reason)

    industry, industry_text = industry_of(customer)
    tier = (customer.get("tier") or {}).get("level")
    groups = (("industry", industry_text, [c for c in bought if industry and industry_of(profiles[c])[0] == industry]),
              ("tier", tier, [c for c in bought if tier and (profiles[c].get("tier") or {}).get("level") == tier]))
    for field, value, peers in groups:
        counts = collections.Counter(p for c in peers for p in bought[c] - owned)
        for product, n in counts.items():
            offer(product, n / (len(peers) + 1), n, {"kind": SIMILAR, field: value, "customers": n})
    holding, pairs = collections.Counter(), collections.Counter()
    for order in orders:
        products = products_of(order)
        held, new = products & owned, products - owned
        holding.update(held)
        pairs.update((q, p) for q in held for p in new)
    for (with_product, product), n in pairs.items():
        offer(product, n / (holding[with_product] + 1), n,
              {"kind": TOGETHER, "with_product": with_product, "orders": n})
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:top]
    return [{"product": product, "score": round(score, 3), "reason": reason}
            for product, (score, _, reason) in ranked]


def recommendations(db, caller, customer_id, today=None):
    """``contract.RecommendationsSchema`` of one customer of the caller's sites."""
    caller.require("orders:read")
    customer = archive.get_visible(db, caller, customer_id)
    today = today or utcnow().date()
    owned = set().union(*(products_of(o) for o in store.orders_with_lines(
        db, customer_id, lifecycle.NOT_COUNTED, OWN_ORDERS)))
    site_ids = [customer["site_id"]]
    if caller.all_sites:
        site_ids += [s for s in lists.scope_sites(db, caller, None) if s != customer["site_id"]]
    orders = recent_orders(db, site_ids, today)
    others = {o["customer_id"] for o in orders} - {customer_id}
    profiles = {c["_id"]: c for c in store.customer_profiles(db, others)}
    return {"customer_id": customer_id, "items": rank(customer, owned, orders, profiles)}
