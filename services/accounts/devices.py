"""A readable description of the device behind a login, from its User-Agent header."""
from user_agents import parse

UNKNOWN = "unknown"
MAX_USER_AGENT = 512


def _name(family, version):
    if not family or family == "Other":
        return UNKNOWN
    return ("%s %s" % (family, version)).strip()


def _device(ua):
    if ua.is_bot:
        return "Bot"
    if ua.device.family and ua.device.family not in ("Other", "Generic Smartphone", "Generic Tablet"):
        return ua.device.family
    for flag, kind in ((ua.is_tablet, "Tablet"), (ua.is_mobile, "Mobile"), (ua.is_pc, "Computer")):
        if flag:
            return kind
    return UNKNOWN


def describe_device(user_agent):
    """-> {browser, os, device, summary}, e.g. summary "Chrome 120 on Windows 10"."""
    if not user_agent or not user_agent.strip():
        return {"browser": UNKNOWN, "os": UNKNOWN, "device": UNKNOWN, "summary": UNKNOWN}
    ua = parse(user_agent[:MAX_USER_AGENT])
    major = str(ua.browser.version[0]) if ua.browser.version else ""
    browser = _name(ua.browser.family, major)
    os_name = _name(ua.os.family, ua.os.version_string)
    known = [part for part in (browser, os_name) if part != UNKNOWN]
    return {
        "browser": browser,
        "os": os_name,
        "device": _device(ua),
        "summary": " on ".join(known) or UNKNOWN,
    }
