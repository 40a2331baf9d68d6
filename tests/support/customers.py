"""Helpers for end-to-end tests of the customer archive: a team of users in two sites, unique
names and valid identifiers."""
import random
import types
import uuid

from tests.support.api import Api

PASSWORD = "Harbour-lantern-quartz-41"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
COMMON_CJK = "安宝北昌诚川达大东丰福富港广海航恒宏鸿华环汇吉佳嘉建江金锦京精俊凯康科兰立联龙隆美明南宁鹏普" \
             "齐强庆瑞润森山盛顺泰天通万旺威伟鑫新信星兴旭亚扬阳耀一义益永宇远源跃云泽长振正之智中众洲卓"


def unique(prefix=""):
    return "%s%s" % (prefix, uuid.uuid4().hex[:6])


def cjk(length=3):
    """A random run of common Chinese characters, to keep names of one test apart from another's."""
    return "".join(random.choice(COMMON_CJK) for _ in range(length))


def mobile():
    """A random, valid mainland China mobile number."""
    return "139%08d" % random.randrange(10 ** 8)


def uscc():
    """A random unified social credit code with a correct check digit."""
    body = "91" + "%06d" % random.randrange(110000, 660000) + "".join(
        random.choice(USCC_ALPHABET) for _ in range(9))
    total = sum(USCC_ALPHABET.index(ch) * weight for ch, weight in zip(body, USCC_WEIGHTS))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def create_site(admin_api, label):
    response = admin_api.post("/sites", {"code": unique("C%s" % label), "name": "Plant %s" % label,
                                         "timezone": "Asia/Shanghai"})
    assert response.status_code == 201, response.text
    return response.json()


def create_user(admin_api, site_ids, roles, **extra):
    username = unique("cust.")
    response = admin_api.post("/users", {
        "username": username, "email": "%s@factory.test" % username, "password": PASSWORD,
        "display_name": username.title(), "sites": site_ids, "roles": roles, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def signed_in(stack, user):
    return Api(stack.url).login(user["username"], PASSWORD)


def team(stack, admin_api):
    """Sites A and B with a sales user in each, and finance and a viewer in A, all signed in."""
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")

    def member(site, role):
        return signed_in(stack, create_user(admin_api, [site["id"]], [role]))

    return types.SimpleNamespace(
        site_a=site_a, site_b=site_b, admin=admin_api,
        sales_a=member(site_a, "sales"), sales_b=member(site_b, "sales"),
        finance_a=member(site_a, "finance"), viewer_a=member(site_a, "viewer"))


def create_customer(api, expected=201, force=False, **fields):
    """A customer created through ``api`` (a unique Chinese name unless given)."""
    body = {"legal_name": "%s精密机械有限公司" % cjk(4), **fields}
    response = api.post("/customers", body, params={"force": "true"} if force else None)
    assert response.status_code == expected, response.text
    return response.json()


def add_part(api, customer_id, part, body, expected=201):
    response = api.post("/customers/%s/%s" % (customer_id, part), body)
    assert response.status_code == expected, response.text
    return response.json()


def order(number=None, amount=5000.0, order_date="2026-10-01", product="Gear"):
    return {"number": number or unique("SO-"), "order_date": order_date,
            "lines": [{"product": product, "quantity": 10, "amount": amount}]}


def ids(page):
    return [item["id"] for item in page["items"]]
