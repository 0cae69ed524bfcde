# Schedules a meeting across time zones with zoneinfo, including a daylight-saving transition.
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

ZONES = ["America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"]


def main() -> None:
    meeting = datetime(2024, 3, 8, 15, 0, tzinfo=ZoneInfo("UTC"))
    print("meeting in UTC:", meeting.isoformat())
    for name in ZONES:
        local = meeting.astimezone(ZoneInfo(name))
        print(f"  {name:<18} {local:%a %d %b %H:%M} {local.tzname():<5} offset {local.utcoffset()}")
    ny = ZoneInfo("America/New_York")
    before = datetime(2024, 3, 9, 12, 0, tzinfo=ny)
    after = before + timedelta(days=1)
    print("NY before/after DST:", before.tzname(), after.tzname())
    print("wall-clock diff:", after - before, "real diff:", after.astimezone(timezone.utc) - before.astimezone(timezone.utc))
    berlin = datetime(2024, 10, 27, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    print("Berlin fall back:", [(berlin + timedelta(hours=h)).astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M %Z") for h in range(4)])


if __name__ == "__main__":
    main()
