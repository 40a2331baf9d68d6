import pytest

from services.accounts.devices import describe_device

CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_desktop_chrome():
    assert describe_device(CHROME_WINDOWS) == {
        "browser": "Chrome 120", "os": "Windows 10", "device": "Computer",
        "summary": "Chrome 120 on Windows 10",
    }


def test_iphone():
    device = describe_device(SAFARI_IPHONE)
    assert device["device"] == "iPhone"
    assert device["summary"] == "Mobile Safari 17 on iOS 17.1"


def test_bot():
    assert describe_device(GOOGLEBOT)["device"] == "Bot"


def test_command_line_client():
    assert describe_device("curl/8.4.0") == {
        "browser": "curl 8", "os": "unknown", "device": "unknown", "summary": "curl 8"}


@pytest.mark.parametrize("ua", [None, "", "   ", "garbage"])
def test_unknown(ua):
    assert describe_device(ua) == {"browser": "unknown", "os": "unknown", "device": "unknown", "summary": "unknown"}


def test_huge_header_is_handled():
    assert describe_device(CHROME_WINDOWS + "x" * 100000)["browser"] == "Chrome 120"
