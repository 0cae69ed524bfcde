# Does everyday date arithmetic: due dates, business days, ages and month calendars.
import calendar
from datetime import date, datetime, time, timedelta, timezone

HOLIDAYS = {date(2024, 12, 25), date(2024, 12, 26), date(2025, 1, 1)}


def add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in HOLIDAYS:
            days -= 1
    return current


def age_on(birthday: date, today: date) -> int:
    years = today.year - birthday.year
    if (today.month, today.day) < (birthday.month, birthday.day):
        years -= 1
    return years


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def main() -> None:
    start = date(2024, 12, 20)
    print("start:", start.isoformat(), start.strftime("%A"))
    print("+10 business days:", add_business_days(start, 10))
    print("+90 calendar days:", start + timedelta(days=90))
    print("days until new year:", (date(2025, 1, 1) - start).days)
    print("age:", age_on(date(1990, 6, 15), date(2024, 6, 14)), age_on(date(1990, 6, 15), date(2024, 6, 15)))
    print("leap years 2000-2030:", [y for y in range(2000, 2031) if calendar.isleap(y)])
    print("month ends 2024:", [last_day_of_month(2024, m).day for m in range(1, 13)])

    meeting = datetime(2024, 3, 10, 9, 30)
    duration = timedelta(hours=1, minutes=45)
    print("meeting ends:", (meeting + duration).strftime("%Y-%m-%d %H:%M"))
    print("iso week:", meeting.isocalendar()[:2], "day of year:", meeting.timetuple().tm_yday)
    utc = datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc)
    plus_two = utc.astimezone(timezone(timedelta(hours=2), "CEST"))
    print("utc:", utc.isoformat(), "->", plus_two.isoformat(), plus_two.tzname())
    parsed = datetime.strptime("07/04/2024 18:05", "%m/%d/%Y %H:%M")
    print("parsed:", parsed, "weekday:", calendar.day_name[parsed.weekday()])
    print("combine:", datetime.combine(date(2024, 1, 1), time(8, 15)))
    delta = datetime(2024, 12, 31, 23, 59) - datetime(2024, 1, 1)
    print("delta:", delta, "total hours:", delta.total_seconds() / 3600)
    print("fromisoformat:", date.fromisoformat("2024-02-29") + timedelta(days=365))

    print(calendar.TextCalendar(calendar.MONDAY).formatmonth(2024, 2))
    fridays_13 = [date(2024, m, 13).strftime("%b") for m in range(1, 13) if date(2024, m, 13).weekday() == calendar.FRIDAY]
    print("Friday the 13th in 2024:", fridays_13)
    print("month names:", list(calendar.month_abbr)[1:4])
    week = [start + timedelta(days=i) for i in range(7)]
    print(" ".join(d.strftime("%a %d") for d in sorted(week, key=lambda d: d.weekday())))


if __name__ == "__main__":
    main()
