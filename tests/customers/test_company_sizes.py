"""Company size by 统计上大中小微型企业划分办法(2017), at its thresholds (no database)."""
import pytest

from services.customers import company_sizes

WAN = 10000


@pytest.mark.parametrize("employees, revenue_wan, size", [
    (1000, 40000, "large"), (999, 40000, "medium"), (1000, 39999.99, "medium"),
    (300, 2000, "medium"), (299, 2000, "small"), (300, 1999.99, "small"),
    (20, 300, "small"), (19, 300, "micro"), (20, 299.99, "micro"), (0, 0, "micro"),
    (5000, 299, "micro"), (19, 10 ** 6, "micro"),
])
def test_industry_b_c_d_thresholds_need_both_figures(employees, revenue_wan, size):
    for code in ("B06", "C", "C36", "D44"):
        assert company_sizes.derive(code, employees, revenue_wan * WAN) == size


@pytest.mark.parametrize("employees, size", [(300, "large"), (299, "medium"), (100, "medium"), (99, "small"),
                                             (10, "small"), (9, "micro")])
def test_industries_the_rule_does_not_list_go_by_employees(employees, size):
    for code in ("M73", "N", "O81", "R90", "Q85"):
        assert company_sizes.derive(code, employees, None) == size


def test_rows_of_other_industries():
    assert company_sizes.derive("A01", None, 20000 * WAN) == "large"
    assert company_sizes.derive("A", 10 ** 6, 49 * WAN) == "micro"
    assert company_sizes.derive("F51", 200, 40000 * WAN) == "large"
    assert company_sizes.derive("F52", 50, 500 * WAN) == "medium"
    assert company_sizes.derive("G54", 300, 3000 * WAN) == "medium"
    assert company_sizes.derive("G59", 100, 1000 * WAN) == "medium"
    assert company_sizes.derive("I65", 10, 50 * WAN) == "small"
    assert company_sizes.derive("I64", 2000, 100000 * WAN) == "large"
    assert company_sizes.derive("H", 100, 2000 * WAN) == "medium"


@pytest.mark.parametrize("code, employees, revenue", [
    ("J66", 5000, 10 ** 12), ("P83", 500, 10 ** 9), ("Q84", 500, 10 ** 9), ("S92", 10, 10), ("T97", 10, 10),
    ("E47", 5000, 10 ** 12), ("K70", 5000, 10 ** 12), ("L72", 5000, 10 ** 12), ("G53", 5000, 10 ** 12),
    ("F", 500, 10 ** 9), ("G", 500, 10 ** 9), (None, 5000, 10 ** 12), ("C36", None, 10 ** 12), ("C36", 5000, None),
    ("M", None, 10 ** 9),
])
def test_no_size_where_the_rule_does_not_size_the_industry_or_a_figure_is_missing(code, employees, revenue):
    assert company_sizes.derive(code, employees, revenue) is None


def test_free_text_sizes():
    assert [company_sizes.code_of(text) for text in ("大型", "中型企业", " Small ", "微型", "MICRO")] == [
        "large", "medium", "small", "micro", "micro"]
    assert company_sizes.code_of("200-500人") is None and company_sizes.code_of(None) is None
