"""Once, for customers stored before addresses had region codes: each address is placed from its
text (``places.placed``), deleted customers' too, and their region keys follow. What cannot be
placed stays as written, marked ``region_unparsed``, and is counted in the log (the texts are not
logged: they are customers' addresses)."""
import logging

from services.customers import customer_record, places, store

MARKER = "region-codes-1"
log = logging.getLogger(__name__)


def migrate(db):
    """Place the stored addresses; the report ``{"placed", "unplaced"}`` (addresses)."""
    report = {"placed": 0, "unplaced": 0}
    for customer in store.customer_fields(db, ("addresses",)):
        if not places.never_placed(customer.get("addresses")):
            continue
        addresses = [places.placed(address) for address in customer["addresses"]]
        report["placed"] += sum(1 for address in addresses if address["province_code"])
        report["unplaced"] += sum(1 for address in addresses if address["region_unparsed"])
        store.set_customer_fields(db, customer["_id"], {
            "addresses": addresses, "region_keys": customer_record.region_keys(addresses)})
    if report["placed"] or report["unplaced"]:
        log.info("addresses: %d placed in a region, %d could not be placed (kept as written, marked "
                 "region_unparsed)", report["placed"], report["unplaced"])
    return report
