"""Company size by the national rule, 统计上大中小微型企业划分办法（2017）(国统字〔2017〕213号):
large / medium / small / micro (大型 / 中型 / 小型 / 微型), by the employees (从业人员, X, people)
and the operating revenue (营业收入, Y, 万元 = 10 000 CNY) of the customer's industry. Lower bounds
of large / medium / small (below small is micro), by the rule's table:

- 农、林、牧、渔业 (A): Y 20 000 / 500 / 50
- 工业: 采矿业 (B), 制造业 (C), 电力、热力、燃气及水生产和供应业 (D): X 1 000 / 300 / 20 and Y 40 000 / 2 000 / 300
- 批发业 (F51): X 200 / 20 / 5 and Y 40 000 / 5 000 / 1 000
- 零售业 (F52): X 300 / 50 / 10 and Y 20 000 / 500 / 100
- 交通运输业 (G54–G58; railways, G53, are not covered): X 1 000 / 300 / 20 and Y 30 000 / 3 000 / 200
- 仓储业 (G59): X 200 / 100 / 20 and Y 30 000 / 1 000 / 100
- 邮政业 (G60): X 1 000 / 300 / 20 and Y 30 000 / 2 000 / 100
- 住宿业 (H61), 餐饮业 (H62): X 300 / 100 / 10 and Y 10 000 / 2 000 / 100
- 信息传输业 (I63, I64): X 2 000 / 100 / 10 and Y 100 000 / 1 000 / 100
- 软件和信息技术服务业 (I65): X 300 / 100 / 10 and Y 10 000 / 1 000 / 50
- 其他未列明行业 (M, N, O, R, Q85): X 300 / 100 / 10

Large, medium and small must reach every lower bound of their row, else the size falls a step;
what falls below small is micro. The rule does not cover finance (J), education (P), health (Q84),
public administration (S) and international organisations (T); construction (E), real estate (K)
and leasing and business services (L) are sized by total assets, which a customer record does not
hold; and a section whose divisions have different rows (F, G, I, Q) needs the division. For all
these, and for a customer without an industry code, no size is derived.
"""
from services.customers import industries

SIZES = ("large", "medium", "small", "micro")
WAN = 10000  # CNY in one 万元
# Each row's lower bounds of large, medium and small: (employees, revenue in 万元); None: not in the row.
TABLES = {
    "agriculture": (None, (20000, 500, 50)),
    "industry": ((1000, 300, 20), (40000, 2000, 300)),
    "wholesale": ((200, 20, 5), (40000, 5000, 1000)),
    "retail": ((300, 50, 10), (20000, 500, 100)),
    "transport": ((1000, 300, 20), (30000, 3000, 200)),
    "warehousing": ((200, 100, 20), (30000, 1000, 100)),
    "postal": ((1000, 300, 20), (30000, 2000, 100)),
    "accommodation_catering": ((300, 100, 10), (10000, 2000, 100)),
    "information_transmission": ((2000, 100, 10), (100000, 1000, 100)),
    "software": ((300, 100, 10), (10000, 1000, 50)),
    "other": ((300, 100, 10), None),
}
SECTION_TABLES = {"A": "agriculture", "B": "industry", "C": "industry", "D": "industry",
                  "H": "accommodation_catering", "M": "other", "N": "other", "O": "other", "R": "other"}
DIVISION_TABLES = dict({"F51": "wholesale", "F52": "retail", "G59": "warehousing", "G60": "postal",
                        "I63": "information_transmission", "I64": "information_transmission", "I65": "software",
                        "Q85": "other"}, **{"G%d" % number: "transport" for number in range(54, 59)})

# Sizes as people write them, folded to lower case.
WORDS = {
    "大型": "large", "大型企业": "large", "大企业": "large", "大": "large", "large": "large", "big": "large",
    "中型": "medium", "中型企业": "medium", "中企业": "medium", "中等": "medium", "中": "medium",
    "medium": "medium", "mid": "medium",
    "小型": "small", "小型企业": "small", "小企业": "small", "小": "small", "small": "small",
    "微型": "micro", "微型企业": "micro", "微企业": "micro", "微": "micro", "micro": "micro",
}


def table_for(industry_code):
    """The name of the row of ``TABLES`` that sizes a customer of ``industry_code``, or None."""
    if not industry_code:
        return None
    return DIVISION_TABLES.get(industry_code) or SECTION_TABLES.get(industries.section_of(industry_code))


def derive(industry_code, employees, annual_revenue):
    """The size of a customer of ``industry_code`` with ``employees`` people and ``annual_revenue``
    CNY, or None where the rule does not size it or a figure its row needs is unknown."""
    table = table_for(industry_code)
    if table is None:
        return None
    people, revenue = TABLES[table]
    if (people and employees is None) or (revenue and annual_revenue is None):
        return None
    for step, size in enumerate(SIZES[:3]):
        if (not people or employees >= people[step]) and (not revenue or annual_revenue >= revenue[step] * WAN):
            return size
    return "micro"


def code_of(text):
    """The size free text names (大型, Large, 微型企业…), or None."""
    return WORDS.get((text or "").strip().lower())
