"""Working days on the Chinese calendar: public holidays and make-up working days (调休) from the maintained
`chinesecalendar` package, corrected by the oversight office's local days off. For a year the package does not
know yet, Monday to Friday are working days (plus the local corrections) until it is updated."""

import datetime
from functools import lru_cache

import chinese_calendar
from django.conf import settings


@lru_cache(maxsize=4096)
def _national_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def local_exceptions(office_id: int | None) -> dict:
    if office_id is None:
        return {}
    from flows.models import DayOff

    return dict(DayOff.objects.filter(office_id=office_id).values_list("date", "working"))


def is_working_day(day: datetime.date, exceptions: dict | None = None) -> bool:
    exceptions = exceptions or {}
    if day in exceptions:
        return exceptions[day]
    return _national_working_day(day)


def working_days_between(start: datetime.date, end: datetime.date, exceptions: dict | None = None) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end == start:
        return 0
    step = 1 if end > start else -1
    count, day = 0, start
    while day != end:
        day += datetime.timedelta(days=step)
        if is_working_day(day, exceptions):
            count += step
    return count


def add_working_days(start: datetime.date, n: int, exceptions: dict | None = None) -> datetime.date:
    day, left = start, n
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, exceptions):
            left -= 1
    return day


def rag(due: datetime.date | None, today: datetime.date, exceptions=None) -> str:
    """红黄绿: red when overdue, yellow within the reminder window, green otherwise ("" without a due date)."""
    if due is None:
        return ""
    if today > due:
        return "red"
    if working_days_between(today, due, exceptions) <= settings.REMIND_WORKING_DAYS:
        return "yellow"
    return "green"


def rag_bounds(today: datetime.date, exceptions=None) -> tuple[datetime.date, datetime.date]:
    """`rag` as two dates: before the first it is red, up to the second yellow, after it green. Lets a list filter
    and colour by due date in SQL, without counting working days row by row."""
    last_yellow = add_working_days(today, settings.REMIND_WORKING_DAYS + 1, exceptions)
    return today, last_yellow - datetime.timedelta(days=1)
