"""Customer archive at scale, against a running system (`make run`).

1. Seeds N customers straight into the customers database (same documents and keys the service
   writes), in the admin's first site.
2. Imports a generated CSV of M rows through the gateway and reports the time and the customers
   service's peak memory (VmHWM).
3. Measures search latency through the gateway as the admin, as `search_scale.py` does.

    CRM_ADMIN_PASSWORD=... .venv/bin/python -m bench.customers --customers 1000000 --import-rows 100000
"""
import argparse
import csv
import io
import os
import random
import subprocess
import time

import pymongo
import requests

from bench.cpu import peak_rss_kib
from services.common import config
from services.common.auth import Caller
from services.customers import customer_record, store, tiering

INDUSTRIES = ["machinery", "automotive", "electronics", "chemicals", "textiles", "food", "energy"]
PROVINCES = ["江苏", "浙江", "广东", "山东", "上海", "湖北", "四川"]
WORDS = ["精密", "机械", "电气", "汽车", "化工", "纺织", "能源", "重工", "电子", "材料"]
LATIN = ["Precision", "Machinery", "Electric", "Motors", "Chemical", "Textile", "Energy", "Heavy", "Tech"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ta", "ri", "so", "vu", "be", "da", "fe", "go", "hu", "ji", "ku", "la",
             "mo", "nu", "pa", "qui", "ro", "sa", "te", "vi", "wa", "xe", "yo", "ze", "bra", "cor", "dren", "fal"]
CJK = "安宝北昌诚川达大东丰福富港广海航恒宏鸿华环汇吉佳嘉建江金锦京精俊凯康科兰立联龙隆美明南宁鹏普" \
      "齐强庆瑞润森山盛顺泰天通万旺威伟鑫新信星兴旭亚扬阳耀一义益永宇远源跃云泽长振正之智中众洲卓"


def name(i, rng):
    """A company name as varied as a real archive's: a made-up brand (three syllables, or two or
    three Chinese characters) with a trade word."""
    if i % 2:
        brand = "".join(rng.choice(CJK) for _ in range(rng.choice((2, 3))))
        return "%s%s%s%s有限公司" % (rng.choice(PROVINCES), brand, rng.choice(WORDS), rng.choice(WORDS))
    brand = "".join(rng.choice(SYLLABLES) for _ in range(3)).title()
    return "%s %s %s Co., Ltd." % (brand, rng.choice(LATIN), rng.choice(LATIN))


def seed_documents(first, last, site_ids, owners, rng):
    caller = Caller("bench", site_ids, ["customers:write"])
    documents = []
    for i in range(first, last):
        data = {"legal_name": name(i, rng), "industry": rng.choice(INDUSTRIES), "tags": [rng.choice(WORDS)],
                "phone": "0%d-%08d" % (rng.randrange(10, 999), rng.randrange(10 ** 8)),
                "email": "info%d@%s.example" % (i, rng.choice(SYLLABLES)),
                "addresses": [{"type": "billing", "province": rng.choice(PROVINCES), "country": "CN"}]}
        customer = customer_record.new_customer(data, caller, site_ids[i % len(site_ids)])
        customer["owner_id"] = rng.choice(owners) if owners else None
        level = rng.choices(["vip", "key", "general"], [1, 9, 90])[0]
        customer["tier"] = {"level": level, "reasons": ["seeded"], "overridden": False}
        customer["tier_rank"] = tiering.RANK[level]
        documents.append(customer)
    return documents


def seed(count, site_ids, owners=(), batch=500, start=0, progress_every=60.0):
    """Insert customers ``start`` to ``count`` straight into the customers database (the service's
    own documents and keys), spread over ``site_ids`` and ``owners``; returns the seconds taken."""
    if isinstance(site_ids, str):
        site_ids = [site_ids]
    db = pymongo.MongoClient(config.mongo_uri("customers"), socketTimeoutMS=600000)[config.database_name("customers")]
    rng = random.Random(7 + start)
    started = shown = time.perf_counter()
    for first in range(start, count, batch):
        store.insert_customers(db, seed_documents(first, min(count, first + batch), site_ids, list(owners), rng))
        if time.perf_counter() - shown >= progress_every:
            shown = time.perf_counter()
            print("  %6.0f s: %d of %d customers" % (shown - started, first + batch, count), flush=True)
    return time.perf_counter() - started


def import_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["客户名称", "外部编码", "行业", "省份", "城市", "标签"])
    rng = random.Random(11)
    for i in range(rows):
        writer.writerow(["导入测试%s%d有限公司" % (rng.choice(WORDS), i), "IMP-%07d" % i, rng.choice(INDUSTRIES),
                         rng.choice(PROVINCES), "城市%d" % (i % 50), rng.choice(WORDS)])
    return buffer.getvalue().encode("utf-8")


def peak_memory_kib(pattern="CustomersService"):
    pids = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return peak_rss_kib(pids)


def run_import(api, headers, rows):
    body = import_csv(rows)
    started = time.perf_counter()
    job = requests.post(api + "/customers/import", headers=headers, files={"file": ("bench.csv", body, "text/csv")},
                        data={"dry_run": "false"}, timeout=600).json()
    while job.get("status") not in ("completed", "failed"):
        time.sleep(1)
        job = requests.get(api + "/imports/%s" % job["id"], headers=headers, timeout=30).json()
    return time.perf_counter() - started, job


def main():
    from bench import search_scale

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:%s" % config.get("GATEWAY_PORT"))
    parser.add_argument("--customers", type=int, default=1000000)
    parser.add_argument("--import-rows", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    api = args.url.rstrip("/") + "/api/v1"
    headers = search_scale.sign_in(api, "admin", os.environ["CRM_ADMIN_PASSWORD"])
    site_id = requests.get(api + "/sites", headers=headers, timeout=30).json()["items"][0]["id"]

    if args.customers:
        seconds = seed(args.customers, site_id, search_scale.owners())
        print("seeded %d customers in %.0f s (%.0f/s)" % (args.customers, seconds, args.customers / seconds))
    if args.import_rows:
        seconds, job = run_import(api, headers, args.import_rows)
        print("imported %d rows in %.1f s: created %s, failed %s; customers service peak memory %.0f MiB" % (
            args.import_rows, seconds, job.get("created"), job.get("failed"), peak_memory_kib() / 1024))
    db = pymongo.MongoClient(config.mongo_uri("customers"))[config.database_name("customers")]
    embedded = subprocess.run(["pgrep", "-f", "-m1", "secantus.*--port %d" % config.embedded_mongo_port("customers")],
                              capture_output=True, text=True).stdout.split()
    database_pid = int(embedded[0]) if embedded else None
    search_scale.report(api, {"admin": headers}, search_scale.cases(search_scale.samples(db, 40), site_id),
                        args.repeat, database_pid)


if __name__ == "__main__":
    main()
