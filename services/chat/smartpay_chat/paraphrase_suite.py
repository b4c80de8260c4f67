"""The paraphrase suite (issue #17 item 2): questions in varied wording, each with its expected plan, scored
through the real service against answers computed here, independently: plain Python over the documents, windows
written out by hand for the fixed NOW (no planner, no executor, no SQL, no `windows.py`).

Two parts, reported separately: `tuning.txt` (the planner was tuned on it) and `heldout.txt` (written first, in
another voice, never tuned on). A case is right only when both the plan (metric, filters, grouping, ranking,
time zone, resolved window) and every figure of the answer are the expected ones."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smartpay_chat.evaluation import MERCHANT, NOW
from smartpay_chat.paraphrase_oracle import APPROVED, MONEY, oracle

# The held-out batches, each measured blind once (docs/chat.md).
PARTS = ("tuning", "heldout", "heldout_b", "heldout_c", "heldout_d", "heldout_e", "heldout_f", "heldout_g",
         "heldout_h", "heldout_i", "heldout_j", "heldout_k", "heldout_l", "heldout_m",
         "heldout_n", "heldout_o", "heldout_p",
         "heldout_q", "heldout_r", "heldout_s", "heldout_t", "heldout_u", "heldout_v", "heldout_w", "heldout_x",
         "heldout_y", "heldout_z", "heldout_aa", "heldout_ab", "heldout_ac", "heldout_ad",
         "heldout_ae", "heldout_af", "heldout_ag", "heldout_ah",
         "heldout_ai", "heldout_aj", "heldout_ak", "heldout_al", "heldout_am", "heldout_an", "heldout_ao", "heldout_ap", "heldout_aq", "heldout_ar")
HERE = Path(__file__).with_name("paraphrases")
D = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
# METRICS.md windows for NOW = Tuesday 2026-12-01 10:00 UTC, by hand. `<name>@<zone>`: the same words in that zone
# (Sydney/Melbourne AEDT +11, Tokyo +9, Singapore +8, Dubai +4, Kolkata +5:30, Berlin/Paris CET +1, London GMT,
# New York EST -5 (EDT -4 until Nov 1 02:00), Chicago CST -6, Denver MST -7, Los Angeles PST -8 (PDT until
# Nov 1), Sao Paulo -3, Etc/GMT-2 = UTC+2).
WINDOWS: dict[str, tuple[datetime, datetime] | None] = {
    "": None,
    "today": (D(2026, 12, 1), NOW), "yesterday": (D(2026, 11, 30), D(2026, 12, 1)),
    "this_week": (D(2026, 11, 30), NOW), "last_week": (D(2026, 11, 23), D(2026, 11, 30)),
    "this_month": (D(2026, 12, 1), NOW), "last_month": (D(2026, 11, 1), D(2026, 12, 1)),
    "oct": (D(2026, 10, 1), D(2026, 11, 1)), "nov": (D(2026, 11, 1), D(2026, 12, 1)),
    "ytd": (D(2026, 1, 1), NOW),
    "sep": (D(2026, 9, 1), D(2026, 10, 1)),
    **{f"d{n}": (NOW - timedelta(days=n), NOW) for n in (2, 3, 5, 7, 10, 14, 30, 60, 90)},
    **{f"h{n}": (NOW - timedelta(hours=n), NOW) for n in (1, 2, 3, 6, 12, 24, 48)},
    "since_mon": (D(2026, 11, 30), NOW), "since_wed": (D(2026, 11, 25), NOW), "since_fri": (D(2026, 11, 27), NOW),
    "since_nov20": (D(2026, 11, 20), NOW), "since_sat": (D(2026, 11, 28), NOW),
    "nov1-7": (D(2026, 11, 1), D(2026, 11, 8)), "nov10-16": (D(2026, 11, 10), D(2026, 11, 17)),
    "nov15": (D(2026, 11, 15), D(2026, 11, 16)), "nov29": (D(2026, 11, 29), D(2026, 11, 30)),
    "nov16-22": (D(2026, 11, 16), D(2026, 11, 23)),
    "today@Australia/Sydney": (D(2026, 11, 30, 13), NOW), "today@Australia/Melbourne": (D(2026, 11, 30, 13), NOW),
    "yesterday@Australia/Sydney": (D(2026, 11, 29, 13), D(2026, 11, 30, 13)),
    "this_month@Australia/Sydney": (D(2026, 11, 30, 13), NOW),
    "today@Asia/Tokyo": (D(2026, 11, 30, 15), NOW), "yesterday@Asia/Tokyo": (D(2026, 11, 29, 15), D(2026, 11, 30, 15)),
    "last_week@Asia/Tokyo": (D(2026, 11, 22, 15), D(2026, 11, 29, 15)),
    "today@Asia/Singapore": (D(2026, 11, 30, 16), NOW), "this_week@Asia/Tokyo": (D(2026, 11, 29, 15), NOW),
    "today@Asia/Dubai": (D(2026, 11, 30, 20), NOW), "yesterday@Europe/Paris": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Asia/Dubai": (D(2026, 11, 29, 20), D(2026, 11, 30, 20)),
    "today@Asia/Kolkata": (D(2026, 11, 30, 18, 30), NOW),
    "today@Europe/Berlin": (D(2026, 11, 30, 23), NOW), "today@Europe/Paris": (D(2026, 11, 30, 23), NOW),
    "this_week@Europe/Berlin": (D(2026, 11, 29, 23), NOW),
    "today@Etc/GMT-2": (D(2026, 11, 30, 22), NOW),
    "today@America/New_York": (D(2026, 12, 1, 5), NOW),
    "yesterday@America/New_York": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "last_week@America/New_York": (D(2026, 11, 23, 5), D(2026, 11, 30, 5)),
    "last_month@America/New_York": (D(2026, 11, 1, 4), D(2026, 12, 1, 5)),
    "today@America/Chicago": (D(2026, 12, 1, 6), NOW), "today@America/Denver": (D(2026, 12, 1, 7), NOW),
    "today@America/Los_Angeles": (D(2026, 12, 1, 8), NOW),
    "yesterday@America/Los_Angeles": (D(2026, 11, 30, 8), D(2026, 12, 1, 8)),
    "this_week@America/Los_Angeles": (D(2026, 11, 30, 8), NOW),
    "today@America/Sao_Paulo": (D(2026, 12, 1, 3), NOW),
    # heldout_d (Hong Kong +8, Auckland NZDT +13, Toronto EST -5, London GMT in December)
    "today@Europe/London": (D(2026, 12, 1), NOW), "today@Asia/Hong_Kong": (D(2026, 11, 30, 16), NOW),
    "today@Pacific/Auckland": (D(2026, 11, 30, 11), NOW), "today@America/Toronto": (D(2026, 12, 1, 5), NOW),
    "yesterday@America/Chicago": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "this_week@America/New_York": (D(2026, 11, 30, 5), NOW), "this_month@Asia/Tokyo": (D(2026, 11, 30, 15), NOW),
    "nov29@Asia/Tokyo": (D(2026, 11, 28, 15), D(2026, 11, 29, 15)),
    # heldout_e (Perth +8, Seoul +9, Madrid CET +1, Johannesburg +2, Mexico City -6 (no DST), Bangkok / Jakarta +7,
    # Bahrain / Istanbul +3, Vancouver PST -8, Denver MST -7, Brisbane +10 (no DST), Melbourne AEDT +11,
    # "UTC-5" = Etc/GMT+5; "last 3 weeks" = rolling 21 days; "between Nov 2 and Nov 8" includes both days)
    "d4": (NOW - timedelta(days=4), NOW), "d21": (NOW - timedelta(days=21), NOW),
    "h4": (NOW - timedelta(hours=4), NOW), "h36": (NOW - timedelta(hours=36), NOW),
    "since_thu": (D(2026, 11, 26), NOW), "nov2-8": (D(2026, 11, 2), D(2026, 11, 9)),
    "nov20": (D(2026, 11, 20), D(2026, 11, 21)), "oct15-31": (D(2026, 10, 15), D(2026, 11, 1)),
    "today@Australia/Perth": (D(2026, 11, 30, 16), NOW), "today@Asia/Seoul": (D(2026, 11, 30, 15), NOW),
    "yesterday@Asia/Seoul": (D(2026, 11, 29, 15), D(2026, 11, 30, 15)),
    "today@Europe/Madrid": (D(2026, 11, 30, 23), NOW), "today@Africa/Johannesburg": (D(2026, 11, 30, 22), NOW),
    "today@America/Mexico_City": (D(2026, 12, 1, 6), NOW),
    "last_month@America/Los_Angeles": (D(2026, 11, 1, 7), D(2026, 12, 1, 8)),
    "yesterday@Europe/London": (D(2026, 11, 30), D(2026, 12, 1)),
    "today@Asia/Bangkok": (D(2026, 11, 30, 17), NOW), "today@Asia/Jakarta": (D(2026, 11, 30, 17), NOW),
    "today@Asia/Bahrain": (D(2026, 11, 30, 21), NOW), "today@Europe/Istanbul": (D(2026, 11, 30, 21), NOW),
    "today@America/Vancouver": (D(2026, 12, 1, 8), NOW),
    "yesterday@America/Denver": (D(2026, 11, 30, 7), D(2026, 12, 1, 7)),
    "yesterday@Australia/Brisbane": (D(2026, 11, 29, 14), D(2026, 11, 30, 14)),
    "today@Etc/GMT+5": (D(2026, 12, 1, 5), NOW),
    "this_week@Australia/Sydney": (D(2026, 11, 29, 13), NOW),
    "this_week@Australia/Melbourne": (D(2026, 11, 29, 13), NOW),
    "yesterday@Europe/Berlin": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Asia/Jerusalem": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),  # tuning (Israel +2 in December)
    # heldout_h (Zurich / Paris / Berlin CET +1 since Oct 25; "between 1 and 15 November" and "between Nov 23 and
    # Nov 29" include both days)
    "nov1-15": (D(2026, 11, 1), D(2026, 11, 16)), "nov23-29": (D(2026, 11, 23), D(2026, 11, 30)),
    "today@Europe/Zurich": (D(2026, 11, 30, 23), NOW), "this_week@Europe/Paris": (D(2026, 11, 29, 23), NOW),
    "last_week@Europe/Berlin": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    # heldout_i (Sydney AEDT +11, Singapore +8, Brisbane AEST +10 with no daylight saving)
    "last_week@Australia/Sydney": (D(2026, 11, 22, 13), D(2026, 11, 29, 13)),
    "last_month@Australia/Sydney": (D(2026, 10, 31, 13), D(2026, 11, 30, 13)),
    "yesterday@Asia/Singapore": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    "today@Australia/Brisbane": (D(2026, 11, 30, 14), NOW),
    # heldout_j (Lisbon WET +0, Auckland NZDT +13, Helsinki EET +2, UTC+3 = Etc/GMT-3, Honolulu HST -10 with no
    # daylight saving, Manila +8, Berlin CET +1 since Oct 25; "between 23 and 30 November" includes both days)
    "today@Europe/Lisbon": (D(2026, 12, 1), NOW),
    "yesterday@Pacific/Auckland": (D(2026, 11, 29, 11), D(2026, 11, 30, 11)),
    "this_week@Asia/Seoul": (D(2026, 11, 29, 15), NOW),
    "last_week@Asia/Dubai": (D(2026, 11, 22, 20), D(2026, 11, 29, 20)),
    "yesterday@Africa/Johannesburg": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@Asia/Kolkata": (D(2026, 11, 29, 18, 30), D(2026, 11, 30, 18, 30)),
    "last_week@America/Los_Angeles": (D(2026, 11, 23, 8), D(2026, 11, 30, 8)),
    "this_month@America/Chicago": (D(2026, 12, 1, 6), NOW),
    "today@Europe/Helsinki": (D(2026, 11, 30, 22), NOW),
    "nov@Asia/Tokyo": (D(2026, 10, 31, 15), D(2026, 11, 30, 15)),
    "today@Etc/GMT-3": (D(2026, 11, 30, 21), NOW),
    "yesterday@Pacific/Honolulu": (D(2026, 11, 30, 10), D(2026, 12, 1, 10)),
    "today@Asia/Manila": (D(2026, 11, 30, 16), NOW),
    "last_month@Europe/Berlin": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "nov23-30": (D(2026, 11, 23), D(2026, 12, 1)), "nov27": (D(2026, 11, 27), D(2026, 11, 28)),
    "since_nov23": (D(2026, 11, 23), NOW), "since_sun": (D(2026, 11, 29), NOW),
    "d45": (NOW - timedelta(days=45), NOW),
    # heldout_k (Rome / Warsaw CET +1, Cancun EST -5 all year, Lima -5, Athens / Cairo EET +2, Phoenix MST -7 with no
    # daylight saving, Chicago CST -6; "24-26 Nov" and "1 to 10 November" include both days; "last 6 weeks" rolling)
    "today@Europe/Rome": (D(2026, 11, 30, 23), NOW),
    "yesterday@Europe/Rome": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "nov29@Europe/Rome": (D(2026, 11, 28, 23), D(2026, 11, 29, 23)),
    "last_month@Europe/Rome": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "today@Europe/Warsaw": (D(2026, 11, 30, 23), NOW),
    "yesterday@Europe/Warsaw": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "last_week@Europe/Warsaw": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "this_month@Europe/Warsaw": (D(2026, 11, 30, 23), NOW),
    "today@America/Cancun": (D(2026, 12, 1, 5), NOW), "today@America/Lima": (D(2026, 12, 1, 5), NOW),
    "yesterday@Europe/Athens": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "today@Africa/Cairo": (D(2026, 11, 30, 22), NOW), "today@America/Phoenix": (D(2026, 12, 1, 7), NOW),
    "this_week@America/Chicago": (D(2026, 11, 30, 6), NOW),
    "h8": (NOW - timedelta(hours=8), NOW), "h72": (NOW - timedelta(hours=72), NOW),
    "d42": (NOW - timedelta(days=42), NOW), "nov28": (D(2026, 11, 28), D(2026, 11, 29)),
    "nov24-26": (D(2026, 11, 24), D(2026, 11, 27)), "nov1-10": (D(2026, 11, 1), D(2026, 11, 11)),
    # heldout_l (Nairobi +3, Amsterdam / Stockholm CET +1, Bogota -5, Taipei +8, Halifax AST -4 since Nov 1, Santiago
    # CLST -3 in December, Chicago CDT -5 until Nov 1 then CST -6; "last four weeks" rolling; "3-9 November" includes
    # both days; "in August" the latest August that has started)
    "today@Africa/Nairobi": (D(2026, 11, 30, 21), NOW),
    "yesterday@Europe/Amsterdam": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Europe/Stockholm": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "today@America/Bogota": (D(2026, 12, 1, 5), NOW), "this_week@Asia/Taipei": (D(2026, 11, 29, 16), NOW),
    "yesterday@America/Halifax": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    "today@America/Santiago": (D(2026, 12, 1, 3), NOW),
    "last_month@America/Chicago": (D(2026, 11, 1, 5), D(2026, 12, 1, 6)),
    "d28": (NOW - timedelta(days=28), NOW), "h5": (NOW - timedelta(hours=5), NOW),
    "nov9": (D(2026, 11, 9), D(2026, 11, 10)), "nov3-9": (D(2026, 11, 3), D(2026, 11, 10)),
    "since_nov15": (D(2026, 11, 15), NOW), "aug": (D(2026, 8, 1), D(2026, 9, 1)),
    # heldout_m (Vienna / Oslo CET +1, Vancouver PST -8, Anchorage AKST -9, Ho Chi Minh +7, Karachi +5, Kathmandu
    # +5:45, Adelaide ACDT +10:30, Dublin GMT in winter, Moscow +3, Buenos Aires -3; "UTC+4" = Etc/GMT-4, "UTC-3" =
    # Etc/GMT+3; "5-12 November" includes both days)
    "this_month@Europe/Vienna": (D(2026, 11, 30, 23), NOW), "today@Europe/Vienna": (D(2026, 11, 30, 23), NOW),
    "yesterday@Europe/Oslo": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@America/Vancouver": (D(2026, 11, 30, 8), D(2026, 12, 1, 8)),
    "today@America/Anchorage": (D(2026, 12, 1, 9), NOW),
    "yesterday@Asia/Ho_Chi_Minh": (D(2026, 11, 29, 17), D(2026, 11, 30, 17)),
    "today@Asia/Karachi": (D(2026, 11, 30, 19), NOW),
    "yesterday@Asia/Kathmandu": (D(2026, 11, 29, 18, 15), D(2026, 11, 30, 18, 15)),
    "yesterday@Australia/Adelaide": (D(2026, 11, 29, 13, 30), D(2026, 11, 30, 13, 30)),
    "today@Australia/Adelaide": (D(2026, 11, 30, 13, 30), NOW),
    "today@Europe/Dublin": (D(2026, 12, 1), NOW), "yesterday@Europe/Dublin": (D(2026, 11, 30), D(2026, 12, 1)),
    "today@Etc/GMT-4": (D(2026, 11, 30, 20), NOW),
    "yesterday@Europe/Moscow": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@Etc/GMT+3": (D(2026, 11, 30, 3), D(2026, 12, 1, 3)),
    "today@America/Argentina/Buenos_Aires": (D(2026, 12, 1, 3), NOW),
    "nov3": (D(2026, 11, 3), D(2026, 11, 4)), "nov5-12": (D(2026, 11, 5), D(2026, 11, 13)),
    "nov18-24": (D(2026, 11, 18), D(2026, 11, 25)), "since_nov1": (D(2026, 11, 1), NOW),
    "d15": (NOW - timedelta(days=15), NOW),
    # heldout_n (Zurich / Prague / Copenhagen / Amsterdam CET +1, Lagos WAT +1, "UTC+1" = Etc/GMT-1, London and
    # Reykjavik +0, Athens EET +2, Shanghai +8, "GMT+8" = Etc/GMT-8)
    "today@Africa/Lagos": (D(2026, 11, 30, 23), NOW),
    "yesterday@Africa/Lagos": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "today@Asia/Shanghai": (D(2026, 11, 30, 16), NOW),
    "yesterday@Asia/Shanghai": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    "yesterday@Atlantic/Reykjavik": (D(2026, 11, 30), D(2026, 12, 1)), "today@Etc/GMT-1": (D(2026, 11, 30, 23), NOW),
    "yesterday@Etc/GMT-8": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    "last_month@Europe/Amsterdam": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "this_week@Europe/Amsterdam": (D(2026, 11, 29, 23), NOW), "today@Europe/Athens": (D(2026, 11, 30, 22), NOW),
    "today@Europe/Copenhagen": (D(2026, 11, 30, 23), NOW),
    "yesterday@Europe/Copenhagen": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "this_week@Europe/London": (D(2026, 11, 30), NOW),
    "last_week@Europe/Prague": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "today@Europe/Prague": (D(2026, 11, 30, 23), NOW), "this_week@Europe/Zurich": (D(2026, 11, 29, 23), NOW),
    "yesterday@Europe/Zurich": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "d20": (NOW - timedelta(days=20), NOW), "nov25": (D(2026, 11, 25), D(2026, 11, 26)),
    # heldout_o's (computed with zoneinfo from the local midnights; Tallinn EET +2, Toronto / New York EST -5 (EDT -4
    # until Nov 1), Paris CET +1, Melbourne AEDT +11, Etc/GMT+6 = UTC-6, Makassar WITA +8)
    "today@Europe/Tallinn": (D(2026, 11, 30, 22), NOW),
    "yesterday@Europe/Tallinn": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "last_week@Europe/Tallinn": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "yesterday@America/Toronto": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "last_week@America/Toronto": (D(2026, 11, 23, 5), D(2026, 11, 30, 5)),
    "this_month@America/Toronto": (D(2026, 12, 1, 5), NOW), "this_month@America/New_York": (D(2026, 12, 1, 5), NOW),
    "oct@America/Toronto": (D(2026, 10, 1, 4), D(2026, 11, 1, 4)),
    "last_week@Europe/Paris": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "last_month@Australia/Melbourne": (D(2026, 10, 31, 13), D(2026, 11, 30, 13)),
    "nov@Australia/Melbourne": (D(2026, 10, 31, 13), D(2026, 11, 30, 13)),
    "yesterday@Etc/GMT+6": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "today@Asia/Makassar": (D(2026, 11, 30, 16), NOW),
    "yesterday@Asia/Makassar": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    "d6": (NOW - timedelta(days=6), NOW), "h10": (NOW - timedelta(hours=10), NOW),
    "nov12": (D(2026, 11, 12), D(2026, 11, 13)), "nov2-6": (D(2026, 11, 2), D(2026, 11, 7)),
    "y2025": (D(2025, 1, 1), D(2026, 1, 1)),
    # heldout_p's (computed with zoneinfo from the local midnights; Denver / Winnipeg leave summer time on Nov 1,
    # Auckland NZDT +13, Seoul +9, Johannesburg +2, Dubai +4, Mexico City -6 (no DST), Santiago CLST -3, London BST
    # until Oct 25)
    "last_month@America/Denver": (D(2026, 11, 1, 6), D(2026, 12, 1, 7)),
    "last_month@Pacific/Auckland": (D(2026, 10, 31, 11), D(2026, 11, 30, 11)),
    "last_week@Africa/Johannesburg": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "last_week@America/Winnipeg": (D(2026, 11, 23, 6), D(2026, 11, 30, 6)),
    "last_week@Asia/Seoul": (D(2026, 11, 22, 15), D(2026, 11, 29, 15)),
    "last_week@Pacific/Auckland": (D(2026, 11, 22, 11), D(2026, 11, 29, 11)),
    "nov1-7@Pacific/Auckland": (D(2026, 10, 31, 11), D(2026, 11, 7, 11)),
    "nov16-22@America/Winnipeg": (D(2026, 11, 16, 6), D(2026, 11, 23, 6)),
    "nov8-14": (D(2026, 11, 8), D(2026, 11, 15)),
    "nov@America/Winnipeg": (D(2026, 11, 1, 5), D(2026, 12, 1, 6)),
    "oct@America/New_York": (D(2026, 10, 1, 4), D(2026, 11, 1, 4)),
    "oct@Europe/London": (D(2026, 9, 30, 23), D(2026, 11, 1)),
    "since_nov10": (D(2026, 11, 10), NOW),
    "this_month@Africa/Johannesburg": (D(2026, 11, 30, 22), NOW),
    "this_month@Asia/Dubai": (D(2026, 11, 30, 20), NOW),
    "this_month@Asia/Seoul": (D(2026, 11, 30, 15), NOW),
    "this_month@Pacific/Auckland": (D(2026, 11, 30, 11), NOW),
    "this_week@America/Denver": (D(2026, 11, 30, 7), NOW),
    "this_week@America/Mexico_City": (D(2026, 11, 30, 6), NOW),
    "yesterday@America/Mexico_City": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "yesterday@America/Santiago": (D(2026, 11, 30, 3), D(2026, 12, 1, 3)),
    "yesterday@America/Winnipeg": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    # heldout_q's (computed with zoneinfo from the local midnights; Adelaide ACDT +10:30 (ACST +9:30 until Oct 4),
    # St. John's NST -3:30 (NDT -2:30 until Nov 1), Zagreb CET +1, Lisbon WET +0, Singapore +8, Nairobi +3, Tokyo +9,
    # Buenos Aires -3, Etc/GMT+3 = UTC-3, Kathmandu +5:45, Chatham CHADT +13:45)
    "d12": (D(2026, 11, 19, 10), NOW),
    "h18": (D(2026, 11, 30, 16), NOW),
    "jul": (D(2026, 7, 1), D(2026, 8, 1)),
    "last_month@America/Argentina/Buenos_Aires": (D(2026, 11, 1, 3), D(2026, 12, 1, 3)),
    "last_month@America/St_Johns": (D(2026, 11, 1, 2, 30), D(2026, 12, 1, 3, 30)),
    "last_month@Asia/Singapore": (D(2026, 10, 31, 16), D(2026, 11, 30, 16)),
    "last_month@Asia/Tokyo": (D(2026, 10, 31, 15), D(2026, 11, 30, 15)),
    "last_month@Australia/Adelaide": (D(2026, 10, 31, 13, 30), D(2026, 11, 30, 13, 30)),
    "last_month@Europe/Lisbon": (D(2026, 11, 1), D(2026, 12, 1)),
    "last_week@Africa/Nairobi": (D(2026, 11, 22, 21), D(2026, 11, 29, 21)),
    "last_week@Asia/Kathmandu": (D(2026, 11, 22, 18, 15), D(2026, 11, 29, 18, 15)),
    "last_week@Australia/Adelaide": (D(2026, 11, 22, 13, 30), D(2026, 11, 29, 13, 30)),
    "last_week@Europe/Zagreb": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "nov11-19": (D(2026, 11, 11), D(2026, 11, 20)),
    "nov16": (D(2026, 11, 16), D(2026, 11, 17)),
    "nov16-22@Australia/Adelaide": (D(2026, 11, 15, 13, 30), D(2026, 11, 22, 13, 30)),
    "nov21-27": (D(2026, 11, 21), D(2026, 11, 28)),
    "nov29@Asia/Singapore": (D(2026, 11, 28, 16), D(2026, 11, 29, 16)),
    "oct1-15": (D(2026, 10, 1), D(2026, 10, 16)),
    "oct@Australia/Adelaide": (D(2026, 9, 30, 14, 30), D(2026, 10, 31, 13, 30)),
    "since_nov1@Africa/Nairobi": (D(2026, 10, 31, 21), NOW),
    "since_nov26": (D(2026, 11, 26), NOW),
    "this_month@Africa/Nairobi": (D(2026, 11, 30, 21), NOW),
    "this_month@Australia/Adelaide": (D(2026, 11, 30, 13, 30), NOW),
    "this_month@Europe/Zagreb": (D(2026, 11, 30, 23), NOW),
    "this_week@America/Argentina/Buenos_Aires": (D(2026, 11, 30, 3), NOW),
    "this_week@America/St_Johns": (D(2026, 11, 30, 3, 30), NOW),
    "this_week@Asia/Singapore": (D(2026, 11, 29, 16), NOW),
    "this_week@Australia/Adelaide": (D(2026, 11, 29, 13, 30), NOW),
    "this_week@Europe/Lisbon": (D(2026, 11, 30), NOW),
    "today@America/St_Johns": (D(2026, 12, 1, 3, 30), NOW),
    "today@Asia/Kathmandu": (D(2026, 11, 30, 18, 15), NOW),
    "today@Etc/GMT+3": (D(2026, 12, 1, 3), NOW),
    "today@Europe/Zagreb": (D(2026, 11, 30, 23), NOW),
    "today@Pacific/Chatham": (D(2026, 11, 30, 10, 15), NOW),
    "yesterday@Africa/Nairobi": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@America/Argentina/Buenos_Aires": (D(2026, 11, 30, 3), D(2026, 12, 1, 3)),
    "yesterday@America/St_Johns": (D(2026, 11, 30, 3, 30), D(2026, 12, 1, 3, 30)),
    "yesterday@Europe/Lisbon": (D(2026, 11, 30), D(2026, 12, 1)),
    "yesterday@Europe/Zagreb": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Pacific/Chatham": (D(2026, 11, 29, 10, 15), D(2026, 11, 30, 10, 15)),
    # heldout_r's (computed with zoneinfo from the local midnights; Warsaw / Vienna / Amsterdam CET +1 (CEST until
    # Oct 25), Lima -5, Bangkok +7, Riyadh +3, Denver MST -7 (MDT -6 until Nov 1), Colombo +5:30)
    "d9": (D(2026, 11, 22, 10), NOW),
    "h16": (D(2026, 11, 30, 18), NOW),
    "jul@America/Denver": (D(2026, 7, 1, 6), D(2026, 8, 1, 6)),
    "jun15-aug15@America/Denver": (D(2026, 6, 15, 6), D(2026, 8, 16, 6)),
    "last_month@Asia/Colombo": (D(2026, 10, 31, 18, 30), D(2026, 11, 30, 18, 30)),
    "last_month@Europe/Warsaw": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@America/Denver": (D(2026, 11, 23, 7), D(2026, 11, 30, 7)),
    "last_week@America/Lima": (D(2026, 11, 23, 5), D(2026, 11, 30, 5)),
    "last_week@Asia/Bangkok": (D(2026, 11, 22, 17), D(2026, 11, 29, 17)),
    "last_week@Europe/Amsterdam": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "last_week@Europe/Vienna": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "nov17-23": (D(2026, 11, 17), D(2026, 11, 24)),
    "nov19": (D(2026, 11, 19), D(2026, 11, 20)),
    "nov2-9": (D(2026, 11, 2), D(2026, 11, 10)),
    "nov24-30": (D(2026, 11, 24), D(2026, 12, 1)),
    "nov29@Europe/Amsterdam": (D(2026, 11, 28, 23), D(2026, 11, 29, 23)),
    "nov9-15": (D(2026, 11, 9), D(2026, 11, 16)),
    "oct@Europe/Vienna": (D(2026, 9, 30, 22), D(2026, 10, 31, 23)),
    "oct@Europe/Warsaw": (D(2026, 9, 30, 22), D(2026, 10, 31, 23)),
    "since_nov5": (D(2026, 11, 5), NOW),
    "this_month@America/Lima": (D(2026, 12, 1, 5), NOW),
    "this_month@Asia/Riyadh": (D(2026, 11, 30, 21), NOW),
    "this_week@Asia/Riyadh": (D(2026, 11, 29, 21), NOW),
    "this_week@Europe/Warsaw": (D(2026, 11, 29, 23), NOW),
    "today@Asia/Colombo": (D(2026, 11, 30, 18, 30), NOW),
    "today@Asia/Riyadh": (D(2026, 11, 30, 21), NOW),
    "today@Europe/Amsterdam": (D(2026, 11, 30, 23), NOW),
    "yesterday@America/Lima": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "yesterday@Asia/Bangkok": (D(2026, 11, 29, 17), D(2026, 11, 30, 17)),
    "yesterday@Asia/Colombo": (D(2026, 11, 29, 18, 30), D(2026, 11, 30, 18, 30)),
    "yesterday@Asia/Riyadh": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@Europe/Vienna": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    # heldout_s's (computed with zoneinfo from the local midnights by its writer and checked here; Edmonton MST -7
    # (MDT -6 until Nov 1), Montevideo -3, Regina -6, Kuala Lumpur +8, Hobart AEDT +11, Brussels / Budapest CET +1
    # (CEST until Oct 25), Dhaka +6, Accra +0)
    "last_month@America/Edmonton": (D(2026, 11, 1, 6), D(2026, 12, 1, 7)),
    "last_month@America/Montevideo": (D(2026, 11, 1, 3), D(2026, 12, 1, 3)),
    "last_month@Europe/Brussels": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@America/Edmonton": (D(2026, 11, 23, 7), D(2026, 11, 30, 7)),
    "last_week@America/Montevideo": (D(2026, 11, 23, 3), D(2026, 11, 30, 3)),
    "last_week@America/Regina": (D(2026, 11, 23, 6), D(2026, 11, 30, 6)),
    "last_week@Asia/Kuala_Lumpur": (D(2026, 11, 22, 16), D(2026, 11, 29, 16)),
    "last_week@Australia/Hobart": (D(2026, 11, 22, 13), D(2026, 11, 29, 13)),
    "last_week@Europe/Brussels": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "last_week@Europe/Budapest": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "nov21@Australia/Hobart": (D(2026, 11, 20, 13), D(2026, 11, 21, 13)),
    "nov29@Australia/Hobart": (D(2026, 11, 28, 13), D(2026, 11, 29, 13)),
    "nov4-10": (D(2026, 11, 4), D(2026, 11, 11)),
    "oct@Europe/Brussels": (D(2026, 9, 30, 22), D(2026, 10, 31, 23)),
    "since_mon@America/Montevideo": (D(2026, 11, 30, 3), NOW),
    "since_mon@Australia/Hobart": (D(2026, 11, 29, 13), NOW),
    "this_month@Asia/Dhaka": (D(2026, 11, 30, 18), NOW),
    "this_month@Asia/Kuala_Lumpur": (D(2026, 11, 30, 16), NOW),
    "this_week@Africa/Accra": (D(2026, 11, 30), NOW),
    "this_week@America/Edmonton": (D(2026, 11, 30, 7), NOW),
    "this_week@America/Montevideo": (D(2026, 11, 30, 3), NOW),
    "this_week@Australia/Hobart": (D(2026, 11, 29, 13), NOW),
    "this_week@Europe/Brussels": (D(2026, 11, 29, 23), NOW),
    "this_week@Europe/Budapest": (D(2026, 11, 29, 23), NOW),
    "today@Africa/Accra": (D(2026, 12, 1), NOW),
    "today@America/Edmonton": (D(2026, 12, 1, 7), NOW),
    "today@America/Regina": (D(2026, 12, 1, 6), NOW),
    "today@Asia/Dhaka": (D(2026, 11, 30, 18), NOW),
    "today@Asia/Kuala_Lumpur": (D(2026, 11, 30, 16), NOW),
    "today@Australia/Hobart": (D(2026, 11, 30, 13), NOW),
    "today@Europe/Brussels": (D(2026, 11, 30, 23), NOW),
    "today@Europe/Budapest": (D(2026, 11, 30, 23), NOW),
    "yesterday@Africa/Accra": (D(2026, 11, 30), D(2026, 12, 1)),
    "yesterday@America/Edmonton": (D(2026, 11, 30, 7), D(2026, 12, 1, 7)),
    "yesterday@America/Montevideo": (D(2026, 11, 30, 3), D(2026, 12, 1, 3)),
    "yesterday@America/Regina": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "yesterday@Asia/Dhaka": (D(2026, 11, 29, 18), D(2026, 11, 30, 18)),
    "yesterday@Asia/Kuala_Lumpur": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    "yesterday@Australia/Hobart": (D(2026, 11, 29, 13), D(2026, 11, 30, 13)),
    "yesterday@Europe/Brussels": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Europe/Budapest": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    # heldout_t's (computed with zoneinfo from the local midnights by its writer and checked here; Casablanca +1,
    # Boise MST -7 (MDT -6 until Nov 1), Tijuana PST -8 (PDT -7 until Nov 1), Darwin +9:30, Riga / Bucharest EET +2,
    # Guatemala -6, Tbilisi +4, Tashkent +5, Yangon +6:30, Etc/GMT-4 = UTC+4)
    "jun": (D(2026, 6, 1), D(2026, 7, 1)),
    "last_month@Africa/Casablanca": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_month@America/Boise": (D(2026, 11, 1, 6), D(2026, 12, 1, 7)),
    "last_month@America/Tijuana": (D(2026, 11, 1, 7), D(2026, 12, 1, 8)),
    "last_month@Australia/Darwin": (D(2026, 10, 31, 14, 30), D(2026, 11, 30, 14, 30)),
    "last_month@Europe/Riga": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "last_week@America/Guatemala": (D(2026, 11, 23, 6), D(2026, 11, 30, 6)),
    "last_week@Asia/Tbilisi": (D(2026, 11, 22, 20), D(2026, 11, 29, 20)),
    "last_week@Australia/Darwin": (D(2026, 11, 22, 14, 30), D(2026, 11, 29, 14, 30)),
    "last_week@Europe/Bucharest": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "nov6-12": (D(2026, 11, 6), D(2026, 11, 13)),
    "nov@Africa/Casablanca": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "nov@Asia/Tashkent": (D(2026, 10, 31, 19), D(2026, 11, 30, 19)),
    "nov@Asia/Tbilisi": (D(2026, 10, 31, 20), D(2026, 11, 30, 20)),
    "oct@Africa/Casablanca": (D(2026, 9, 30, 23), D(2026, 10, 31, 23)),
    "since_thu@Asia/Tbilisi": (D(2026, 11, 25, 20), NOW),
    "this_month@Asia/Tashkent": (D(2026, 11, 30, 19), NOW),
    "this_week@Etc/GMT-4": (D(2026, 11, 29, 20), NOW),
    "today@America/Boise": (D(2026, 12, 1, 7), NOW),
    "today@America/Guatemala": (D(2026, 12, 1, 6), NOW),
    "today@Asia/Tashkent": (D(2026, 11, 30, 19), NOW),
    "today@Asia/Yangon": (D(2026, 11, 30, 17, 30), NOW),
    "today@Australia/Darwin": (D(2026, 11, 30, 14, 30), NOW),
    "today@Europe/Bucharest": (D(2026, 11, 30, 22), NOW),
    "today@Europe/Riga": (D(2026, 11, 30, 22), NOW),
    "yesterday@America/Boise": (D(2026, 11, 30, 7), D(2026, 12, 1, 7)),
    "yesterday@America/Tijuana": (D(2026, 11, 30, 8), D(2026, 12, 1, 8)),
    "yesterday@Asia/Tashkent": (D(2026, 11, 29, 19), D(2026, 11, 30, 19)),
    "yesterday@Asia/Tbilisi": (D(2026, 11, 29, 20), D(2026, 11, 30, 20)),
    "yesterday@Asia/Yangon": (D(2026, 11, 29, 17, 30), D(2026, 11, 30, 17, 30)),
    "yesterday@Australia/Darwin": (D(2026, 11, 29, 14, 30), D(2026, 11, 30, 14, 30)),
    "yesterday@Europe/Bucharest": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@Europe/Riga": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    # heldout_u's (computed with zoneinfo from the local midnights by its writer and checked here; Sofia EET +2
    # (EEST +3 until Oct 25), Panama -5, Belgrade CET +1, Kampala +3, Ulaanbaatar +8)
    "last_month@Europe/Sofia": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "last_week@America/Panama": (D(2026, 11, 23, 5), D(2026, 11, 30, 5)),
    "nov13-19": (D(2026, 11, 13), D(2026, 11, 20)),
    "oct@Europe/Sofia": (D(2026, 9, 30, 21), D(2026, 10, 31, 22)),
    "since_mon@America/Panama": (D(2026, 11, 30, 5), NOW),
    "since_mon@Europe/Belgrade": (D(2026, 11, 29, 23), NOW),
    "this_month@America/Panama": (D(2026, 12, 1, 5), NOW),
    "this_month@Europe/Belgrade": (D(2026, 11, 30, 23), NOW),
    "this_month@Europe/Sofia": (D(2026, 11, 30, 22), NOW),
    "this_week@Africa/Kampala": (D(2026, 11, 29, 21), NOW),
    "this_week@America/Panama": (D(2026, 11, 30, 5), NOW),
    "this_week@Europe/Belgrade": (D(2026, 11, 29, 23), NOW),
    "today@Africa/Kampala": (D(2026, 11, 30, 21), NOW),
    "today@America/Panama": (D(2026, 12, 1, 5), NOW),
    "today@Asia/Ulaanbaatar": (D(2026, 11, 30, 16), NOW),
    "today@Europe/Belgrade": (D(2026, 11, 30, 23), NOW),
    "today@Europe/Sofia": (D(2026, 11, 30, 22), NOW),
    "yesterday@Africa/Kampala": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@America/Panama": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "yesterday@Asia/Ulaanbaatar": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    "yesterday@Europe/Belgrade": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Europe/Sofia": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    # heldout_v's (computed with zoneinfo from the local midnights by its writer and checked here; Dakar +0, Canary
    # WET +0 (WEST +1 until Oct 25), Luxembourg CET +1, Recife -3, Baku +4, Muscat +4, Tokyo +9)
    "last_month@Africa/Dakar": (D(2026, 11, 1), D(2026, 12, 1)),
    "last_month@Atlantic/Canary": (D(2026, 11, 1), D(2026, 12, 1)),
    "last_month@Europe/Luxembourg": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@America/Recife": (D(2026, 11, 23, 3), D(2026, 11, 30, 3)),
    "last_week@Asia/Baku": (D(2026, 11, 22, 20), D(2026, 11, 29, 20)),
    "last_week@Europe/Luxembourg": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "nov1-7@Asia/Tokyo": (D(2026, 10, 31, 15), D(2026, 11, 7, 15)),
    "nov20-26": (D(2026, 11, 20), D(2026, 11, 27)),
    "oct@Atlantic/Canary": (D(2026, 9, 30, 23), D(2026, 11, 1)),
    "since_mon@America/Recife": (D(2026, 11, 30, 3), NOW),
    "since_mon@Asia/Baku": (D(2026, 11, 29, 20), NOW),
    "since_mon@Europe/Luxembourg": (D(2026, 11, 29, 23), NOW),
    "this_month@America/Recife": (D(2026, 12, 1, 3), NOW),
    "this_month@Europe/Luxembourg": (D(2026, 11, 30, 23), NOW),
    "this_week@Africa/Dakar": (D(2026, 11, 30), NOW),
    "this_week@America/Recife": (D(2026, 11, 30, 3), NOW),
    "this_week@Asia/Baku": (D(2026, 11, 29, 20), NOW),
    "this_week@Asia/Muscat": (D(2026, 11, 29, 20), NOW),
    "today@Africa/Dakar": (D(2026, 12, 1), NOW),
    "today@America/Recife": (D(2026, 12, 1, 3), NOW),
    "today@Asia/Baku": (D(2026, 11, 30, 20), NOW),
    "today@Asia/Muscat": (D(2026, 11, 30, 20), NOW),
    "today@Europe/Luxembourg": (D(2026, 11, 30, 23), NOW),
    "yesterday@Africa/Dakar": (D(2026, 11, 30), D(2026, 12, 1)),
    "yesterday@America/Recife": (D(2026, 11, 30, 3), D(2026, 12, 1, 3)),
    "yesterday@Asia/Baku": (D(2026, 11, 29, 20), D(2026, 11, 30, 20)),
    "yesterday@Asia/Muscat": (D(2026, 11, 29, 20), D(2026, 11, 30, 20)),
    "yesterday@Atlantic/Canary": (D(2026, 11, 30), D(2026, 12, 1)),
    "yesterday@Europe/Luxembourg": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    # heldout_w's (computed with zoneinfo from the local midnights by its writer and checked here; Lusaka +2,
    # Vilnius EET +2, Yerevan +4, Costa Rica -6)
    "last_month@Africa/Lusaka": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "last_month@Europe/Vilnius": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "last_week@Asia/Yerevan": (D(2026, 11, 22, 20), D(2026, 11, 29, 20)),
    "nov9-13": (D(2026, 11, 9), D(2026, 11, 14)),
    "this_week@Africa/Lusaka": (D(2026, 11, 29, 22), NOW),
    "today@Africa/Lusaka": (D(2026, 11, 30, 22), NOW),
    "today@America/Costa_Rica": (D(2026, 12, 1, 6), NOW),
    "today@Asia/Yerevan": (D(2026, 11, 30, 20), NOW),
    "today@Europe/Vilnius": (D(2026, 11, 30, 22), NOW),
    "yesterday@Africa/Lusaka": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@America/Costa_Rica": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "yesterday@Europe/Vilnius": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    # heldout_x's (computed with zoneinfo from the local midnights by its writer and checked here; Ljubljana CET +1
    # (CEST until Oct 25), Addis Ababa +3, Kyiv / Chisinau EET +2, Caracas -4, Puerto Rico -4, Phnom Penh +7, Hong
    # Kong +8, Sydney AEDT +11, New York EST -5, Berlin CET +1, Etc/GMT-2 = UTC+2)
    "last_month@Africa/Addis_Ababa": (D(2026, 10, 31, 21), D(2026, 11, 30, 21)),
    "last_month@Europe/Ljubljana": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@Africa/Addis_Ababa": (D(2026, 11, 22, 21), D(2026, 11, 29, 21)),
    "last_week@Europe/Ljubljana": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "nov16-22@Australia/Sydney": (D(2026, 11, 15, 13), D(2026, 11, 22, 13)),
    "nov29@Europe/Kyiv": (D(2026, 11, 28, 22), D(2026, 11, 29, 22)),
    "nov9-15@Asia/Phnom_Penh": (D(2026, 11, 8, 17), D(2026, 11, 15, 17)),
    "oct@Europe/Ljubljana": (D(2026, 9, 30, 22), D(2026, 10, 31, 23)),
    "since_mon@America/New_York": (D(2026, 11, 30, 5), NOW),
    "since_mon@Europe/Ljubljana": (D(2026, 11, 29, 23), NOW),
    "since_thu@Europe/Berlin": (D(2026, 11, 25, 23), NOW),
    "since_thu@Europe/Chisinau": (D(2026, 11, 25, 22), NOW),
    "since_thu@Europe/Kyiv": (D(2026, 11, 25, 22), NOW),
    "this_month@America/Puerto_Rico": (D(2026, 12, 1, 4), NOW),
    "this_week@Africa/Addis_Ababa": (D(2026, 11, 29, 21), NOW),
    "this_week@America/Caracas": (D(2026, 11, 30, 4), NOW),
    "this_week@America/Puerto_Rico": (D(2026, 11, 30, 4), NOW),
    "this_week@Europe/Kyiv": (D(2026, 11, 29, 22), NOW),
    "this_week@Europe/Ljubljana": (D(2026, 11, 29, 23), NOW),
    "today@America/Caracas": (D(2026, 12, 1, 4), NOW),
    "today@America/Puerto_Rico": (D(2026, 12, 1, 4), NOW),
    "today@Asia/Phnom_Penh": (D(2026, 11, 30, 17), NOW),
    "today@Europe/Kyiv": (D(2026, 11, 30, 22), NOW),
    "yesterday@America/Caracas": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    "yesterday@Asia/Hong_Kong": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    "yesterday@Asia/Phnom_Penh": (D(2026, 11, 29, 17), D(2026, 11, 30, 17)),
    "yesterday@Etc/GMT-2": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@Europe/Chisinau": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@Europe/Kyiv": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@Europe/Ljubljana": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    # heldout_y (session 19)
    "last_month@Asia/Manila": (D(2026, 10, 31, 16), D(2026, 11, 30, 16)),
    "last_month@Asia/Seoul": (D(2026, 10, 31, 15), D(2026, 11, 30, 15)),
    "last_week@America/Argentina/Buenos_Aires": (D(2026, 11, 23, 3), D(2026, 11, 30, 3)),
    "last_week@Asia/Manila": (D(2026, 11, 22, 16), D(2026, 11, 29, 16)),
    "last_week@Europe/Lisbon": (D(2026, 11, 23), D(2026, 11, 30)),
    "nov14": (D(2026, 11, 14), D(2026, 11, 15)),
    "nov16-22@Europe/Lisbon": (D(2026, 11, 16), D(2026, 11, 23)),
    "nov22-28": (D(2026, 11, 22), D(2026, 11, 29)),
    "nov29@Asia/Manila": (D(2026, 11, 28, 16), D(2026, 11, 29, 16)),
    "nov@America/New_York": (D(2026, 11, 1, 4), D(2026, 12, 1, 5)),
    "nov@Asia/Manila": (D(2026, 10, 31, 16), D(2026, 11, 30, 16)),
    "nov@Asia/Seoul": (D(2026, 10, 31, 15), D(2026, 11, 30, 15)),
    "nov@Europe/Lisbon": (D(2026, 11, 1), D(2026, 12, 1)),
    "oct@Europe/Lisbon": (D(2026, 9, 30, 23), D(2026, 11, 1)),
    "since_mon@America/Argentina/Buenos_Aires": (D(2026, 11, 30, 3), NOW),
    "since_mon@Europe/Amsterdam": (D(2026, 11, 29, 23), NOW),
    "since_mon@Europe/Lisbon": (D(2026, 11, 30), NOW),
    "this_month@America/Argentina/Buenos_Aires": (D(2026, 12, 1, 3), NOW),
    "this_month@Asia/Manila": (D(2026, 11, 30, 16), NOW),
    "this_month@Europe/Berlin": (D(2026, 11, 30, 23), NOW),
    "this_month@Europe/Lisbon": (D(2026, 12, 1), NOW),
    "this_week@Africa/Nairobi": (D(2026, 11, 29, 21), NOW),
    "this_week@Asia/Manila": (D(2026, 11, 29, 16), NOW),
    "this_week@Pacific/Auckland": (D(2026, 11, 29, 11), NOW),
    "yesterday@Asia/Manila": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    # heldout_z (session 19)
    "last_month@Africa/Windhoek": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "last_month@America/Detroit": (D(2026, 11, 1, 4), D(2026, 12, 1, 5)),
    "last_month@Europe/Bratislava": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_month@Europe/Malta": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@Africa/Kigali": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "last_week@America/Detroit": (D(2026, 11, 23, 5), D(2026, 11, 30, 5)),
    "nov1-15@Africa/Windhoek": (D(2026, 10, 31, 22), D(2026, 11, 15, 22)),
    "nov@Europe/Bratislava": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "nov@Europe/Malta": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "oct@America/Detroit": (D(2026, 10, 1, 4), D(2026, 11, 1, 4)),
    "oct@Europe/Bratislava": (D(2026, 9, 30, 22), D(2026, 10, 31, 23)),
    "since_mon@America/Detroit": (D(2026, 11, 30, 5), NOW),
    "this_month@Africa/Windhoek": (D(2026, 11, 30, 22), NOW),
    "this_month@Europe/Bratislava": (D(2026, 11, 30, 23), NOW),
    "this_month@Europe/Malta": (D(2026, 11, 30, 23), NOW),
    "this_week@Africa/Kigali": (D(2026, 11, 29, 22), NOW),
    "this_week@America/Guayaquil": (D(2026, 11, 30, 5), NOW),
    "this_week@Europe/Malta": (D(2026, 11, 29, 23), NOW),
    "this_week@Pacific/Port_Moresby": (D(2026, 11, 29, 14), NOW),
    "today@Africa/Kigali": (D(2026, 11, 30, 22), NOW),
    "today@America/Detroit": (D(2026, 12, 1, 5), NOW),
    "today@America/Guayaquil": (D(2026, 12, 1, 5), NOW),
    "today@Europe/Andorra": (D(2026, 11, 30, 23), NOW),
    "today@Europe/Malta": (D(2026, 11, 30, 23), NOW),
    "today@Europe/Skopje": (D(2026, 11, 30, 23), NOW),
    "today@Pacific/Port_Moresby": (D(2026, 11, 30, 14), NOW),
    "yesterday@Africa/Kigali": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@Africa/Windhoek": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@America/Detroit": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "yesterday@America/Guayaquil": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "yesterday@Etc/GMT+4": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    "yesterday@Europe/Andorra": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Europe/Malta": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Europe/Skopje": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Pacific/Port_Moresby": (D(2026, 11, 29, 14), D(2026, 11, 30, 14)),
    "ytd@Africa/Windhoek": (D(2025, 12, 31, 22), NOW),
    # heldout_aa (session 19)
    "last_week@Europe/Athens": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "nov1-15@Europe/Budapest": (D(2026, 10, 31, 23), D(2026, 11, 15, 23)),
    "nov29@Africa/Dar_es_Salaam": (D(2026, 11, 28, 21), D(2026, 11, 29, 21)),
    "nov29@Europe/Istanbul": (D(2026, 11, 28, 21), D(2026, 11, 29, 21)),
    "nov@Europe/Budapest": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "since_mon@Asia/Ho_Chi_Minh": (D(2026, 11, 29, 17), NOW),
    "since_mon@Asia/Jerusalem": (D(2026, 11, 29, 22), NOW),
    "this_month@Asia/Amman": (D(2026, 11, 30, 21), NOW),
    "this_month@Europe/Athens": (D(2026, 11, 30, 22), NOW),
    "this_week@Asia/Amman": (D(2026, 11, 29, 21), NOW),
    "this_week@Asia/Jakarta": (D(2026, 11, 29, 17), NOW),
    "this_week@Asia/Jerusalem": (D(2026, 11, 29, 22), NOW),
    "this_week@Europe/Istanbul": (D(2026, 11, 29, 21), NOW),
    "today@Africa/Dar_es_Salaam": (D(2026, 11, 30, 21), NOW),
    "today@Asia/Ho_Chi_Minh": (D(2026, 11, 30, 17), NOW),
    "yesterday@Africa/Dar_es_Salaam": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@Asia/Amman": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@Asia/Jakarta": (D(2026, 11, 29, 17), D(2026, 11, 30, 17)),
    "yesterday@Europe/Istanbul": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    # heldout_ab (session 19)
    "last_month@Africa/Maputo": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "last_month@Atlantic/Azores": (D(2026, 11, 1, 1), D(2026, 12, 1, 1)),
    "last_month@Europe/Tirane": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@Africa/Tunis": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "last_week@Asia/Qatar": (D(2026, 11, 22, 21), D(2026, 11, 29, 21)),
    "last_week@Europe/Tirane": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "last_week@Indian/Mauritius": (D(2026, 11, 22, 20), D(2026, 11, 29, 20)),
    "oct@Africa/Maputo": (D(2026, 9, 30, 22), D(2026, 10, 31, 22)),
    "this_month@Africa/Maputo": (D(2026, 11, 30, 22), NOW),
    "this_month@America/La_Paz": (D(2026, 12, 1, 4), NOW),
    "this_month@Asia/Qatar": (D(2026, 11, 30, 21), NOW),
    "this_month@Europe/Tirane": (D(2026, 11, 30, 23), NOW),
    "this_month@Indian/Mauritius": (D(2026, 11, 30, 20), NOW),
    "this_week@Africa/Tunis": (D(2026, 11, 29, 23), NOW),
    "this_week@America/La_Paz": (D(2026, 11, 30, 4), NOW),
    "this_week@Europe/Minsk": (D(2026, 11, 29, 21), NOW),
    "this_week@Europe/Tirane": (D(2026, 11, 29, 23), NOW),
    "this_week@Indian/Mauritius": (D(2026, 11, 29, 20), NOW),
    "this_week@Pacific/Fiji": (D(2026, 11, 29, 12), NOW),
    "today@Africa/Tunis": (D(2026, 11, 30, 23), NOW),
    "today@America/La_Paz": (D(2026, 12, 1, 4), NOW),
    "today@Asia/Qatar": (D(2026, 11, 30, 21), NOW),
    "today@Atlantic/Azores": (D(2026, 12, 1, 1), NOW),
    "today@Europe/Minsk": (D(2026, 11, 30, 21), NOW),
    "today@Indian/Mauritius": (D(2026, 11, 30, 20), NOW),
    "today@Pacific/Fiji": (D(2026, 11, 30, 12), NOW),
    "yesterday@America/La_Paz": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    "yesterday@Asia/Qatar": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@Atlantic/Azores": (D(2026, 11, 30, 1), D(2026, 12, 1, 1)),
    "yesterday@Europe/Minsk": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@Europe/Tirane": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Indian/Mauritius": (D(2026, 11, 29, 20), D(2026, 11, 30, 20)),
    "yesterday@Pacific/Fiji": (D(2026, 11, 29, 12), D(2026, 11, 30, 12)),
    # heldout_ac (session 19)
    "last_month@Africa/Algiers": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_month@America/Winnipeg": (D(2026, 11, 1, 5), D(2026, 12, 1, 6)),
    "last_month@Asia/Nicosia": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "last_month@Europe/Gibraltar": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_month@Pacific/Guam": (D(2026, 10, 31, 14), D(2026, 11, 30, 14)),
    "last_week@Africa/Algiers": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "last_week@America/Jamaica": (D(2026, 11, 23, 5), D(2026, 11, 30, 5)),
    "last_week@America/Santo_Domingo": (D(2026, 11, 23, 4), D(2026, 11, 30, 4)),
    "last_week@Asia/Thimphu": (D(2026, 11, 22, 18), D(2026, 11, 29, 18)),
    "last_week@Europe/Gibraltar": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "last_week@Pacific/Guam": (D(2026, 11, 22, 14), D(2026, 11, 29, 14)),
    "nov16-22@Asia/Thimphu": (D(2026, 11, 15, 18), D(2026, 11, 22, 18)),
    "nov16-30": (D(2026, 11, 16), D(2026, 12, 1)),
    "nov29@Europe/Gibraltar": (D(2026, 11, 28, 23), D(2026, 11, 29, 23)),
    "nov@Africa/Algiers": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "nov@Asia/Nicosia": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "nov@Europe/Gibraltar": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "oct@Africa/Algiers": (D(2026, 9, 30, 23), D(2026, 10, 31, 23)),
    "oct@America/Winnipeg": (D(2026, 10, 1, 5), D(2026, 11, 1, 5)),
    "oct@Asia/Nicosia": (D(2026, 9, 30, 21), D(2026, 10, 31, 22)),
    "since_mon@Africa/Algiers": (D(2026, 11, 29, 23), NOW),
    "since_mon@America/Jamaica": (D(2026, 11, 30, 5), NOW),
    "since_mon@Europe/Gibraltar": (D(2026, 11, 29, 23), NOW),
    "since_wed@America/Winnipeg": (D(2026, 11, 25, 6), NOW),
    "this_month@Africa/Algiers": (D(2026, 11, 30, 23), NOW),
    "this_month@America/Jamaica": (D(2026, 12, 1, 5), NOW),
    "this_month@America/Santo_Domingo": (D(2026, 12, 1, 4), NOW),
    "this_month@Asia/Thimphu": (D(2026, 11, 30, 18), NOW),
    "this_month@Europe/Gibraltar": (D(2026, 11, 30, 23), NOW),
    "this_month@Pacific/Guam": (D(2026, 11, 30, 14), NOW),
    "this_week@Africa/Algiers": (D(2026, 11, 29, 23), NOW),
    "this_week@America/Jamaica": (D(2026, 11, 30, 5), NOW),
    "this_week@America/Santo_Domingo": (D(2026, 11, 30, 4), NOW),
    "this_week@America/Winnipeg": (D(2026, 11, 30, 6), NOW),
    "this_week@Asia/Thimphu": (D(2026, 11, 29, 18), NOW),
    "this_week@Europe/Gibraltar": (D(2026, 11, 29, 23), NOW),
    "this_week@Pacific/Guam": (D(2026, 11, 29, 14), NOW),
    "today@Africa/Algiers": (D(2026, 11, 30, 23), NOW),
    "today@America/Jamaica": (D(2026, 12, 1, 5), NOW),
    "today@America/Santo_Domingo": (D(2026, 12, 1, 4), NOW),
    "today@America/Winnipeg": (D(2026, 12, 1, 6), NOW),
    "today@Asia/Thimphu": (D(2026, 11, 30, 18), NOW),
    "today@Europe/Gibraltar": (D(2026, 11, 30, 23), NOW),
    "today@Pacific/Guam": (D(2026, 11, 30, 14), NOW),
    "y2025@Asia/Nicosia": (D(2024, 12, 31, 22), D(2025, 12, 31, 22)),
    "yesterday@Africa/Algiers": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@America/Jamaica": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "yesterday@America/Santo_Domingo": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    "yesterday@Asia/Thimphu": (D(2026, 11, 29, 18), D(2026, 11, 30, 18)),
    "yesterday@Europe/Gibraltar": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "yesterday@Pacific/Guam": (D(2026, 11, 29, 14), D(2026, 11, 30, 14)),
    "ytd@Asia/Nicosia": (D(2025, 12, 31, 22), NOW),
    # heldout_ae's new windows (computed by its blind writer, checked here)
    "last_week@America/Chicago": (D(2026, 11, 23, 6), D(2026, 11, 30, 6)),
    "last_week@Asia/Singapore": (D(2026, 11, 22, 16), D(2026, 11, 29, 16)),
    "nov29@America/Toronto": (D(2026, 11, 29, 5), D(2026, 11, 30, 5)),
    "nov30": (D(2026, 11, 30, 0), D(2026, 12, 1, 0)),
    "nov30@Europe/Berlin": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    "nov@Europe/Berlin": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "since_mon@America/Toronto": (D(2026, 11, 30, 5), NOW),
    "since_mon@Australia/Sydney": (D(2026, 11, 29, 13), NOW),
    "since_mon@Europe/Berlin": (D(2026, 11, 29, 23), NOW),
    "this_week@America/Toronto": (D(2026, 11, 30, 5), NOW),
    # heldout_af's new windows (computed by its blind writer, checked here)
    "dec2025": (D(2025, 12, 1, 0), D(2026, 1, 1, 0)),
    "jul1-sep30": (D(2026, 7, 1, 0), D(2026, 10, 1, 0)),
    "last_month@Africa/Harare": (D(2026, 10, 31, 22), D(2026, 11, 30, 22)),
    "last_month@America/Barbados": (D(2026, 11, 1, 4), D(2026, 12, 1, 4)),
    "last_month@America/Managua": (D(2026, 11, 1, 6), D(2026, 12, 1, 6)),
    "last_month@Asia/Brunei": (D(2026, 10, 31, 16), D(2026, 11, 30, 16)),
    "last_month@Asia/Kuwait": (D(2026, 10, 31, 21), D(2026, 11, 30, 21)),
    "last_month@Europe/Sarajevo": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@Africa/Harare": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "last_week@America/Managua": (D(2026, 11, 23, 6), D(2026, 11, 30, 6)),
    "last_week@Asia/Kuwait": (D(2026, 11, 22, 21), D(2026, 11, 29, 21)),
    "may": (D(2026, 5, 1, 0), D(2026, 6, 1, 0)),
    "nov1-15@America/Managua": (D(2026, 11, 1, 6), D(2026, 11, 16, 6)),
    "nov@America/Barbados": (D(2026, 11, 1, 4), D(2026, 12, 1, 4)),
    "nov@America/Managua": (D(2026, 11, 1, 6), D(2026, 12, 1, 6)),
    "nov@Asia/Brunei": (D(2026, 10, 31, 16), D(2026, 11, 30, 16)),
    "nov@Asia/Kuwait": (D(2026, 10, 31, 21), D(2026, 11, 30, 21)),
    "nov@Europe/Sarajevo": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "oct16-31": (D(2026, 10, 16, 0), D(2026, 11, 1, 0)),
    "oct@Africa/Harare": (D(2026, 9, 30, 22), D(2026, 10, 31, 22)),
    "oct@America/Managua": (D(2026, 10, 1, 6), D(2026, 11, 1, 6)),
    "oct@Asia/Brunei": (D(2026, 9, 30, 16), D(2026, 10, 31, 16)),
    "oct@Asia/Kuwait": (D(2026, 9, 30, 21), D(2026, 10, 31, 21)),
    "oct@Europe/Sarajevo": (D(2026, 9, 30, 22), D(2026, 10, 31, 23)),
    "sep1-nov30": (D(2026, 9, 1, 0), D(2026, 12, 1, 0)),
    "sep@Asia/Kuwait": (D(2026, 8, 31, 21), D(2026, 9, 30, 21)),
    "since_oct1": (D(2026, 10, 1, 0), NOW),
    "since_sep1": (D(2026, 9, 1, 0), NOW),
    "this_month@Africa/Harare": (D(2026, 11, 30, 22), NOW),
    "this_month@America/Managua": (D(2026, 12, 1, 6), NOW),
    "this_month@Europe/Sarajevo": (D(2026, 11, 30, 23), NOW),
    "ytd@America/Managua": (D(2026, 1, 1, 6), NOW),
    "ytd@Asia/Brunei": (D(2025, 12, 31, 16), NOW),
    "ytd@Asia/Kuwait": (D(2025, 12, 31, 21), NOW),
    "ytd@Europe/Sarajevo": (D(2025, 12, 31, 23), NOW),
    # heldout_ag's new windows (computed by its blind writer, checked here)
    "last_month@Europe/London": (D(2026, 11, 1, 0), D(2026, 12, 1, 0)),
    "last_week@Europe/Madrid": (D(2026, 11, 22, 23), D(2026, 11, 29, 23)),
    "this_month@Europe/Paris": (D(2026, 11, 30, 23), NOW),
    # heldout_ah's new windows (computed by its blind writer, checked here)
    "nov28@Asia/Tokyo": (D(2026, 11, 27, 15), D(2026, 11, 28, 15)),
    "nov29@America/New_York": (D(2026, 11, 29, 5), D(2026, 11, 30, 5)),
    "this_month@America/Los_Angeles": (D(2026, 12, 1, 8), NOW),
    "this_week@Europe/Madrid": (D(2026, 11, 29, 23), NOW),
    "yesterday@America/Sao_Paulo": (D(2026, 11, 30, 3), D(2026, 12, 1, 3)),
    "yesterday@Europe/Madrid": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    # heldout_ai's new windows (computed by its blind writer, checked here)
    "this_month@Europe/Dublin": (D(2026, 12, 1, 0), NOW),
    "this_week@Europe/Vienna": (D(2026, 11, 29, 23), NOW),
    # heldout_aj's new windows (computed by its blind writer, checked here)
    "d7@Asia/Kolkata": (D(2026, 11, 24, 10), NOW),
    "last_month@Europe/Dublin": (D(2026, 11, 1, 0), D(2026, 12, 1, 0)),
    "last_week@Australia/Melbourne": (D(2026, 11, 22, 13), D(2026, 11, 29, 13)),
    "since_fri@Europe/Dublin": (D(2026, 11, 27, 0), NOW),
    "since_mon@Africa/Johannesburg": (D(2026, 11, 29, 22), NOW),
    "since_mon@Europe/London": (D(2026, 11, 30, 0), NOW),
    "since_wed@America/Chicago": (D(2026, 11, 25, 6), NOW),
    "this_month@Asia/Kolkata": (D(2026, 11, 30, 18, 30), NOW),
    "this_week@Australia/Brisbane": (D(2026, 11, 29, 14), NOW),
    "yesterday@Australia/Perth": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    # heldout_ak
    "d7@Asia/Beirut": (D(2026, 11, 24, 10), NOW),
    "last_month@Europe/Podgorica": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@Asia/Beirut": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "since_fri@America/Guayaquil": (D(2026, 11, 27, 5), NOW),
    "since_mon@America/Chicago": (D(2026, 11, 30, 6), NOW),
    "this_month@Europe/Podgorica": (D(2026, 11, 30, 23), NOW),
    "this_week@Europe/Podgorica": (D(2026, 11, 29, 23), NOW),
    "today@America/Indiana/Indianapolis": (D(2026, 12, 1, 5), NOW),
    "today@Asia/Beirut": (D(2026, 11, 30, 22), NOW),
    "today@Europe/Podgorica": (D(2026, 11, 30, 23), NOW),
    "yesterday@America/Indiana/Indianapolis": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "yesterday@Asia/Beirut": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@Europe/Podgorica": (D(2026, 11, 29, 23), D(2026, 11, 30, 23)),
    # heldout_al
    "d14@Europe/Berlin": (D(2026, 11, 17, 10), NOW),
    "last_month@Asia/Riyadh": (D(2026, 10, 31, 21), D(2026, 11, 30, 21)),
    "last_month@Europe/Paris": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "last_week@America/Sao_Paulo": (D(2026, 11, 23, 3), D(2026, 11, 30, 3)),
    "nov1-15@Europe/Madrid": (D(2026, 10, 31, 23), D(2026, 11, 15, 23)),
    "nov20@Asia/Tokyo": (D(2026, 11, 19, 15), D(2026, 11, 20, 15)),
    "nov24": (D(2026, 11, 24), D(2026, 11, 25)),
    "nov@America/Sao_Paulo": (D(2026, 11, 1, 3), D(2026, 12, 1, 3)),
    "since_mon@Europe/Warsaw": (D(2026, 11, 29, 23), NOW),
    "since_sun@Asia/Riyadh": (D(2026, 11, 28, 21), NOW),
    "this_month@America/Sao_Paulo": (D(2026, 12, 1, 3), NOW),
    "this_month@Europe/Madrid": (D(2026, 11, 30, 23), NOW),
    "this_week@Africa/Abidjan": (D(2026, 11, 30), NOW),
    "today@Africa/Abidjan": (D(2026, 12, 1), NOW),
    "yesterday@Africa/Abidjan": (D(2026, 11, 30), D(2026, 12, 1)),
    # heldout_am
    "last_month@America/Juneau": (D(2026, 11, 1, 8), D(2026, 12, 1, 9)),
    "last_month@Pacific/Tongatapu": (D(2026, 10, 31, 11), D(2026, 11, 30, 11)),
    "last_week@America/El_Salvador": (D(2026, 11, 23, 6), D(2026, 11, 30, 6)),
    "nov21": (D(2026, 11, 21), D(2026, 11, 22)),
    "since_mon@America/Paramaribo": (D(2026, 11, 30, 3), NOW),
    "this_month@Pacific/Tongatapu": (D(2026, 11, 30, 11), NOW),
    "this_week@America/Juneau": (D(2026, 11, 30, 9), NOW),
    "this_week@America/Nassau": (D(2026, 11, 30, 5), NOW),
    "this_week@Pacific/Noumea": (D(2026, 11, 29, 13), NOW),
    "today@America/El_Salvador": (D(2026, 12, 1, 6), NOW),
    "today@America/Juneau": (D(2026, 12, 1, 9), NOW),
    "today@America/Nassau": (D(2026, 12, 1, 5), NOW),
    "today@America/Paramaribo": (D(2026, 12, 1, 3), NOW),
    "today@Pacific/Noumea": (D(2026, 11, 30, 13), NOW),
    "today@Pacific/Tongatapu": (D(2026, 11, 30, 11), NOW),
    "yesterday@America/El_Salvador": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "yesterday@America/Juneau": (D(2026, 11, 30, 9), D(2026, 12, 1, 9)),
    "yesterday@America/Nassau": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "yesterday@America/Paramaribo": (D(2026, 11, 30, 3), D(2026, 12, 1, 3)),
    "yesterday@Pacific/Noumea": (D(2026, 11, 29, 13), D(2026, 11, 30, 13)),
    # heldout_an
    "d3@America/Whitehorse": (D(2026, 11, 28, 10), NOW),
    "d3@Asia/Vientiane": (D(2026, 11, 28, 10), NOW),
    "last_month@America/Kentucky/Louisville": (D(2026, 11, 1, 4), D(2026, 12, 1, 5)),
    "last_month@America/Whitehorse": (D(2026, 11, 1, 7), D(2026, 12, 1, 7)),
    "last_month@Asia/Vientiane": (D(2026, 10, 31, 17), D(2026, 11, 30, 17)),
    "last_week@America/Kentucky/Louisville": (D(2026, 11, 23, 5), D(2026, 11, 30, 5)),
    "last_week@Atlantic/Bermuda": (D(2026, 11, 23, 4), D(2026, 11, 30, 4)),
    "nov29@America/Monterrey": (D(2026, 11, 29, 6), D(2026, 11, 30, 6)),
    "nov29@America/Whitehorse": (D(2026, 11, 29, 7), D(2026, 11, 30, 7)),
    "nov@Atlantic/Faroe": (D(2026, 11, 1), D(2026, 12, 1)),
    "this_month@Atlantic/Faroe": (D(2026, 12, 1), NOW),
    "this_week@America/Kentucky/Louisville": (D(2026, 11, 30, 5), NOW),
    "this_week@America/Whitehorse": (D(2026, 11, 30, 7), NOW),
    "this_week@Asia/Vientiane": (D(2026, 11, 29, 17), NOW),
    "this_week@Atlantic/Faroe": (D(2026, 11, 30), NOW),
    "today@America/Kentucky/Louisville": (D(2026, 12, 1, 5), NOW),
    "today@America/Monterrey": (D(2026, 12, 1, 6), NOW),
    "today@Asia/Vientiane": (D(2026, 11, 30, 17), NOW),
    "today@Atlantic/Bermuda": (D(2026, 12, 1, 4), NOW),
    "yesterday@America/Kentucky/Louisville": (D(2026, 11, 30, 5), D(2026, 12, 1, 5)),
    "yesterday@America/Monterrey": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "yesterday@America/Whitehorse": (D(2026, 11, 30, 7), D(2026, 12, 1, 7)),
    "yesterday@Asia/Vientiane": (D(2026, 11, 29, 17), D(2026, 11, 30, 17)),
    "yesterday@Atlantic/Bermuda": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    "yesterday@Atlantic/Faroe": (D(2026, 11, 30), D(2026, 12, 1)),
    # heldout_ap
    "last_week@Asia/Kolkata": (D(2026, 11, 22, 18, 30), D(2026, 11, 29, 18, 30)),
    "this_week@America/Moncton": (D(2026, 11, 30, 4), NOW),
    "this_week@Asia/Kolkata": (D(2026, 11, 29, 18, 30), NOW),
    "today@America/Moncton": (D(2026, 12, 1, 4), NOW),
    "yesterday@America/Moncton": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    # heldout_ao
    "last_month@Asia/Macau": (D(2026, 10, 31, 16), D(2026, 11, 30, 16)),
    "last_month@Asia/Novosibirsk": (D(2026, 10, 31, 17), D(2026, 11, 30, 17)),
    "last_month@Pacific/Apia": (D(2026, 10, 31, 11), D(2026, 11, 30, 11)),
    "last_week@Africa/Gaborone": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "last_week@America/Curacao": (D(2026, 11, 23, 4), D(2026, 11, 30, 4)),
    "last_week@America/St_Johns": (D(2026, 11, 23, 3, 30), D(2026, 11, 30, 3, 30)),
    "last_week@Asia/Macau": (D(2026, 11, 22, 16), D(2026, 11, 29, 16)),
    "last_week@Asia/Novosibirsk": (D(2026, 11, 22, 17), D(2026, 11, 29, 17)),
    "last_week@Pacific/Tahiti": (D(2026, 11, 23, 10), D(2026, 11, 30, 10)),
    "nov@Asia/Macau": (D(2026, 10, 31, 16), D(2026, 11, 30, 16)),
    "since_mon@America/St_Johns": (D(2026, 11, 30, 3, 30), NOW),
    "since_mon@Pacific/Tahiti": (D(2026, 11, 30, 10), NOW),
    "since_wed@America/St_Johns": (D(2026, 11, 25, 3, 30), NOW),
    "this_month@Africa/Gaborone": (D(2026, 11, 30, 22), NOW),
    "this_month@Asia/Macau": (D(2026, 11, 30, 16), NOW),
    "this_month@Asia/Novosibirsk": (D(2026, 11, 30, 17), NOW),
    "this_month@Pacific/Apia": (D(2026, 11, 30, 11), NOW),
    "this_week@Africa/Gaborone": (D(2026, 11, 29, 22), NOW),
    "this_week@America/Curacao": (D(2026, 11, 30, 4), NOW),
    "this_week@Asia/Macau": (D(2026, 11, 29, 16), NOW),
    "this_week@Asia/Novosibirsk": (D(2026, 11, 29, 17), NOW),
    "this_week@Indian/Mahe": (D(2026, 11, 29, 20), NOW),
    "this_week@Pacific/Apia": (D(2026, 11, 29, 11), NOW),
    "this_week@Pacific/Tahiti": (D(2026, 11, 30, 10), NOW),
    "today@Africa/Gaborone": (D(2026, 11, 30, 22), NOW),
    "today@America/Curacao": (D(2026, 12, 1, 4), NOW),
    "today@Asia/Macau": (D(2026, 11, 30, 16), NOW),
    "today@Asia/Novosibirsk": (D(2026, 11, 30, 17), NOW),
    "today@Indian/Mahe": (D(2026, 11, 30, 20), NOW),
    "today@Pacific/Apia": (D(2026, 11, 30, 11), NOW),
    "yesterday@Africa/Gaborone": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@America/Curacao": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    "yesterday@Asia/Macau": (D(2026, 11, 29, 16), D(2026, 11, 30, 16)),
    "yesterday@Indian/Mahe": (D(2026, 11, 29, 20), D(2026, 11, 30, 20)),
    "yesterday@Pacific/Apia": (D(2026, 11, 29, 11), D(2026, 11, 30, 11)),
    "yesterday@Pacific/Tahiti": (D(2026, 11, 30, 10), NOW),
    # heldout_aq
    "last_month@America/Belize": (D(2026, 11, 1, 6), D(2026, 12, 1, 6)),
    "last_month@America/Martinique": (D(2026, 11, 1, 4), D(2026, 12, 1, 4)),
    "last_month@Asia/Baghdad": (D(2026, 10, 31, 21), D(2026, 11, 30, 21)),
    "last_month@Pacific/Efate": (D(2026, 10, 31, 13), D(2026, 11, 30, 13)),
    "last_week@Africa/Tripoli": (D(2026, 11, 22, 22), D(2026, 11, 29, 22)),
    "last_week@America/Belize": (D(2026, 11, 23, 6), D(2026, 11, 30, 6)),
    "last_week@America/Martinique": (D(2026, 11, 23, 4), D(2026, 11, 30, 4)),
    "last_week@America/Tegucigalpa": (D(2026, 11, 23, 6), D(2026, 11, 30, 6)),
    "last_week@Pacific/Efate": (D(2026, 11, 22, 13), D(2026, 11, 29, 13)),
    "nov@America/Martinique": (D(2026, 11, 1, 4), D(2026, 12, 1, 4)),
    "this_month@Africa/Tripoli": (D(2026, 11, 30, 22), NOW),
    "this_month@America/Hermosillo": (D(2026, 12, 1, 7), NOW),
    "this_month@Pacific/Efate": (D(2026, 11, 30, 13), NOW),
    "this_week@America/Belize": (D(2026, 11, 30, 6), NOW),
    "this_week@America/Tegucigalpa": (D(2026, 11, 30, 6), NOW),
    "this_week@Asia/Baghdad": (D(2026, 11, 29, 21), NOW),
    "this_week@Asia/Bishkek": (D(2026, 11, 29, 18), NOW),
    "this_week@Atlantic/Cape_Verde": (D(2026, 11, 30, 1), NOW),
    "this_week@Indian/Maldives": (D(2026, 11, 29, 19), NOW),
    "this_week@Pacific/Efate": (D(2026, 11, 29, 13), NOW),
    "today@Africa/Tripoli": (D(2026, 11, 30, 22), NOW),
    "today@America/Belize": (D(2026, 12, 1, 6), NOW),
    "today@America/Hermosillo": (D(2026, 12, 1, 7), NOW),
    "today@America/Tegucigalpa": (D(2026, 12, 1, 6), NOW),
    "today@Asia/Baghdad": (D(2026, 11, 30, 21), NOW),
    "today@Asia/Bishkek": (D(2026, 11, 30, 18), NOW),
    "today@Atlantic/Cape_Verde": (D(2026, 12, 1, 1), NOW),
    "today@Indian/Maldives": (D(2026, 11, 30, 19), NOW),
    "yesterday@Africa/Tripoli": (D(2026, 11, 29, 22), D(2026, 11, 30, 22)),
    "yesterday@America/Belize": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "yesterday@America/Hermosillo": (D(2026, 11, 30, 7), D(2026, 12, 1, 7)),
    "yesterday@America/Martinique": (D(2026, 11, 30, 4), D(2026, 12, 1, 4)),
    "yesterday@America/Tegucigalpa": (D(2026, 11, 30, 6), D(2026, 12, 1, 6)),
    "yesterday@Asia/Baghdad": (D(2026, 11, 29, 21), D(2026, 11, 30, 21)),
    "yesterday@Asia/Bishkek": (D(2026, 11, 29, 18), D(2026, 11, 30, 18)),
    "yesterday@Atlantic/Cape_Verde": (D(2026, 11, 30, 1), D(2026, 12, 1, 1)),
    "yesterday@Indian/Maldives": (D(2026, 11, 29, 19), D(2026, 11, 30, 19)),
    "yesterday@Pacific/Efate": (D(2026, 11, 29, 13), D(2026, 11, 30, 13)),
    # heldout_ar
    "last_month@Europe/Madrid": (D(2026, 10, 31, 23), D(2026, 11, 30, 23)),
    "this_week@Europe/Oslo": (D(2026, 11, 29, 23), NOW),
    "today@Europe/Oslo": (D(2026, 11, 30, 23), NOW),
    "yesterday@America/Phoenix": (D(2026, 11, 30, 7), D(2026, 12, 1, 7)),
}
STATUS_SETS = {"approved": {"captured", "refunded", "partially_refunded"}, "declined": {"failed", "declined_fraud"},
               "failed": {"failed"}, "fraud": {"declined_fraud"}, "refunded_any": {"refunded", "partially_refunded"},
               "refunded": {"refunded"}, "partial": {"partially_refunded"}, "captured": {"captured"},
               "pending": {"pending"}}
METRIC_NAMES = {"count": "count", "volume": "volume", "net": "net", "aov": "average_order_value",
                "approval": "approval_rate", "decline": "decline_rate", "fraud_rate": "fraud_decline_rate",
                "fallback_rate": "fallback_rate", "refund_total": "refund_total", "refund_rate": "refund_rate",
                "latency": "latency"}
_LISTS = {"gw": "gateways", "cur": "currencies", "m": "methods", "c": "countries"}
_AMOUNTS = {"gt": "amount_gt", "ge": "amount_gte", "lt": "amount_lt", "le": "amount_lte"}


@dataclass(frozen=True)
class Expected:
    kind: str  # aggregate | refusal | lookup
    metric: str | None = None
    window: str = ""
    timezone: str = "UTC"
    by: tuple[str, ...] = ()
    top: int | None = None
    order: str = "desc"
    statuses: frozenset[str] = frozenset()
    lists: dict[str, frozenset[str]] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    review: bool = False
    fell_back: bool = False
    percentile: float | None = None
    payment_id: str | None = None


@dataclass(frozen=True)
class Case:
    part: str
    line: int
    turns: tuple[str, ...]
    expected: Expected
    spec: str


def parse_spec(spec: str) -> Expected:
    words = spec.split()
    head, rest = words[0], words[1:]
    if head == "refuse":
        return Expected("refusal")
    if head == "lookup":
        return Expected("lookup", payment_id=dict(w.split("=", 1) for w in rest)["id"])
    values: dict[str, Any] = {"kind": "aggregate", "metric": METRIC_NAMES[head], "lists": {}, "amounts": {}}
    for word in rest:
        key, _, value = word.partition("=")
        if key == "w":
            if value not in WINDOWS:
                raise ValueError(f"no hand-written window {value!r}")
            values["window"] = value
        elif key == "tz":
            ZoneInfo(value)
            values["timezone"] = value
        elif key == "by":
            values["by"] = tuple(value.split(","))
        elif key == "top":
            values["top"] = int(value)
        elif key == "asc":
            values["order"] = "asc"
        elif key == "s":
            values["statuses"] = frozenset(STATUS_SETS[value])
        elif key in _LISTS:
            values["lists"][_LISTS[key]] = frozenset(value.split(","))
        elif key in _AMOUNTS:
            values["amounts"][_AMOUNTS[key]] = Decimal(value)
        elif key == "review":
            values["review"] = True
        elif key == "fellback":
            values["fell_back"] = True
        elif key == "p":
            values["percentile"] = float(value)
        else:
            raise ValueError(f"unknown spec word {word!r}")
    if values["metric"] == "latency" and values.get("percentile") is None:
        raise ValueError("a latency case names its percentile (p=)")
    return Expected(**values)


def load(part: str, folder: Path = HERE) -> list[Case]:
    """A part's cases; `folder` another copy of the parts (bench/bench_planner_baseline.py scores a past commit's)."""
    cases = []
    for number, raw in enumerate((folder / f"{part}.txt").read_text().splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        question, _, spec = raw.rpartition(" => ")
        if not question:
            raise ValueError(f"{part}.txt:{number}: no ' => '")
        turns = tuple(t.strip() for t in question.split(" >> "))
        cases.append(Case(part, number, turns, parse_spec(spec.strip()), spec.strip()))
    return cases


# --- scoring one answer
def _plan_problems(e: Expected, answer: dict[str, Any]) -> list[str]:
    plan, problems = answer["plan"], []
    if plan.get("metric") != e.metric:
        problems.append(f"metric {plan.get('metric')} != {e.metric}")
    f = plan.get("filters", {})
    statuses = frozenset(f.get("statuses", ()))
    want = e.statuses
    if e.metric in MONEY and statuses == APPROVED:  # money is over approved payments anyway
        statuses = frozenset()
    if e.metric in MONEY and want == APPROVED:  # on either side (heldout_ac wrote "volume s=approved")
        want = frozenset()
    if statuses != want:
        problems.append(f"statuses {sorted(statuses)} != {sorted(want)}")
    for name in ("gateways", "currencies", "methods", "countries"):
        if frozenset(f.get(name, ())) != e.lists.get(name, frozenset()):
            problems.append(f"{name} {f.get(name, [])} != {sorted(e.lists.get(name, ()))}")
    if frozenset(f.get("fraud_decisions", ())) != (frozenset({"review"}) if e.review else frozenset()):
        problems.append(f"fraud_decisions {f.get('fraud_decisions', [])}")
    if bool(f.get("fell_back")) != e.fell_back:
        problems.append(f"fell_back {f.get('fell_back')}")
    for name in _AMOUNTS.values():
        got = f.get(name)
        if (Decimal(str(got)) if got is not None else None) != e.amounts.get(name):
            problems.append(f"{name} {got} != {e.amounts.get(name)}")
    by = set(plan.get("group_by", ()))
    if (by | {"currency"} if e.metric in MONEY else by) != (set(e.by) | {"currency"} if e.metric in MONEY else set(e.by)):
        problems.append(f"group_by {sorted(by)} != {sorted(e.by)}")
    if plan.get("top_n") != e.top or (e.top is not None and plan.get("order", "desc") != e.order):
        problems.append(f"top {plan.get('top_n')} {plan.get('order')} != {e.top} {e.order}")
    if plan.get("timezone", "UTC") != e.timezone:
        problems.append(f"timezone {plan.get('timezone')} != {e.timezone}")
    bounds = WINDOWS[e.window]
    got = answer.get("query", {}).get("window")
    want = {"start": bounds[0].isoformat(), "end": bounds[1].isoformat()} if bounds else None
    if got != want:
        problems.append(f"window {got} != {want}")
    if e.metric == "latency" and e.percentile not in plan.get("percentiles", ()):
        problems.append(f"percentiles {plan.get('percentiles')} lack {e.percentile}")
    return problems


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(b, float):
        return math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-6)
    return str(a) == str(b)


def _figure_problems(e: Expected, answer: dict[str, Any], documents: list) -> list[str]:
    want = oracle(e, documents, WINDOWS)
    keys = list(dict.fromkeys([*e.by, *(["currency"] if e.metric in MONEY else [])]))
    got = []
    for row in answer["rows"]:
        value = row.get(f"p{e.percentile:g}") if e.metric == "latency" else row.get("value")
        got.append((tuple(str(row.get(k)) for k in keys), value))
    if e.top is None:
        got.sort(key=lambda r: r[0])
    if len(got) != len(want) or not all(g[0] == w[0] and _same(g[1], w[1]) for g, w in zip(got, want)):
        return [f"rows {got[:6]} != expected {want[:6]}"]
    return []


def score(case: Case, answer: dict[str, Any], documents: list) -> list[str]:
    """The problems with one answer; empty = right."""
    e = case.expected
    if e.kind == "refusal":
        return [] if answer["kind"] == "refusal" else [f"answered ({answer['kind']}) instead of refusing"]
    if e.kind == "lookup":
        mine = [d for d in documents if d.merchant_id == MERCHANT and d.payment_id == e.payment_id]
        if answer["kind"] != ("lookup" if mine else "not_found"):
            return [f"kind {answer['kind']}"]
        if mine and answer["rows"][0]["status"] != mine[0].status:
            return ["lookup of the wrong payment"]
        return []
    if answer["kind"] != "aggregate":
        return [f"{answer['kind']}: {answer['answer'][:160]}"]
    return _plan_problems(e, answer) or _figure_problems(e, answer, documents)


def run(part: str, documents: list, ask: Callable[[str, str], dict[str, Any]],
        folder: Path = HERE) -> dict[str, Any]:
    """ask(question, session_id) -> the service's answer. Accuracy of one part, and its misses."""
    cases, misses = load(part, folder), []
    for i, case in enumerate(cases):
        session = f"{part}-{i:05d}"
        for turn in case.turns:
            answer = ask(turn, session)
        problems = score(case, answer, documents)
        if problems:
            misses.append({"line": case.line, "turns": list(case.turns), "expected": case.spec,
                           "kind": answer["kind"], "problems": problems})
    right = len(cases) - len(misses)
    return {"part": part, "questions": len(cases), "right": right, "accuracy": round(right / len(cases), 4),
            "refused_instead": sum(1 for m in misses if m["kind"] == "refusal"),
            "answered_wrongly": sum(1 for m in misses if m["kind"] != "refusal"), "misses": misses}
