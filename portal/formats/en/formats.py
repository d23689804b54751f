"""The portal's one way of writing dates and times, on every page, row, e-mail and admin page.

ISO order (2026-12-13) reads the same in every country, unlike 12/13 or 13/12; a moment carries
its time zone (PORTAL_TIME_ZONE) so a customer abroad knows which 16:30 is meant. Templates
write `{{ value|date }}` for a day and `{{ value|date:"DATETIME_FORMAT" }}` for a moment;
Python code uses `portal.rows.local_day` / `local_moment`.
"""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
