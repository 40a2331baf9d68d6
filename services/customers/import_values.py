"""Reading the cells of a file from another system: dates as Chinese, ISO, US and Excel write them,
amounts with currency signs and thousands separators, lists, yes/no, tier ratings and the codes of
the enumerations as vendors name them. Each parser answers the value or raises ``ValueError`` with
an English message of the ``messages`` catalogue; it never raises anything else for a cell's value.

Day and month order: ``2024/3/2`` is year, month, day; ``03/02/2024`` (or ``03-02-2024``) is month,
day, year as Zoho, Salesforce and HubSpot write it in a US locale, unless the first number is over
12 (``25/02/2024`` is day, month); ``02.03.2024`` is day, month, year as European exports write it.
"""
import datetime
import functools
import math
import re
import unicodedata
import zoneinfo

from openpyxl.utils.datetime import from_excel

from services.common import messages
from services.customers import contract

NOT_A_DATE = "Not a date (for example 2024-03-02, 2024年3月2日 or 03/02/2024)."
NOT_A_DATETIME = "Not a date and time (for example 2024-03-02 14:30)."
NOT_AN_AMOUNT = "Not an amount (for example 1,234.50 or ¥1,234.50)."
NOT_A_NUMBER = "Not a number (for example 1,200 or 2.5)."
NOT_A_WHOLE_NUMBER = "Not a whole number (for example 1,200)."
TOO_LARGE = "Number too large."  # marshmallow's text, already in the catalogue
NOT_YES_OR_NO = "Not yes or no (是/否, Y/N, true/false, 1/0)."

DEFAULT_TZ = "Asia/Shanghai"
MAX_TEXT = 100  # no date, amount or number is written with more characters than this
SERIAL_RANGE = (1, 2958465)  # Excel's serials: 1900-01-01 to 9999-12-31
NUMBER_MAX = 1e15
INT_MAX = 2 ** 53

MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for name in names}
_MONTH = "(?P<mname>%s)\\.?" % "|".join(sorted(MONTHS, key=len, reverse=True))
_TIME = (r"(?:(?:\s+|t|(?<=[日号]))(?P<hour>\d{1,2}):(?P<minute>\d{2})"
         r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
         r"\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?\s*(?P<zone>z|utc|gmt|[+-]\d{2}:?\d{2})?)?")
DATE_FORMS = [re.compile(pattern + _TIME + r"\Z") for pattern in (
    r"(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})",
    r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})(?:\s*[日号])?",
    r"(?P<first>\d{1,2})(?P<sep>[-/])(?P<second_number>\d{1,2})(?P=sep)(?P<year>\d{4})",
    r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})",
    _MONTH + r"\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s*(?P<year>\d{4})",
    r"(?P<day>\d{1,2})(?:\s+|-)" + _MONTH + r"(?:\s+|-),?(?P<year>\d{4})",
)]
COMPACT_DATE = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})\Z")
SERIAL = re.compile(r"\d+(\.\d+)?\Z")

CURRENCIES = re.compile(r"\A(?:US\$|HK\$|RMB|CNY|USD|EUR|GBP|HKD|JPY|[¥$€£])"
                        r"|(?:RMB|CNY|USD|EUR|GBP|HKD|JPY|元|[¥$€£])\Z", re.IGNORECASE)
MULTIPLIERS = (("万元", 10000), ("亿元", 10 ** 8), ("万", 10000), ("亿", 10 ** 8))
UNITS = re.compile(r"(?:人|名|个|位|件|台|套|只|箱|pcs|pc|units?)\Z", re.IGNORECASE)
SPACES = re.compile(r"[\s\u00a0\u2009\u202f']+")
DIGIT_GROUPS = re.compile(r"(?<=\d)[\s\u00a0\u2009\u202f']+(?=\d)")  # "1 234 567": spaces between groups
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d{1,4})?\Z", re.IGNORECASE)
GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?\Z")

LIST_SEPARATORS = re.compile(r"[,，、;；|/\n\r]")

TRUE_WORDS = {"是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "对", "有", "on"}
FALSE_WORDS = {"否", "n", "no", "false", "f", "0", "x", "×", "✗", "✘", "错", "无", "off"}

# Tier ratings as CRMs write them (Salesforce Hot/Warm/Cold, A/B/C grades, Chinese 级别): the strongest
# words are VIP, the middle ones key, the rest general.
LEVELS = {
    "vip": "vip", "a": "vip", "a+": "vip", "战略": "vip", "战略合作": "vip", "核心": "vip", "hot": "vip",
    "strategic": "vip", "vvip": "vip",
    "key": "key", "重要": "key", "重点": "key", "b": "key", "warm": "key", "keyaccount": "key", "主要": "key",
    "general": "general", "普通": "general", "一般": "general", "c": "general", "d": "general",
    "cold": "general", "潜在": "general", "normal": "general", "standard": "general", "regular": "general",
}
LEVEL_SUFFIXES = re.compile(r"(?:类|级|等)?(?:客户|customer|account|client)?\Z")

# The enumerations an import reads: contract's codes and the ``labels`` catalogue's prefix of their labels.
ENUMERATIONS = {
    "STATUSES": (contract.STATUSES, "customer_statuses."),
    "ACCOUNT_TYPES": (contract.ACCOUNT_TYPES, "account_types."),
    "ORDER_STATUSES": (contract.ORDER_STATUSES, "order_statuses."),
    "PAYMENT_METHODS": (contract.PAYMENT_METHODS, "payment_methods."),
    "INTERACTION_KINDS": (contract.INTERACTION_KINDS, "interaction_kinds."),
    "STAGES": (contract.STAGES, "opportunity_stages."),
    "SERVICE_STATUSES": (contract.SERVICE_STATUSES, "service_statuses."),
    "FOLLOWUP_STATUSES": (contract.FOLLOWUP_STATUSES, "followup_statuses."),
    "TIERS": (contract.TIERS, "tiers."),
}

# Values as other systems (Zoho, Salesforce, HubSpot, Odoo, Fxiaoke, Kingdee) and people write them.
VENDOR_VALUES = {
    "STATUSES": {
        "active": ("启用", "有效", "活跃", "在用", "enabled", "正常合作"),
        "inactive": ("禁用", "无效", "冻结", "已停用", "作废", "disabled", "archived", "closed"),
    },
    "ACCOUNT_TYPES": {
        "group": ("集团公司", "总公司", "母公司", "parent company"),
        "legal_entity": ("法人", "法人公司", "子公司", "分公司", "subsidiary", "company"),
        "plant": ("工厂", "厂区", "生产基地", "factory", "site"),
        "ship_to": ("收货单位", "收货地址", "ship to", "shipping"),
        "bill_to": ("开票单位", "开票", "bill to", "billing", "invoice", "invoicing"),
    },
    "ORDER_STATUSES": {
        "draft": ("暂存", "创建", "新建", "未提交", "quotation", "quotation sent", "draft quote"),
        "confirmed": ("确认", "已审核", "审核", "已审批", "审批通过", "已生效", "生效", "执行中", "approved", "open",
                      "sales order", "booked", "created", "in progress"),
        "shipped": ("发货", "已出库", "出库", "部分发货", "delivered", "dispatched", "in transit", "shipped"),
        "completed": ("完成", "已关闭", "关闭", "已结案", "结案", "已结算", "closed", "done", "complete", "locked",
                      "fulfilled", "invoiced"),
        "cancelled": ("取消", "作废", "已作废", "已撤销", "canceled", "void", "voided"),
    },
    "PAYMENT_METHODS": {
        "bank_transfer": ("转账", "电汇", "汇款", "网银", "对公转账", "银行汇款", "bank", "wire", "wire transfer",
                          "t/t", "tt", "transfer", "ach", "bank wire"),
        "acceptance_bill": ("银行承兑", "银行承兑汇票", "商业承兑", "商业承兑汇票", "承兑", "汇票", "银承", "商承",
                            "电子承兑", "电子汇票", "bank acceptance", "banker's acceptance", "commercial acceptance",
                            "bill of exchange"),
        "cash": ("现金支付", "现款"),
        "card": ("银行卡", "信用卡", "借记卡", "pos", "credit card", "debit card"),
        "other": ("其它", "支票", "微信", "支付宝", "others", "cheque", "check", "wechat pay", "alipay"),
    },
    "INTERACTION_KINDS": {
        "call": ("打电话", "电话沟通", "电话联系", "通话", "来电", "去电", "phone", "phone call", "calls",
                 "outbound call", "inbound call", "log a call", "telephone"),
        "visit": ("上门", "上门拜访", "实地拜访", "客户拜访", "走访", "面访", "site visit", "on-site visit",
                  "onsite visit", "customer visit"),
        "meeting": ("会面", "开会", "面谈", "视频会议", "线上会议", "见面", "meetings", "video call", "event"),
        "email": ("电子邮件", "发邮件", "邮箱", "mail", "emails", "email"),
    },
    "STAGES": {
        "identified": ("qualification", "prospecting", "prospect", "lead", "new", "线索", "发现商机", "验证客户",
                       "初步意向", "意向"),
        "contacted": ("初步接洽", "接洽", "初步沟通", "initial contact", "appointment scheduled", "contacted"),
        "needs_analysis": ("需求确认", "需求确定", "需求调研", "id. decision makers", "identify decision makers",
                           "perception analysis", "qualified to buy"),
        "proposal": ("方案/报价", "报价", "方案", "方案制定", "value proposition", "proposal/price quote",
                     "price quote", "quote", "presentation scheduled", "quotation"),
        "negotiation": ("谈判", "谈判审核", "合同谈判", "合同审核", "negotiation/review", "review",
                        "decision maker bought-in", "contract sent", "commit"),
        "won": ("赢单", "成交", "签约", "已成交", "已签约", "closed won", "closed-won", "closedwon"),
        "lost": ("输单", "丢单", "失败", "无效", "关闭", "closed lost", "closed-lost", "closedlost",
                 "closed-lost to competition", "closed lost to competition"),
    },
    "SERVICE_STATUSES": {
        "open": ("未开始", "未处理", "新建", "待受理", "待派工", "new", "not started", "pending", "deferred", "待办"),
        "in_progress": ("进行中", "维修中", "已受理", "已派工", "in progress", "working", "waiting for input",
                        "waiting on someone else", "on hold"),
        "closed": ("已完成", "完成", "已解决", "已处理", "关闭", "done", "completed", "complete", "resolved", "fixed"),
    },
    "FOLLOWUP_STATUSES": {
        "open": ("未开始", "进行中", "待处理", "未完成", "not started", "in progress", "deferred", "waiting for input",
                 "waiting on someone else", "pending", "to do", "todo"),
        "done": ("完成", "已完成", "已处理", "completed", "complete", "finished", "closed"),
        "cancelled": ("取消", "作废", "已作废", "canceled"),
    },
    "TIERS": {},
}


def _text(value, message):
    """``value`` as folded text (full width to half width, trimmed); ValueError when empty or too long."""
    if value is None or isinstance(value, bool):
        raise ValueError(message)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text or len(text) > MAX_TEXT:
        raise ValueError(message)
    return text


def _serial(number, message):
    """An Excel serial (days since 1899-12-30, a fraction the time of day) as a naive datetime."""
    if isinstance(number, bool) or not math.isfinite(number) or not SERIAL_RANGE[0] <= number < SERIAL_RANGE[1] + 1:
        raise ValueError(message)
    try:
        found = from_excel(number)
    except (ValueError, OverflowError, TypeError):
        raise ValueError(message)
    if isinstance(found, datetime.datetime):
        return found
    return datetime.datetime.combine(found, datetime.time())


def _zone(found, message):
    zone = (found.group("zone") or "").lower()
    if not zone:
        return None
    if zone in ("z", "utc", "gmt"):
        return datetime.timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(message)
    return datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))


def _time(found, message):
    """``(time or None, tzinfo or None)`` of a matched date form."""
    if found.group("hour") is None:
        return None, None
    hour, minute = int(found.group("hour")), int(found.group("minute"))
    second = int(found.group("second") or 0)
    micro = int((found.group("fraction") or "0")[:6].ljust(6, "0"))
    ampm = (found.group("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(message)
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        return datetime.time(hour, minute, second, micro), _zone(found, message)
    except ValueError:
        raise ValueError(message)


def _day_month(found):
    """Day and month of the ``first/second/year`` form: month first (US), day first when over 12."""
    first, second = int(found.group("first")), int(found.group("second_number"))
    return (first, second) if first > 12 else (second, first)


def _read(value, message):
    """``(date, time or None, tzinfo or None)`` of a cell; ValueError(message) if it is none."""
    if isinstance(value, datetime.datetime):
        return value.date(), value.timetz().replace(tzinfo=None), value.tzinfo
    if isinstance(value, datetime.date):
        return value, None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        found = _serial(value, message)
        return found.date(), found.time() if found.time() != datetime.time() else None, None
    text = _text(value, message)
    compact = COMPACT_DATE.match(text)
    if compact:
        return _date(int(compact.group("year")), int(compact.group("month")), int(compact.group("day")), message), \
            None, None
    if SERIAL.match(text):
        found = _serial(float(text), message)
        return found.date(), found.time() if found.time() != datetime.time() else None, None
    lowered = text.lower()
    for form in DATE_FORMS:
        found = form.match(lowered)
        if found:
            break
    else:
        raise ValueError(message)
    names = found.groupdict()
    if names.get("first"):
        day, month = _day_month(found)
    else:
        day = int(found.group("day"))
        month = MONTHS[found.group("mname")] if names.get("mname") else int(found.group("month"))
    return (_date(int(found.group("year")), month, day, message),) + _time(found, message)


def _date(year, month, day, message):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(message)


def parse_date(value):
    """The date a cell names (its time of day, if any, dropped); ValueError otherwise."""
    return _read(value, NOT_A_DATE)[0]


def parse_datetime(value, tz=DEFAULT_TZ):
    """The moment a cell names as an aware datetime: a date alone is midnight in ``tz``, a time without
    an offset is in ``tz``; ValueError otherwise."""
    day, time, zone = _read(value, NOT_A_DATETIME)
    moment = datetime.datetime.combine(day, time or datetime.time())
    return moment.replace(tzinfo=zone or zoneinfo.ZoneInfo(tz))


def _figure(value, message, currency):
    """A number as people write it: thousands separators, spaces, parentheses for a negative, 万 and
    (with ``currency``) currency signs and codes; ValueError(message) otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(message)
        return _bounded(number)
    text = SPACES.sub("", DIGIT_GROUPS.sub(",", _text(value, message)))
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    scale = 1
    for suffix, factor in MULTIPLIERS:
        if text.endswith(suffix):
            text, scale = text[:-len(suffix)], factor
            break
    if currency:
        for _ in range(2):
            text = CURRENCIES.sub("", text, count=1)
        for suffix, factor in MULTIPLIERS:
            if scale == 1 and text.endswith(suffix):
                text, scale = text[:-len(suffix)], factor
    if negative and text.startswith(("-", "+")):
        raise ValueError(message)
    if GROUPED_NUMBER.match(text):
        text = text.replace(",", "")
    elif not PLAIN_NUMBER.match(text):
        raise ValueError(message)
    number = float(text) * scale
    if not math.isfinite(number):
        raise ValueError(message)
    return _bounded(-number if negative else number)


def _bounded(number):
    if abs(number) > NUMBER_MAX:
        raise ValueError(TOO_LARGE)
    return number


def parse_amount(value):
    """An amount of money as a float: ``¥1,234.50``, ``USD 1 234``, ``12.5万元`` (125000), ``(300)``
    (-300), ``1，234`` (a Chinese comma); ValueError otherwise."""
    return _figure(value, NOT_AN_AMOUNT, currency=True)


def parse_number(value):
    """A quantity or count as a float: ``1,200``, ``2.5``, ``1,200人``, ``10 pcs``, ``60%`` (60)."""
    if isinstance(value, str):
        value = UNITS.sub("", unicodedata.normalize("NFKC", value).strip().removesuffix("%").rstrip())
    return _figure(value, NOT_A_NUMBER, currency=False)


def parse_int(value):
    """A whole number (``1,200人``, ``60%`` → 60, ``12.0`` → 12); ValueError for a fraction."""
    number = parse_number(value)
    if not number.is_integer():
        raise ValueError(NOT_A_WHOLE_NUMBER)
    if abs(number) > INT_MAX:
        raise ValueError(TOO_LARGE)
    return int(number)


def split_multi(text):
    """The items of a multi-value cell (tags, products, participants), in order and each once:
    separated by , ， 、 ; ； | / or a line break."""
    if text is None:
        return []
    items = []
    for item in LIST_SEPARATORS.split(str(text)):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    return items


def parse_bool(value):
    """``True`` for 是/Y/yes/true/1/√, ``False`` for 否/N/no/false/0/x; ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    word = _text(value, NOT_YES_OR_NO).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(NOT_YES_OR_NO)


def _fold(text):
    """Text compared as a key: width, case, spaces, ``_`` and ``-`` ignored."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", str(text)).lower())


def level_of(text):
    """The tier a rating names, or None. VIP, A, 战略 and Hot are ``vip``; 重要, 重点, B, Warm and Key
    are ``key``; 普通, 一般, C, D, Cold, General and 潜在 are ``general``. A trailing 类/级/客户
    (``A类客户``, ``vip客户``, ``重要客户``) and a bracketed hint (``A（重点客户）``) are ignored."""
    if text is None or len(str(text)) > MAX_TEXT:
        return None
    word = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", _fold(text))
    if word in LEVELS:
        return LEVELS[word]
    return LEVELS.get(LEVEL_SUFFIXES.sub("", word))


@functools.cache
def _enumeration_words(enumeration):
    """``{folded word: code}`` of an enumeration: its codes, their labels in both languages and the
    vendors' words (a vendor word never replaces a code's own label)."""
    codes, prefix = ENUMERATIONS[enumeration]
    words = {}
    for code, names in VENDOR_VALUES.get(enumeration, {}).items():
        words.update({_fold(name): code for name in names})
    for code, labels in messages.labelled(prefix).items():
        words.update({_fold(label): code for label in labels.values()})
    words.update({_fold(code): code for code in codes})
    return words


def enum_value(enumeration, text):
    """The code of ``enumeration`` (a name of ``ENUMERATIONS``: ``STAGES``, ``ORDER_STATUSES``…) that
    ``text`` names: the code, its label in either language or a vendor's word; None otherwise."""
    if text is None or len(str(text)) > MAX_TEXT:
        return None
    return _enumeration_words(enumeration.upper()).get(_fold(text))


def folded_value_map(value_map):
    """``value_map`` (``{field: {text: value}}``) with its texts folded as ``apply_value_map`` compares
    them: fold a job's map once, then look each cell up."""
    return {field: {_fold(written): value for written, value in entries.items()}
            for field, entries in (value_map or {}).items() if entries}


def apply_value_map(folded, field, text):
    """What the folded value map (``folded_value_map``) maps ``text`` of ``field`` to, the texts
    compared with width, case and spaces ignored; ``text`` itself where it has no entry."""
    entries = (folded or {}).get(field)
    if text is None or not entries:
        return text
    return entries.get(_fold(text), text)
