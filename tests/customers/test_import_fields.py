"""Import fields and their columns: each vendor's export header row places its columns on the right
fields, the values place what a header does not, and sheets name their entity."""
import datetime
import json

import pytest

from services.common import messages
from services.customers import contract, import_fields, tabular
from services.customers.import_fields import field_of, read_only, suggest
from tests.customers import samples


def by_header(entity, row):
    """``{header: field}`` of a header row without samples."""
    return {header: field for header, (field, _) in zip(row, suggest(entity, row, [[] for _ in row]))}


ZOHO_ACCOUNTS = {
    "Record Id": None, "Account Owner": "owner", "Rating": "level", "Account Name": "legal_name", "Phone": "phone",
    "Account Site": None, "Fax": None, "Parent Account": "parent", "Website": "website",
    "Account Number": "external_code", "Ticker Symbol": None, "Account Type": "account_type", "Ownership": None,
    "Industry": "industry", "Employees": "employees", "Annual Revenue": "annual_revenue", "SIC Code": None,
    "Tag": "tags", "Created By": None, "Modified By": None, "Created Time": "customer_since", "Modified Time": None,
    "Billing Street": "street", "Shipping Street": "shipping_street", "Billing City": "city",
    "Shipping City": "shipping_city", "Billing State": "province", "Shipping State": "shipping_province",
    "Billing Code": "postal_code", "Shipping Code": "shipping_postal_code", "Billing Country": "country",
    "Shipping Country": None, "Description": "notes", "Last Activity Time": None,
}
SALESFORCE_ACCOUNTS = {
    "Account ID": None, "Account Owner": "owner", "Account Name": "legal_name", "Account Number": "external_code",
    "Account Site": None, "Type": None, "Industry": "industry", "Annual Revenue": "annual_revenue",
    "Employees": "employees", "Rating": "level", "Phone": "phone", "Fax": None, "Website": "website",
    "Billing Street": "street", "Billing City": "city", "Billing State/Province": "province",
    "Billing Zip/Postal Code": "postal_code", "Billing Country": "country", "Shipping Street": "shipping_street",
    "Shipping City": "shipping_city", "Shipping State/Province": "shipping_province",
    "Shipping Zip/Postal Code": "shipping_postal_code", "Shipping Country": None, "Parent Account": "parent",
    "Description": "notes", "Created Date": "customer_since", "Last Modified Date": None,
}
HUBSPOT_COMPANIES = {
    "Record ID": None, "Company name": "legal_name", "Company owner": "owner", "Create Date": "customer_since",
    "Phone Number": "phone", "Last Activity Date": None, "City": "city", "Country/Region": "country",
    "Industry": "industry", "Company Domain Name": "website", "Website URL": None, "Street Address": "street",
    "Street Address 2": None, "State/Region": "province", "Postal Code": "postal_code",
    "Number of Employees": "employees", "Annual Revenue": "annual_revenue", "Lifecycle Stage": None,
    "Lead Status": None, "Type": None, "Description": "notes", "Time Zone": None, "Parent Company": "parent",
}
ODOO_CONTACTS = {
    "Name": "legal_name", "Company Name": None, "Street": "street", "Street2": None, "City": "city",
    "State": "province", "Zip": "postal_code", "Country": "country", "Phone": "phone", "Mobile": None,
    "Email": "email", "Website": "website", "Tags": "tags", "Salesperson": "owner", "Reference": "external_code",
    "Tax ID": "tax_id", "Related Company": "parent", "Is a Company": None,
}
FXIAOKE_CUSTOMERS = {
    "客户名称": "legal_name", "客户编号": "external_code", "客户级别": "level", "负责人": "owner",
    "创建时间": "customer_since", "成交状态": None, "客户来源": "source_channel", "所属行业": "industry",
    "电话": "phone", "网址": "website", "详细地址": "street", "国家": "country", "省": "province", "市": "city",
    "区": "district", "上级客户": "parent", "备注": "notes",
}
KINGDEE_CUSTOMERS = {
    "客户编码": "external_code", "客户名称": "legal_name", "客户简称": "short_name", "税务登记号": "tax_id",
    "纳税人识别号": None, "开户银行": None, "业务员": "owner",
}


@pytest.mark.parametrize("expected", [ZOHO_ACCOUNTS, SALESFORCE_ACCOUNTS, HUBSPOT_COMPANIES, ODOO_CONTACTS,
                                      FXIAOKE_CUSTOMERS, KINGDEE_CUSTOMERS],
                         ids=["zoho", "salesforce", "hubspot", "odoo", "fxiaoke", "kingdee"])
def test_a_vendors_customer_export_places_its_columns(expected):
    assert by_header("customers", list(expected)) == expected


@pytest.mark.parametrize("entity, expected", [
    ("contacts", {"Contact Owner": None, "First Name": "first_name", "Last Name": "name",
                  "Account Name": "customer_name", "Email": "email", "Phone": "phone", "Mobile": "mobile",
                  "Title": "position", "Department": None,
                  "Date of Birth": "birthday", "Description": "notes"}),
    ("orders", {"SO Number": "number", "Subject": None, "Account Name": "customer_name", "Product Name": "product",
                "Quantity": "quantity", "List Price": "unit_price", "Amount": "amount", "Total": None,
                "Status": "status", "Due Date": None}),
    ("orders", {"Order Reference": "number", "Order Date": "order_date", "Customer": "customer_name",
                "Order Lines/Product": "product", "Order Lines/Quantity": "quantity",
                "Order Lines/Unit Price": "unit_price", "Order Lines/Subtotal": "amount", "Status": "status",
                "Currency": "currency"}),
    ("orders", {"销售订单编号": "number", "客户名称": "customer_name", "下单日期": "order_date", "产品名称": "product",
                "数量": "quantity", "单价": "unit_price", "小计": "amount"}),
    ("orders", {"单据编号": "number", "单据日期": "order_date", "客户编码": "customer_code",
                "客户名称": "customer_name", "物料名称": "product", "数量": "quantity", "单价": "unit_price",
                "含税单价": None, "金额": "amount", "价税合计": None}),
    ("payments", {"回款日期": "payment_date", "客户名称": "customer_name", "回款金额": "amount", "回款方式": "method",
                  "销售订单编号": "order_number", "纳税人识别号": "customer_tax_id"}),
    ("interactions", {"客户名称": "customer_name", "跟进方式": "kind", "跟进时间": "occurred_at", "跟进记录": "summary",
                      "联系人": "participants", "下次跟进时间": "next_step_date"}),
    ("interactions", {"Subject": "summary", "Call Type": None, "Call Start Time": "occurred_at",
                      "Description": "key_points", "Account Name": "customer_name"}),
    ("service_records", {"服务日期": "service_date", "客户编号": "customer_code", "产品名称": "product",
                         "故障描述": "issue", "处理措施": "action", "服务工程师": "engineer", "状态": "status"}),
    ("opportunities", {"Deal Owner": None, "Deal Name": "title", "Account Name": "customer_name", "Stage": "stage",
                       "Amount": "expected_amount", "Closing Date": "expected_close_date",
                       "Probability (%)": "probability", "Expected Revenue": None}),
    ("opportunities", {"Deal Name": "title", "Deal Stage": "stage", "Close Date": "expected_close_date",
                       "Amount": "expected_amount", "Associated Company": "customer_name"}),
    ("opportunities", {"商机名称": "title", "客户名称": "customer_name", "商机阶段": "stage",
                       "预计成交日期": "expected_close_date", "商机金额": "expected_amount", "赢率": "probability"}),
    ("followups", {"Subject": "title", "Due Date": "due_date", "Status": "status", "Priority": None,
                   "Task Owner": "assignee", "Account Name": "customer_name", "Description": "notes"}),
])
def test_a_parts_export_places_its_columns(entity, expected):
    assert by_header(entity, list(expected)) == expected


def test_a_label_names_a_field_of_its_entity():
    assert field_of("customers", "Account Name") == "legal_name"
    assert field_of("orders", "Account Name") == "customer_name"
    assert field_of("customers", "客户编码") == "external_code"
    assert field_of("payments", "客户编码") == "customer_code"
    assert field_of("followups", "负责人") == "assignee"
    assert field_of("customers", "负责人") == "owner"


def test_headers_fold_width_case_spaces_hints_and_hyphens():
    assert field_of("customers", "  ＡＣＣＯＵＮＴ　name* ") == "legal_name"
    assert field_of("customers", "客户名称（必填）") == "legal_name"
    assert field_of("customers", "E-Mail") == field_of("customers", "email") == "email"
    assert field_of("contacts", "Date-of-Birth") == "birthday"
    assert field_of("opportunities", "Probability (%)") == "probability"
    assert field_of("customers", "颜色") is None
    assert field_of("customers", "") is None
    assert field_of("customers", None) is None


def test_an_export_imports_again_in_either_language():
    importable = {field.name for field in import_fields.FIELDS["customers"]}
    for column, labels in messages.labelled("", "columns").items():
        for label in labels.values():
            if column in importable:
                assert field_of("customers", label) == column
            elif column in import_fields.SYSTEM_COLUMNS and field_of("customers", label) is None:
                assert read_only("customers", label)
    assert read_only("customers", "客户等级") and read_only("customers", "updated_at")
    assert not read_only("contacts", "updated_at")
    assert not read_only("customers", "客户名称") and not read_only("customers", "颜色")


def test_the_synonyms_name_only_fields_of_their_entity_and_each_label_once():
    with open(import_fields.SYNONYMS_FILE, encoding="utf-8") as source:
        synonyms = json.load(source)
    assert sorted(synonyms) == sorted(import_fields.ENTITIES)
    for entity, table in synonyms.items():
        assert sorted(table) == sorted(import_fields.fields_of(entity))
        owner = {}
        for field, labels in table.items():
            for label in labels:
                key = tabular.header_key(label)
                assert owner.setdefault(key, field) == field, (entity, label)


def test_the_fields_are_the_specifications():
    assert import_fields.ENTITIES[0] == "customers" and len(import_fields.ENTITIES) == 8
    for entity in import_fields.ENTITIES[1:]:
        assert [field.name for field in import_fields.FIELDS[entity][:3]] == list(import_fields.LINK_FIELDS)
    required = {entity: [field.name for field in fields if field.required]
                for entity, fields in import_fields.FIELDS.items()}
    assert required == {"customers": ["legal_name"], "contacts": ["name"],
                        "orders": ["number", "order_date", "product"], "payments": ["payment_date", "amount"],
                        "interactions": ["kind", "occurred_at", "summary"],
                        "service_records": ["service_date", "issue"], "opportunities": ["title"],
                        "followups": ["title", "due_date"]}
    for fields in import_fields.FIELDS.values():
        for field in fields:
            if field.kind == "enum":
                assert isinstance(getattr(contract, field.enumeration), tuple)
    with pytest.raises(AttributeError):
        import_fields.FIELDS["customers"][0].name = "x"


def test_values_place_a_column_whose_header_says_nothing():
    headers = ["客户名称", "xyz", "备注2", "col4", "", "主页?", "q"]
    values = [["甲公司"], [samples.uscc(1), samples.uscc(2)], ["a@b.cn", "sales@example.com"],
              ["2024-03-02", "2024/3/5"], ["13800138000", "021-6888 1234"], ["www.example.com", "https://a.cn/x"],
              ["12", "7"]]
    assert suggest("customers", headers, values) == [
        ("legal_name", "header"), ("tax_id", "values"), ("email", "values"), (None, None),
        ("phone", "values"), ("website", "values"), (None, None)]  # dates make no customer_since by values


def test_values_of_a_part_place_the_customers_tax_id_and_the_first_free_required_date():
    headers = ["Stuff", "When", "Then", "What"]
    values = [[samples.uscc(3)], [datetime.datetime(2024, 3, 2, 10, 0)], ["Mar 2, 2024"], ["call"]]
    assert suggest("interactions", headers, values) == [
        ("customer_tax_id", "values"), ("occurred_at", "values"), (None, None), (None, None)]
    assert suggest("orders", ["订单日期", "x"], [["2024-03-02"], ["2024-03-05"]]) == [
        ("order_date", "header"), (None, None)]  # never a contract end: it would send expiry alerts
    zoho = ["SO Number", "Due Date", "Product Name", "Created Time"]
    assert [field for field, _ in suggest("orders", zoho, [["SO-1"], ["2024-04-02"], ["Gear"], ["2024-03-02"]])] == [
        "number", None, "product", "order_date"]


def test_a_field_goes_to_the_first_column_only():
    assert suggest("customers", ["客户名称", "公司名称", "邮箱", "x"], [[], [], [], ["a@b.cn"]]) == [
        ("legal_name", "header"), (None, None), ("email", "header"), (None, None)]


def test_mixed_or_missing_samples_place_nothing():
    assert suggest("customers", ["a", "b", "c", "d"], [["a@b.cn", "not mail"], [], [None, "  "], ["1", "2"]]) == [
        (None, None)] * 4
    assert suggest("customers", ["a", "b"], [["a@b.cn"]]) == [("email", "values"), (None, None)]


def test_a_header_over_200_characters_is_never_placed():
    long_header = "客户名称" + "x" * 200
    assert field_of("customers", long_header) is None
    assert suggest("customers", [long_header], [[samples.uscc(1)]]) == [(None, None)]


def test_a_read_only_export_column_is_not_placed_by_its_values():
    assert suggest("customers", ["updated_at"], [["2024-03-02"]]) == [(None, None)]


@pytest.mark.parametrize("name, entity", [
    ("客户", "customers"), ("Accounts", "customers"), ("companies", "customers"), ("联系人", "contacts"),
    ("Sales Orders", "orders"), ("销售订单", "orders"), ("收款", "payments"), ("拜访记录", "interactions"),
    ("Calls", "interactions"), ("Activities", "interactions"), ("服务记录", "service_records"),
    ("Service", "service_records"), ("Deals", "opportunities"), ("商机", "opportunities"),
    ("Follow-ups", "followups"), ("待办", "followups"), (" TASKS ", "followups"), ("Sheet1", None), ("", None),
    (None, None),
])
def test_a_sheet_name_names_its_entity(name, entity):
    assert import_fields.entity_of_sheet(name) == entity
