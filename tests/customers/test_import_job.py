"""The import job on the real DB, driven tick by tick as the service's timer drives it."""
import datetime
import io

import openpyxl
import pytest
from pymongo.errors import AutoReconnect

from services.common.auth import Caller
from services.common.envelope import unbatched
from services.common.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from services.customers import archive, import_jobs, import_people, import_workbook, import_worker, store
from tests.customers import samples
from tests.support.sites import known_sites
from tests.support.windows import watching

SALES = Caller("u-sales", ["site-a"], ["customers:read", "customers:write"])
OTHER_SITE = Caller("u-b", ["site-b"], ["customers:read", "customers:write"])


@pytest.fixture
def db(db_factory, monkeypatch):
    monkeypatch.setattr(import_worker, "BATCH_ROWS", 25)
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


def upload(db, data, filename="customers.csv", dry_run=False, size=4096):
    job = import_jobs.create_import(db, SALES, filename, dry_run)
    for seq, piece in enumerate(samples.b64_chunks(data, size)):
        import_jobs.append_chunk(db, SALES, job["id"], seq, piece)
    return import_jobs.start_import(db, SALES, job["id"])


def run(db, job_id, ticks=1000, budget=0.5):
    for _ in range(ticks):
        if not import_worker.run_tick(db, budget):
            break
    return import_jobs.get_import(db, SALES, job_id)


def every_queued(db):
    """The events waiting in the outbox, in order, as their consumers read them (an import's
    ``audit_entries`` as the audit events it stands for)."""
    return [one for document in db.outbox.find({}).sort("_id", 1) for event in document["_outbox"]
            for one in unbatched(event)]


def queued_events(db, customer_id):
    """The events waiting in the outbox about one customer, in order."""
    return [event for event in every_queued(db)
            if customer_id in (event["data"].get("customer_id"), event["data"].get("entity_id"))]


def live_customers(db):
    return store.count_customers(db, {"deleted_at": None})


def test_import_then_reimport_creates_nothing_new(db):
    data = samples.csv_bytes([samples.customer_row(n) for n in range(60)])
    first = run(db, upload(db, data)["id"])
    assert first["status"] == "completed" and first["total"] == 60
    assert (first["done"], first["created"], first["updated"], first["failed"]) == (60, 60, 0, 0)
    customer = store.find_customers(db, {"tax_id": samples.uscc(5)})[0]
    assert customer["owner_id"] == "u-sales" and customer["site_id"] == "site-a"
    assert customer["tags"] == ["oem", "vip"] and customer["addresses"][0]["city"] == "苏州"
    assert [e["type"] for e in queued_events(db, customer["_id"])] == ["customers.customer_created", "customers.audit"]
    for document in db.outbox.find({"_id": {"$regex": "^import:"}}):  # a batch's audit events are one event
        *created, audited = document["_outbox"]
        assert {e["type"] for e in created} == {"customers.customer_created"}
        assert audited["type"] == "customers.audit_entries" and audited["site_id"] == "site-a"
        assert [e["entity_id"] for e in audited["data"]["entries"]] == [e["data"]["customer_id"] for e in created]
    again = run(db, upload(db, data)["id"])
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 60)
    rows = [samples.customer_row(n) for n in range(60)]
    rows[3][4] = "automation"
    changed = run(db, upload(db, samples.csv_bytes(rows))["id"])
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 59)
    assert live_customers(db) == 60
    job = db.imports.find_one({"_id": first["id"]})
    assert [e["type"] for e in job["_outbox"]] == ["customers.import_completed", "customers.audit"]
    assert db.import_chunks.count_documents({"import_id": first["id"]}) == 0


def test_bad_rows_are_reported_and_the_rest_imported(db):
    rows = [samples.customer_row(n) for n in range(10)]
    rows[2][2] = "91320100000000002X"
    rows[5][6] = "not-an-email"
    rows[8][0] = ""
    job = run(db, upload(db, samples.csv_bytes(rows))["id"])
    assert (job["done"], job["created"], job["failed"]) == (10, 7, 3)
    assert [(e["row"], e["field"]) for e in job["errors_sample"]] == [(4, "tax_id"), (7, "email"), (10, "legal_name")]
    report = import_jobs.import_errors(db, SALES, job["id"])
    assert report["filename"] == "customers-errors.csv"
    assert report["columns"] == ["row", "field", "message"] and [r[:2] for r in report["rows"]] == [
        [4, "tax_id"], [7, "email"], [10, "legal_name"]]
    assert live_customers(db) == 7


def test_dry_run_validates_and_writes_nothing(db):
    rows = [samples.customer_row(n) for n in range(5)] + [["", "x"]]
    job = run(db, upload(db, samples.csv_bytes(rows), dry_run=True)["id"])
    assert job["status"] == "completed" and job["dry_run"]
    assert (job["created"], job["failed"]) == (5, 1)
    assert live_customers(db) == 0
    audited = db.imports.find_one({"_id": job["id"]})["_outbox"]  # a dry run is audited, nothing else
    assert [(e["type"], e["data"]["action"]) for e in audited] == [("customers.audit", "dry_run")]


def test_a_key_twice_in_one_file_updates_the_first(db):
    rows = [samples.customer_row(1), samples.customer_row(1, name="华东精密零件%d股份有限公司")]
    job = run(db, upload(db, samples.csv_bytes(rows))["id"])
    assert (job["created"], job["updated"]) == (1, 1)
    (customer,) = store.find_customers(db, {"deleted_at": None})
    assert customer["legal_name"] == "华东精密零件1股份有限公司"


def test_an_unknown_column_is_skipped_and_listed_and_a_file_without_names_fails_at_start(db):
    job = import_jobs.create_import(db, SALES, "x.csv")
    import_jobs.append_chunk(db, SALES, job["id"], 0, samples.b64_chunks(b"legal_name,colour\nA,red\n", 100)[0])
    started = import_jobs.start_import(db, SALES, job["id"])
    assert started["skipped_columns"] == ["colour"]
    done = run(db, job["id"])
    assert (done["status"], done["created"], done["skipped_columns"]) == ("completed", 1, ["colour"])
    with pytest.raises(Conflict):
        import_jobs.start_import(db, SALES, job["id"])

    job = import_jobs.create_import(db, SALES, "y.csv")
    import_jobs.append_chunk(db, SALES, job["id"], 0, samples.b64_chunks(b"colour,size\nred,L\n", 100)[0])
    with pytest.raises(ValidationFailed) as bad:
        import_jobs.start_import(db, SALES, job["id"])
    assert "legal_name" in bad.value.fields["file"][0]
    assert import_jobs.get_import(db, SALES, job["id"])["status"] == "failed"


def test_upload_rules(db):
    job = import_jobs.create_import(db, SALES, "x.csv")
    with pytest.raises(ValidationFailed):
        import_jobs.append_chunk(db, SALES, job["id"], 0, "***")
    with pytest.raises(ValidationFailed) as missing:
        import_jobs.append_chunk(db, SALES, job["id"], 1, samples.b64_chunks(b"legal_name\n", 100)[0])
        import_jobs.start_import(db, SALES, job["id"])
    assert "missing" in missing.value.fields["file"][0]
    with pytest.raises(NotFound):
        import_jobs.get_import(db, OTHER_SITE, job["id"])
    with pytest.raises(ValidationFailed):
        import_jobs.create_import(db, SALES, "x.csv", site_id="site-b")


def test_xlsx_and_gbk_files_import(db, monkeypatch, tmp_path):
    monkeypatch.setattr(import_jobs.tabular.tempfile, "gettempdir", lambda: str(tmp_path))
    xlsx = run(db, upload(db, samples.xlsx_bytes([samples.customer_row(n) for n in range(30)]), "a.xlsx")["id"])
    assert (xlsx["status"], xlsx["total"], xlsx["created"]) == ("completed", 30, 30)
    gbk = samples.csv_bytes([samples.customer_row(n) for n in range(30, 40)], samples.HEADERS_CN, encoding="gbk")
    job = run(db, upload(db, gbk, size=333)["id"])
    assert (job["status"], job["created"]) == ("completed", 10)
    assert store.find_customers(db, {"tax_id": samples.uscc(31)})[0]["legal_name"] == "华东精密零件31有限公司"
    assert list(tmp_path.iterdir()) == []


def test_a_crash_mid_batch_resumes_without_duplicates(db, monkeypatch):
    data = samples.csv_bytes([samples.customer_row(n) for n in range(100)])
    job_id = upload(db, data)["id"]
    save = import_worker._save
    calls = {"n": 0}

    def flaky(db_, job, lease, changes, *emitted):
        if job["phase"] == "import" and "done" in changes:
            calls["n"] += 1
            if calls["n"] == 2:
                raise AutoReconnect("connection lost")
        return save(db_, job, lease, changes, *emitted)

    monkeypatch.setattr(import_worker, "_save", flaky)
    import_worker.run_tick(db, 0)
    import_worker.run_tick(db, 0)
    import_worker.run_tick(db, 0)
    partial = import_jobs.get_import(db, SALES, job_id)
    assert partial["status"] == "running" and partial["done"] == 25 and live_customers(db) == 50
    lapsed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    db.imports.update_one({"_id": job_id}, {"$set": {"busy": True, "lease_owner": "gone", "lease_until": lapsed}})
    job = run(db, job_id)
    assert job["status"] == "completed" and live_customers(db) == 100
    assert (job["done"], job["created"], job["unchanged"]) == (100, 100, 0)
    every = [event["event_id"] for event in every_queued(db)]
    assert len(every) == len(set(every)) == 200


def fails_on_second_call(function, error):
    """``function``, raising ``error`` instead on its second call."""
    calls = {"n": 0}

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise error
        return function(*args)
    return failing


class Killed(BaseException):
    """The worker's process ending where it stands (no handler of the worker's catches it)."""


def test_a_worker_killed_between_customers_and_their_counts_leaves_the_totals_right(db, monkeypatch):
    """The second batch's customers are stored, then the worker dies before their list counts are
    kept; the job taken up from its lapsed lease writes them again (counted as unchanged), and
    once it completes the totals are counted again: 60, not 35."""
    data = samples.csv_bytes([samples.customer_row(n) for n in range(60)])
    job_id = upload(db, data)["id"]
    count = store._count
    monkeypatch.setattr(store, "_count", fails_on_second_call(count, Killed()))
    with pytest.raises(Killed):
        for _ in range(3):
            import_worker.run_tick(db, 0)
    monkeypatch.setattr(store, "_count", count)
    assert live_customers(db) == 50 and store.live_customer_count(db) == 25
    lapsed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    db.imports.update_one({"_id": job_id}, {"$set": {"busy": True, "lease_owner": "gone", "lease_until": lapsed}})
    job = run(db, job_id)
    assert (job["status"], job["created"] + job["unchanged"]) == ("completed", 60)
    assert store.live_customer_count(db) == live_customers(db) == 60


def test_a_crash_between_customers_and_their_events_loses_no_event(db, monkeypatch):
    data = samples.csv_bytes([samples.customer_row(n) for n in range(60)])
    job_id = upload(db, data)["id"]
    monkeypatch.setattr(store, "queue_import_events",
                        fails_on_second_call(store.queue_import_events, AutoReconnect("connection lost")))
    for _ in range(3):
        import_worker.run_tick(db, 0)
    assert live_customers(db) == 50 and import_jobs.get_import(db, SALES, job_id)["done"] == 25
    job = run(db, job_id)
    assert (job["status"], job["created"], job["unchanged"]) == ("completed", 60, 0)
    every = every_queued(db)
    assert len(every) == len({event["event_id"] for event in every}) == 120
    for customer in store.find_customers(db, {"deleted_at": None}):
        assert [e["type"] for e in queued_events(db, customer["_id"])] == ["customers.customer_created",
                                                                            "customers.audit"]


def test_a_parts_import_queues_each_creations_audit_once_across_a_crash_and_apart_from_the_customers(
        db, monkeypatch):
    """A contacts import's audit events of its creations go a hundred to an ``audit_entries`` event,
    queued after the batch's rows; a crash before they are queued loses none (the batch run again
    queues them again, with the same ids), and their ids never meet those of the customers' rows."""
    customers = run(db, upload(db, samples.csv_bytes([samples.customer_row(n) for n in range(30)]))["id"])
    assert customers["created"] == 30
    names = sorted(c["legal_name"] for c in store.find_customers(db, {"deleted_at": None}))
    content = ("customer_name,name,email\n" + "".join(
        "%s,Person %d,p%d@example.com\n" % (name, n, n) for n, name in enumerate(names))).encode()
    queue, calls = store.queue_import_events, {"n": 0}

    def flaky(db_, documents):
        if any(":contacts:" in document_id for document_id, _ in documents):
            calls["n"] += 1
            if calls["n"] == 1:
                raise AutoReconnect("connection lost")
        return queue(db_, documents)

    monkeypatch.setattr(store, "queue_import_events", flaky)
    writer = Caller("u-sales", ["site-a"], sorted(SALES.perms) + ["contacts:read", "contacts:write"])
    job = import_jobs.create_import(db, writer, "contacts.csv")
    import_jobs.append_chunk(db, writer, job["id"], 0, samples.b64_chunks(content, 4096)[0])
    import_jobs.start_import(db, writer, job["id"], {"entity": "contacts"})
    for _ in range(3):
        import_worker.run_tick(db, 0)
    done = run(db, job["id"])
    assert (done["status"], done["created"], done["failed"]) == ("completed", 30, 0), done
    assert calls["n"] >= 2
    contacts = {contact["_id"] for contact in db.contacts.find({}, {"_id": 1})}
    audited = [e for e in every_queued(db) if e["type"] == "customers.audit" and e["data"]["entity_type"] == "contact"]
    assert sorted(e["data"]["entity_id"] for e in audited) == sorted(contacts) and len(contacts) == 30
    assert all(e["data"]["action"] == "created" and e["actor"] == "u-sales" for e in audited)
    every = [e["event_id"] for e in every_queued(db) if e["type"] == "customers.audit"]
    assert len(every) == len(set(every)) == 30 + 30  # each customer, each contact
    assert not [e for contact in db.contacts.find({}, {"_outbox": 1}) for e in contact.get("_outbox") or ()]


@pytest.fixture
def watched(test_env, monkeypatch):
    monkeypatch.setattr(import_worker, "BATCH_ROWS", 25)
    for database, finds in watching(test_env, "t_import_reads"):
        known_sites(database)
        archive.prepare_database(database)
        yield database, finds


def test_a_contacts_batch_reads_its_customers_and_their_records_in_a_few_queries_not_a_few_a_row(watched):
    """Each batch of a part's import reads the records its customers have, and (for contacts) their
    contacts and stored documents to refresh their keys, a query each for the whole batch."""
    db, finds = watched
    assert run(db, upload(db, samples.csv_bytes([samples.customer_row(n) for n in range(60)]))["id"])["created"] == 60
    names = sorted(c["legal_name"] for c in store.find_customers(db, {"deleted_at": None}))
    content = ("customer_name,name,phone\n" + "".join(
        "%s,Buyer %d,1391234%04d\n" % (name, n, n) for n, name in enumerate(names))).encode()
    writer = Caller("u-sales", ["site-a"], sorted(SALES.perms) + ["contacts:read", "contacts:write"])
    job = import_jobs.create_import(db, writer, "contacts.csv")
    import_jobs.append_chunk(db, writer, job["id"], 0, samples.b64_chunks(content, 4096)[0])
    import_jobs.start_import(db, writer, job["id"], {"entity": "contacts"})
    finds.clear()
    done = run(db, job["id"])
    assert (done["status"], done["created"]) == ("completed", 60), done
    batches = 3  # of 25 rows
    assert len(finds.of("contacts")) <= 2 * batches, finds.of("contacts")
    point = [query for query in finds.of("customers") if list(query) == ["_id"] and isinstance(query["_id"], str)]
    assert len(point) <= 60  # the one read of each customer's keyed write, nothing else by customer
    assert len(finds.of("customers")) - len(point) <= 4 * batches, finds.of("customers")
    for customer in store.find_customers(db, {"deleted_at": None}):
        assert len(customer["contact_phone_keys"]) == 1 and customer["contact_keys"], customer["legal_name"]


def test_a_unicode_text_file_is_transcoded_then_imported_and_a_crash_midway_loses_nothing(db, monkeypatch):
    rows = [["%s 客户 %d" % ("Unicode", n), samples.uscc(n)] for n in range(40)]
    text = "\ufeff" + "\r\n".join("\t".join(row) for row in [["Account Name", "Tax ID"]] + rows) + "\r\n"
    data = text.encode("utf-16-le")
    job = upload(db, data, filename="accounts.txt", size=333)  # odd chunks: characters cut in two
    written = []
    real_save = store.save_import_chunk

    def crash_once(database, import_id, seq, chunk):
        written.append(seq)
        if len(written) == 3:
            raise AutoReconnect("the database went away")
        real_save(database, import_id, seq, chunk)

    monkeypatch.setattr(store, "save_import_chunk", crash_once)
    assert import_worker.run_tick(db) is False  # the tick gave up; the upload is whole
    monkeypatch.setattr(store, "save_import_chunk", real_save)
    done = run(db, job["id"])
    assert (done["status"], done["created"], done["failed"]) == ("completed", 40, 0), done
    assert store.find_customers(db, {"tax_id": samples.uscc(7)})[0]["legal_name"] == "Unicode 客户 7"
    assert db.import_chunks.count_documents({"import_id": job["id"]}) == 0


def test_a_workbook_imports_its_sheets_customers_first_and_skips_what_it_cannot(db):
    sales = Caller("u-sales", ["site-a"], ["customers:read", "customers:write", "contacts:read", "contacts:write"])
    book = openpyxl.Workbook()
    book.active.title = "联系人"
    book.active.append(["客户名称", "联系人姓名", "手机"])
    book.active.append(["工作簿客户甲", "王芳", "13912345678"])
    book.active.append(["没有这个客户", "李雷", ""])
    customers = book.create_sheet("客户")
    customers.append(["客户名称", "客户编号"])
    customers.append(["工作簿客户甲", "WB-1"])
    customers.append(["工作簿客户乙", "WB-2"])
    book.create_sheet("订单").append(["客户名称", "订单编号", "下单日期", "产品名称", "金额"])
    book.create_sheet("说明").append(["这是说明"])
    data = io.BytesIO()
    book.save(data)

    def workbook_job(dry_run):
        job = import_jobs.create_import(db, sales, "book.xlsx", dry_run)
        for seq, piece in enumerate(samples.b64_chunks(data.getvalue(), 4096)):
            import_jobs.append_chunk(db, sales, job["id"], seq, piece)
        import_jobs.start_import(db, sales, job["id"], {"entity": "workbook"})
        return job

    trial = run(db, workbook_job(dry_run=True)["id"])  # the contact links to a customer the run would create
    assert [(s["sheet"], s["created"], s["failed"]) for s in trial["sheets"]] == [("客户", 2, 0), ("联系人", 1, 1)]
    assert store.find_customers(db, {"external_code": "WB-1"}) == [] and db.import_dry_keys.count_documents({}) == 0
    job = workbook_job(dry_run=False)
    done = run(db, job["id"])
    assert (done["status"], done["created"], done["failed"], done["total"]) == ("completed", 3, 1, 4), done
    assert [(s["sheet"], s["entity"], s["created"], s["failed"]) for s in done["sheets"]] == [
        ("客户", "customers", 2, 0), ("联系人", "contacts", 1, 1)]
    assert {s["sheet"]: s["reason"] for s in done["skipped_sheets"]} == {
        "订单": import_workbook.NOT_ALLOWED, "说明": import_workbook.UNKNOWN_SHEET}
    customer = store.find_customers(db, {"external_code": "WB-1"})[0]
    [contact] = store.all_parts(db, "contacts", {"customer_id": customer["_id"]})
    assert (contact["name"], contact["phone"]) == ("王芳", "13912345678")
    errors = import_jobs.import_errors(db, sales, job["id"])
    assert errors["columns"] == ["sheet", "row", "field", "message"] and errors["rows"][0][:2] == ["联系人", 3]

    csv_job = import_jobs.create_import(db, sales, "plain.csv")
    import_jobs.append_chunk(db, sales, csv_job["id"], 0, samples.b64_chunks(b"legal_name\nA\n", 100)[0])
    with pytest.raises(ValidationFailed) as refused:
        import_jobs.start_import(db, sales, csv_job["id"], {"entity": "workbook"})
    assert refused.value.fields["file"] == [import_jobs.NOT_A_WORKBOOK]
    with pytest.raises(ValidationFailed) as refused:
        import_jobs.start_import(db, sales, import_jobs.create_import(db, sales, "x.xlsx")["id"],
                                 {"entity": "workbook", "mapping": {"a": "legal_name"}})
    assert "entity" in refused.value.fields


def test_only_the_uploader_previews_or_starts_an_upload_and_a_part_writer_imports_parts_only(db):
    job = import_jobs.create_import(db, SALES, "x.csv")
    import_jobs.append_chunk(db, SALES, job["id"], 0, samples.b64_chunks(b"legal_name\nA\n", 100)[0])
    colleague = Caller("u-colleague", ["site-a"], ["customers:read", "customers:write"])
    for attempt in (lambda: import_jobs.preview_import(db, colleague, job["id"]),
                    lambda: import_jobs.start_import(db, colleague, job["id"]),
                    lambda: import_jobs.append_chunk(db, colleague, job["id"], 1, samples.b64_chunks(b"B\n", 10)[0])):
        with pytest.raises(NotFound):
            attempt()
    assert import_jobs.get_import(db, colleague, job["id"])["status"] == "uploading"

    finance = Caller("u-finance", ["site-a"], ["customers:read", "orders:read", "orders:write"])
    upload_id = import_jobs.create_import(db, finance, "orders.csv")["id"]
    import_jobs.append_chunk(db, finance, upload_id, 0, samples.b64_chunks(b"customer_name,number\nA,1\n", 100)[0])
    with pytest.raises(Forbidden):
        import_jobs.start_import(db, finance, upload_id, {"entity": "customers"})
    with pytest.raises(ValidationFailed):  # the file has no order date: the orders' rule, not a permission
        import_jobs.start_import(db, finance, upload_id, {"entity": "orders"})
    with pytest.raises(Forbidden):
        import_jobs.create_import(db, Caller("u-viewer", ["site-a"], ["customers:read"]), "x.csv")


def test_owners_wait_for_accounts_when_a_csv_names_them_and_an_xlsx_runs_without_them(db, monkeypatch):
    def away(caller, site_id):
        raise Unavailable("The accounts service is unavailable.")

    monkeypatch.setattr(import_jobs, "_people", away)
    csv_job = import_jobs.create_import(db, SALES, "owners.csv")
    content = "客户名称,负责人\n甲,王芳\n".encode()
    import_jobs.append_chunk(db, SALES, csv_job["id"], 0, samples.b64_chunks(content, 100)[0])
    with pytest.raises(Unavailable):
        import_jobs.start_import(db, SALES, csv_job["id"])
    assert import_jobs.get_import(db, SALES, csv_job["id"])["status"] == "uploading"

    book = openpyxl.Workbook()
    book.active.append(["客户名称", "负责人"])
    book.active.append(["无账户服务客户", "王芳"])
    data = io.BytesIO()
    book.save(data)
    job = upload(db, data.getvalue(), filename="owners.xlsx")
    done = run(db, job["id"])
    assert (done["status"], done["created"], done["warnings"]) == ("completed", 1, 1), done
    assert done["warnings_sample"][0]["message"] == import_people.NOT_ASKED
    assert store.find_customers(db, {"legal_name": "无账户服务客户"})[0]["owner_id"] == "u-sales"


def test_a_workbook_has_no_fields_or_preview_of_its_own(db):
    job = import_jobs.create_import(db, SALES, "book.csv")
    import_jobs.append_chunk(db, SALES, job["id"], 0, samples.b64_chunks(b"legal_name\nA\n", 100)[0])
    for attempt in (lambda: import_jobs.preview_import(db, SALES, job["id"], "workbook"),
                    lambda: import_jobs.import_fields(SALES, "workbook")):
        with pytest.raises(ValidationFailed) as refused:
            attempt()
        assert "entity" in refused.value.fields
