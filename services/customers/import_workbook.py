"""A workbook imported in one go: each sheet named for a record type (客户, 联系人, 订单, Accounts,
Contacts, Deals…: ``import_fields.entity_of_sheet``) is imported as that entity, one sheet after
the other in dependency order (customers before the parts that name them), each with the
suggested mapping.

The job's ``plan`` lists ``{sheet, entity}`` in that order and ``sheet_index`` the one being read;
a sheet named for no record type, a second sheet of the same type, or a type the importer may not
write is skipped and listed in ``skipped_sheets``. Counters add up over the sheets, ``total`` too
(the rows of the sheets counted so far), and ``sheets`` keeps each finished sheet's own counts.
"""
from services.common.auth import Caller
from services.customers import access, import_fields

UNKNOWN_SHEET = "Named for no record type."
REPEATED_SHEET = "An earlier sheet holds this record type."
NOT_ALLOWED = "You may not write this record type."
NO_SHEETS = ("The workbook has no sheet named for a record type (客户, 联系人, 订单, 回款, 跟进记录, 服务记录, 商机, "
             "任务 or Customers, Contacts, Orders, Payments, Interactions, Service, Opportunities, Tasks).")
SHEET_COUNTERS = ("created", "updated", "unchanged", "failed", "warnings")


def plan(sheet_names, perms):
    """``(plan, skipped_sheets)`` for a workbook's sheets and the importer's permissions."""
    caller = Caller("importer", perms=perms)
    chosen, skipped = {}, []
    for name in sheet_names:
        entity = import_fields.entity_of_sheet(name)
        if entity is None:
            skipped.append({"sheet": name, "reason": UNKNOWN_SHEET})
        elif entity in chosen:
            skipped.append({"sheet": name, "reason": REPEATED_SHEET})
        elif not _may_write(caller, entity):
            skipped.append({"sheet": name, "reason": NOT_ALLOWED})
        else:
            chosen[entity] = name
    ordered = [{"sheet": chosen[entity], "entity": entity} for entity in import_fields.ENTITIES if entity in chosen]
    return ordered, skipped


def _may_write(caller, entity):
    if entity == "customers":
        return caller.can("customers:write")
    read, write = access.PART_PERMISSIONS[entity]
    return caller.can(read) and caller.can(write)


def sheet_start(job, index):
    """The job's changes to begin sheet ``index`` of its plan: read from its header on."""
    step = job["plan"][index]
    return {"sheet_index": index, "sheet": step["sheet"], "entity": step["entity"], "phase": "header",
            "columns": None, "headers": None, "skipped": [], "counted": 0, "counted_before": job.get("total") or 0,
            "sheet_before": {key: job.get(key, 0) for key in SHEET_COUNTERS}}


def sheet_summary(job, before):
    """The finished sheet's own counts (the job's counters less ``before``, what they were at its start)."""
    return dict({key: job.get(key, 0) - before.get(key, 0) for key in SHEET_COUNTERS},
                sheet=job["sheet"], entity=job["entity"], skipped_columns=job.get("skipped", []))
