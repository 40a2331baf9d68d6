"""The API's texts in the caller's language, through the gateway: the user's language setting, else
the Accept-Language header; every message with its code and parameters beside it."""
import csv
import io

import pytest

from tests.support.api import Api, eventually
from tests.support.customers import PASSWORD, create_customer, create_site, create_user, signed_in, unique


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    return create_site(admin_api, "Lang")


@pytest.fixture(scope="module")
def chinese(stack, admin_api, plant):
    """A sales user whose language setting is zh-CN."""
    return signed_in(stack, create_user(admin_api, [plant["id"]], ["sales"], language="zh-CN"))


def error_of(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_without_a_user_the_accept_language_header_chooses(stack):
    anonymous = Api(stack.url)
    for header, expected in (("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("en-GB,en;q=0.9", "en"), ("fr", "en"),
                             ("fr;q=1, zh-TW;q=0.5", "zh-CN"), ("", "en")):
        response = anonymous.post("/auth/login", {"identifier": unique("nobody"), "password": "wrong password 1"},
                                  headers={"Accept-Language": header})
        error = error_of(response, 401)
        assert response.headers["Content-Language"] == expected and "Accept-Language" in response.headers["Vary"]
        assert error["message_code"] and (error["message"] != response.json()["error"]["message_code"])
        is_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
        assert is_chinese == (expected == "zh-CN"), (header, error["message"])


def test_the_users_language_setting_wins_over_the_header_and_fields_carry_codes(chinese):
    response = chinese.post("/customers", {"legal_name": "", "website": "not a url", "unknown": 1},
                            headers={"Accept-Language": "en"})
    error = error_of(response, 422)
    assert response.headers["Content-Language"] == "zh-CN"
    texts = [message for messages in error["fields"].values() for message in messages]
    assert texts and all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in texts), texts
    details = error["field_details"]
    assert set(details) == set(error["fields"]) and all(d["code"] for ds in details.values() for d in ds)
    assert {d["code"] for d in details["unknown"]} == {"field.unknown"}


def test_a_user_who_switches_to_english_is_answered_in_english_with_the_next_token(stack, admin_api, plant):
    user = create_user(admin_api, [plant["id"]], ["sales"], language="zh-CN")
    api = signed_in(stack, user)
    assert error_of(api.get("/customers/%s" % ("0" * 32)), 404)["message"] != "Not found."
    me = api.get("/me").json()
    switched = api.patch("/users/%s" % me["id"], {"language": "en", "version": me["version"]})
    assert switched.status_code == 200 and switched.json()["language"] == "en"
    api = Api(stack.url).login(user["username"], PASSWORD)
    error = error_of(api.get("/customers/%s" % ("0" * 32)), 404)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]) and error["message_code"]


def test_reasons_and_downloads_speak_the_users_language_and_an_export_imports_again(chinese):
    name = "%s语言测试有限公司" % unique("")[:6]
    customer = create_customer(chinese, legal_name=name)
    assert customer["tier"]["reasons"] == ["新客户：尚无订单。"]
    assert customer["tier"]["reasons_details"] == [{"code": "tier.new_customer", "params": {}}]
    overview = chinese.get("/customers/%s/overview" % customer["id"]).json()
    assert overview["tier"]["explanation"] == "新客户：尚无订单。"

    exported = chinese.get("/customers/export", params={"q": name})
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["客户ID", "客户名称", "简称"] and rows[1][1] == name
    # the exported file, headed in Chinese, imports again: the customer is found, nothing created
    again = chinese.post("/customers/import", files={"file": ("导出.csv", exported.content)}, data={"dry_run": "true"})
    assert again.status_code == 202, again.text

    bad = "客户名称,统一社会信用代码\r\n%s坏,91320000XXXXXXXX00\r\n" % name
    job = chinese.post("/customers/import", files={"file": ("坏.csv", bad.encode("utf-8"))}).json()
    eventually(lambda: chinese.get("/imports/%s" % job["id"]).json(), lambda j: j["status"] in ("completed", "failed"))
    errors = chinese.get("/imports/%s/errors" % job["id"])
    lines = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert lines[0] == ["行号", "字段", "错误信息"]
    assert lines[1][2] and any("\u4e00" <= ch <= "\u9fff" for ch in lines[1][2]), lines
