"""Once, for customers stored before the industry and company size codes: each free-text industry
that names a GB/T 4754-2017 industry gets its ``industry_code``, each free-text size that names one
(大型, Large…) becomes its code (``customer_record.legacy_codes``). What matches nothing stays as
written and is reported: how many, and the distinct texts (at most ``SHOWN``)."""
import logging

from services.customers import company_sizes, customer_record, store

MARKER = "industry-codes-1"
SHOWN = 50
FIELDS = ("industry", "industry_code", "company_size")
log = logging.getLogger(__name__)


def migrate(db):
    """Map the stored free text onto codes, deleted customers' too; the report of what it did:
    ``{"industries": {"mapped", "unmapped", "unmapped_texts"}, "company_sizes": {...}}``."""
    report = {"industries": _tally(), "company_sizes": _tally()}
    for customer in store.customer_fields(db, FIELDS):
        changes = customer_record.legacy_codes(customer)
        if customer.get("industry") and not customer.get("industry_code"):
            _count(report["industries"], customer["industry"], "industry_code" in changes)
        if customer.get("company_size") and customer["company_size"] not in company_sizes.SIZES:
            _count(report["company_sizes"], customer["company_size"], "company_size" in changes)
        if changes:
            store.set_customer_fields(db, customer["_id"], changes)
    for name, tally in report.items():
        if tally["mapped"] or tally["unmapped"]:
            log.info("%s: %d free texts mapped onto codes, %d not: %s", name, tally["mapped"], tally["unmapped"],
                     tally["unmapped_texts"])
    return report


def _tally():
    return {"mapped": 0, "unmapped": 0, "unmapped_texts": []}


def _count(tally, text, mapped):
    if mapped:
        tally["mapped"] += 1
        return
    tally["unmapped"] += 1
    if text not in tally["unmapped_texts"] and len(tally["unmapped_texts"]) < SHOWN:
        tally["unmapped_texts"].append(text)
