from datetime import UTC, datetime, timedelta

import pytest

from portal.schedules import next_reminder, parse_reminder_schedule, reminder_times

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
END = START + timedelta(days=7)


def test_a_schedule_parses_into_shares_and_times_before_the_end():
    assert parse_reminder_schedule("50%,1d,4h") == [(50, "%"), (1, "d"), (4, "h")]


def test_spaces_case_and_empty_entries_are_forgiven():
    assert parse_reminder_schedule(" 25% , ,2D,") == [(25, "%"), (2, "d")]


@pytest.mark.parametrize("value", ["", None, " , "])
def test_an_empty_schedule_means_no_reminders(value):
    assert parse_reminder_schedule(value) == []
    assert reminder_times(value, START, END) == []
    assert next_reminder(value, START, END, now=START) is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("tomorrow", "is not a reminder time"),
        ("1w", "is not a reminder time"),
        ("-1d", "is not a reminder time"),
        ("1.5d", "is not a reminder time"),
        ("1000h", "is not a reminder time"),
        ("0%", "between 1% and 99%"),
        ("100%", "between 1% and 99%"),
        ("0d", "more than zero"),
        ("50%,0h", "more than zero"),
    ],
)
def test_an_invalid_schedule_is_refused_with_a_plain_message(value, words):
    with pytest.raises(ValueError, match=words):
        parse_reminder_schedule(value)


def test_the_default_schedule_reminds_halfway_and_one_day_before():
    assert reminder_times("50%,1d", START, END) == [
        START + timedelta(days=3, hours=12),
        END - timedelta(days=1),
    ]


def test_hours_before_the_end_are_counted_from_the_deadline():
    assert reminder_times("4h", START, END) == [END - timedelta(hours=4)]


def test_times_are_sorted_and_duplicates_collapse():
    # On a two-day window, 50% and 1d are the same moment.
    end = START + timedelta(days=2)
    assert reminder_times("1d,50%,4h", START, end) == [
        START + timedelta(days=1),
        end - timedelta(hours=4),
    ]


def test_times_outside_the_window_are_dropped():
    # 10 days before a 7-day deadline is before the start; 1% of a 1-hour window stays inside.
    assert reminder_times("10d,7d,1d", START, END) == [END - timedelta(days=1)]
    end = START + timedelta(hours=1)
    assert reminder_times("1%,2h,1h", START, end) == [START + timedelta(seconds=36)]


def test_next_reminder_is_the_first_one_strictly_after_now():
    halfway = START + timedelta(days=3, hours=12)
    day_before = END - timedelta(days=1)
    assert next_reminder("50%,1d", START, END, now=START) == halfway
    assert next_reminder("50%,1d", START, END, now=halfway) == day_before
    assert next_reminder("50%,1d", START, END, now=day_before) is None
    assert next_reminder("50%,1d", START, END, now=END + timedelta(days=1)) is None
