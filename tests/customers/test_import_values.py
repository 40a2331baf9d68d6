"""Reading cells from other systems: dates, amounts, numbers, lists, yes/no, ratings and enumerations;
a value that cannot be read is a ValueError with a catalogued message, never another exception."""
import datetime
import zoneinfo

import pytest

from services.common import messages
from services.customers import contract, import_values
from services.customers.import_values import (
    apply_value_map, enum_value, folded_value_map, level_of, parse_amount, parse_bool, parse_date, parse_datetime,
    parse_int, parse_number, split_multi,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
HOSTILE = ["", "   ", None, "x" * 10000, "9" * 10000, "1e309", "-1e309", "NaN", "nan", "inf", "Infinity",
           float("nan"), float("inf"), -1, -45353, "-45353", True, "2024-02-30", "2024-03/02", "2024/03-02",
           "1.234,56", "1,23", "--5", "(-5)", "¥", "abc", "2024-13-01", "00/00/2024", object(), [], {}, b"2024"]


@pytest.mark.parametrize("value", [
    "2024-03-02", "2024/3/2", "2024.3.2", "2024年3月2日", "2024 年 3 月 2 日", "20240302", "2024-03-02 10:22:11",
    "2024-03-02T10:22:11+08:00", "2024-03-02T23:22:11.123Z", "03/02/2024", "3/2/2024", "03-02-2024",
    "02.03.2024", "Mar 2, 2024", "March 2 2024", "2 Mar 2024", "02-Mar-2024", "Mar 2, 2024 10:22 AM", "45353",
    "45353.75", 45353, 45353.75, datetime.date(2024, 3, 2), datetime.datetime(2024, 3, 2, 23, 59),
    "２０２４－０３－０２", " 2024-03-02 ",
])
def test_dates_as_systems_write_them(value):
    assert parse_date(value) == datetime.date(2024, 3, 2)


def test_a_first_number_over_12_reads_day_then_month():
    assert parse_date("25/02/2024") == datetime.date(2024, 2, 25)
    assert parse_date("02/25/2024") == datetime.date(2024, 2, 25)
    with pytest.raises(ValueError):
        parse_date("13/13/2024")


def test_excel_serials_cover_1900_to_9999():
    assert parse_date(1) == datetime.date(1900, 1, 1)
    assert parse_date(2958465) == datetime.date(9999, 12, 31)
    for value in (0, 2958466, "0", "2958466", 1e12):
        with pytest.raises(ValueError):
            parse_date(value)


def test_moments_are_aware_in_the_zone_given_or_their_own():
    assert parse_datetime("2024-03-02") == datetime.datetime(2024, 3, 2, tzinfo=SHANGHAI)
    assert parse_datetime("2024-03-02 14:30") == datetime.datetime(2024, 3, 2, 14, 30, tzinfo=SHANGHAI)
    assert parse_datetime("2024年3月2日 14:30") == datetime.datetime(2024, 3, 2, 14, 30, tzinfo=SHANGHAI)
    assert parse_datetime("Mar 2, 2024 2:30 PM") == datetime.datetime(2024, 3, 2, 14, 30, tzinfo=SHANGHAI)
    assert parse_datetime("2024-03-02T06:30:00Z") == datetime.datetime(2024, 3, 2, 14, 30, tzinfo=SHANGHAI)
    assert parse_datetime("2024-03-02T14:30:00+08:00").utcoffset() == datetime.timedelta(hours=8)
    assert parse_datetime("2024-03-02 14:30", tz="UTC") == datetime.datetime(2024, 3, 2, 14, 30,
                                                                             tzinfo=datetime.timezone.utc)
    assert parse_datetime(45353.5) == datetime.datetime(2024, 3, 2, 12, tzinfo=SHANGHAI)
    assert parse_datetime(datetime.datetime(2024, 3, 2, 9)) == datetime.datetime(2024, 3, 2, 9, tzinfo=SHANGHAI)
    aware = datetime.datetime(2024, 3, 2, 9, tzinfo=datetime.timezone.utc)
    assert parse_datetime(aware) == aware
    for value in ("2024-03-02 25:00", "2024-03-02 10:61", "2024-03-02T10:00+25:00", "2024-03-02 13:00 PM"):
        with pytest.raises(ValueError) as refused:
            parse_datetime(value)
        assert str(refused.value) == import_values.NOT_A_DATETIME


@pytest.mark.parametrize("value, expected", [
    ("¥1,234,567.89", 1234567.89), ("￥1，234", 1234.0), ("$ 1 234.5", 1234.5), ("€12", 12.0), ("£3", 3.0),
    ("CNY 100", 100.0), ("RMB100", 100.0), ("USD 1,000", 1000.0), ("100元", 100.0), ("100.00 元", 100.0),
    ("12.5万元", 125000.0), ("12.5万", 125000.0), ("¥12万", 120000.0), ("(300)", -300.0), ("（1,200.50）", -1200.5),
    ("-5", -5.0), ("1e3", 1000.0), (1200, 1200.0), (12.5, 12.5), ("  42 ", 42.0), ("1\u00a0234", 1234.0),
])
def test_amounts_as_people_write_them(value, expected):
    assert parse_amount(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("1,200人", 1200), ("60%", 60), ("60 %", 60), ("10 pcs", 10), ("3台", 3), ("1200", 1200), ("12.0", 12),
    (12.0, 12), ("１，２００", 1200),
])
def test_whole_numbers(value, expected):
    assert parse_int(value) == expected and isinstance(parse_int(value), int)
    assert parse_number(value) == float(expected)


def test_a_fraction_is_a_number_but_not_a_whole_one():
    assert parse_number("2.5") == 2.5
    with pytest.raises(ValueError) as refused:
        parse_int("2.5")
    assert str(refused.value) == import_values.NOT_A_WHOLE_NUMBER


def test_numbers_too_large_are_refused():
    for parse in (parse_amount, parse_number, parse_int):
        with pytest.raises(ValueError) as refused:
            parse("1e20")
        assert str(refused.value) == import_values.TOO_LARGE


@pytest.mark.parametrize("parse", [parse_date, parse_datetime, parse_amount, parse_number, parse_int, parse_bool])
@pytest.mark.parametrize("value", HOSTILE, ids=lambda value: repr(value)[:20])
def test_a_hostile_value_is_a_value_error(parse, value):
    try:
        parsed = parse(value)
    except ValueError as refused:
        assert messages.recognise(str(refused))[0] is not None
    else:
        # Some hostile values are valid for some parsers (-1 is an amount, 1/0 and True are yes/no).
        assert (parse, value) in ALLOWED or isinstance(parsed, bool) and parse is parse_bool, (parse, value)


ALLOWED = {(parse_amount, -1), (parse_number, -1), (parse_int, -1), (parse_amount, -45353), (parse_number, -45353),
           (parse_int, -45353), (parse_amount, "-45353"), (parse_number, "-45353"), (parse_int, "-45353")}


def test_every_message_is_in_both_catalogues():
    for text in (import_values.NOT_A_DATE, import_values.NOT_A_DATETIME, import_values.NOT_AN_AMOUNT,
                 import_values.NOT_A_NUMBER, import_values.NOT_A_WHOLE_NUMBER, import_values.TOO_LARGE,
                 import_values.NOT_YES_OR_NO):
        code, _ = messages.recognise(text)
        assert code is not None
        assert messages.text("messages", code, "zh-CN") != text


def test_lists_split_on_every_usual_separator_each_item_once():
    assert split_multi("a, b，c、d;e；f|g/h\ni\r\nj,,a") == list("abcdefghij")
    assert split_multi("  ") == [] and split_multi(None) == []
    assert split_multi("精密铸件") == ["精密铸件"]
    assert len(split_multi("x," * 5000)) == 1


@pytest.mark.parametrize("value, expected", [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("YES", True), ("no", False), ("True", True),
    ("false", False), ("1", True), ("0", False), (1, True), (0, False), (True, True), ("√", True), ("x", False),
    ("Ｙ", True),
])
def test_yes_and_no(value, expected):
    assert parse_bool(value) is expected


def test_maybe_is_not_yes_or_no():
    for value in ("maybe", 2, "10"):
        with pytest.raises(ValueError) as refused:
            parse_bool(value)
        assert str(refused.value) == import_values.NOT_YES_OR_NO


@pytest.mark.parametrize("text, level", [
    ("VIP", "vip"), ("vip客户", "vip"), ("战略客户", "vip"), ("A", "vip"), ("A类", "vip"), ("A类客户", "vip"),
    ("A级", "vip"), ("Hot", "vip"), ("A（重点客户）", "vip"),
    ("重要客户", "key"), ("重点客户", "key"), ("重点", "key"), ("B", "key"), ("Warm", "key"), ("Key", "key"),
    ("Key Account", "key"),
    ("普通", "general"), ("一般客户", "general"), ("C", "general"), ("D类", "general"), ("Cold", "general"),
    ("General", "general"), ("潜在客户", "general"),
    ("Acquired", None), ("", None), (None, None), ("x" * 10000, None),
])
def test_ratings_read_as_tiers(text, level):
    assert level_of(text) == level


@pytest.mark.parametrize("enumeration, text, code", [
    ("INTERACTION_KINDS", "电话", "call"), ("INTERACTION_KINDS", "Phone Call", "call"),
    ("INTERACTION_KINDS", "上门", "visit"), ("INTERACTION_KINDS", "Visit", "visit"),
    ("INTERACTION_KINDS", "会议", "meeting"), ("INTERACTION_KINDS", "E-mail", "email"),
    ("ORDER_STATUSES", "草稿", "draft"), ("ORDER_STATUSES", "Approved", "confirmed"),
    ("ORDER_STATUSES", "已确认", "confirmed"), ("ORDER_STATUSES", "Delivered", "shipped"),
    ("ORDER_STATUSES", "已发货", "shipped"), ("ORDER_STATUSES", "Closed", "completed"),
    ("ORDER_STATUSES", "已完成", "completed"), ("ORDER_STATUSES", "Canceled", "cancelled"),
    ("PAYMENT_METHODS", "电汇", "bank_transfer"), ("PAYMENT_METHODS", "Wire", "bank_transfer"),
    ("PAYMENT_METHODS", "银行承兑", "acceptance_bill"), ("PAYMENT_METHODS", "商业承兑", "acceptance_bill"),
    ("PAYMENT_METHODS", "现金", "cash"), ("PAYMENT_METHODS", "Credit Card", "card"),
    ("PAYMENT_METHODS", "其他", "other"),
    ("STAGES", "Qualification", "identified"), ("STAGES", "Prospecting", "identified"),
    ("STAGES", "初步接洽", "contacted"), ("STAGES", "Needs Analysis", "needs_analysis"),
    ("STAGES", "Value Proposition", "proposal"), ("STAGES", "Proposal/Price Quote", "proposal"),
    ("STAGES", "Negotiation/Review", "negotiation"), ("STAGES", "Closed Won", "won"), ("STAGES", "赢单", "won"),
    ("STAGES", "成交", "won"), ("STAGES", "closedwon", "won"), ("STAGES", "Closed Lost", "lost"),
    ("STAGES", "输单", "lost"), ("STAGES", "needs_analysis", "needs_analysis"),
    ("SERVICE_STATUSES", "未开始", "open"), ("SERVICE_STATUSES", "In Progress", "in_progress"),
    ("SERVICE_STATUSES", "已完成", "closed"), ("SERVICE_STATUSES", "Deferred", "open"),
    ("FOLLOWUP_STATUSES", "Not Started", "open"), ("FOLLOWUP_STATUSES", "进行中", "open"),
    ("FOLLOWUP_STATUSES", "Completed", "done"), ("FOLLOWUP_STATUSES", "已完成", "done"),
    ("STATUSES", "正常", "active"), ("STATUSES", "停用", "inactive"), ("STATUSES", "Inactive", "inactive"),
    ("ACCOUNT_TYPES", "Ship-to", "ship_to"), ("ACCOUNT_TYPES", "集团", "group"),
    ("STAGES", "something else", None), ("STAGES", "", None), ("STAGES", None, None), ("STAGES", "x" * 10000, None),
])
def test_enumerations_read_codes_labels_and_vendor_words(enumeration, text, code):
    assert enum_value(enumeration, text) == code


def test_every_code_and_label_of_every_enumeration_reads_as_itself():
    for enumeration, (codes, prefix) in import_values.ENUMERATIONS.items():
        assert codes == getattr(contract, enumeration)
        for code in codes:
            assert enum_value(enumeration, code) == code
            assert enum_value(enumeration, code.upper().replace("_", " ")) == code
        for code, labels in messages.labelled(prefix).items():
            assert all(enum_value(enumeration, label) == code for label in labels.values()), code


def test_a_value_map_maps_text_as_folded():
    value_map = folded_value_map({"stage": {"Stage 1": "identified", "赢 单": "won"}, "level": {}})
    assert apply_value_map(value_map, "stage", " stage　１ ") == "identified"
    assert apply_value_map(value_map, "stage", "赢单") == "won"
    assert apply_value_map(value_map, "stage", "Stage 2") == "Stage 2"
    assert apply_value_map(value_map, "level", "A") == "A"
    assert apply_value_map(None, "stage", "Stage 1") == "Stage 1"
    assert apply_value_map(value_map, "stage", None) is None
