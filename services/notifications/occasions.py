"""The occasions a campaign can be sent for: China's public holidays, the lunar ones included, from the
``holidays`` library (its calendar of the State Council's announcements), not a table of our own.

An occasion's date in a year is the first day of that holiday; a campaign scheduled for an occasion
without a time goes out at 9:00 on that day in its site's time zone.
"""
import datetime

import holidays

# occasion -> the holiday's name in the library's Chinese calendar
NAMES = {"new_year": "元旦", "spring_festival": "春节", "qingming": "清明节", "labour_day": "劳动节",
         "dragon_boat": "端午节", "mid_autumn": "中秋节", "national_day": "国庆节"}
SEND_HOUR = 9


def dates(year):
    """``{occasion: first day}`` of ``year``."""
    calendar = holidays.China(years=[year], language="zh_CN")
    found = {}
    for day, name in sorted(calendar.items()):
        for occasion, wanted in NAMES.items():
            if name == wanted and occasion not in found:
                found[occasion] = day
    return found


def upcoming(today, days=366):
    """``[{occasion, date}]`` from ``today`` on, for ``days``, soonest first."""
    found = []
    for year in (today.year, today.year + 1):
        found += [{"occasion": occasion, "date": day} for occasion, day in dates(year).items()
                  if today <= day <= today + datetime.timedelta(days=days)]
    return sorted(found, key=lambda item: item["date"])


def next_date(occasion, today):
    """The next day (from ``today`` on) of ``occasion``."""
    return next(item["date"] for item in upcoming(today, 800) if item["occasion"] == occasion)

