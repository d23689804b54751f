"""Dates, times and numbers for Simplified Chinese pages, e-mails and receipts.

A day reads as Chinese readers write it (2026年12月13日); a moment keeps its time zone
(PORTAL_TIME_ZONE), as in English. Short forms stay in ISO order, which reads the same in every
language. Numbers group thousands with a comma, as in English.
"""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
