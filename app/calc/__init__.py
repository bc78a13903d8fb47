"""Pure calculations behind Rapport's insights and pre-flight checks (SPEC §2, §5, §6.1–§6.5).

Nothing in this package touches a database, the web framework or the clock: callers pass
timezone-aware datetimes, dates, ints and ``zoneinfo.ZoneInfo`` objects, and get frozen
dataclasses or plain values back. Instants returned are in UTC; weekdays are ints,
0 = Monday … 6 = Sunday.

Modules:

- ``timewindows`` — local days, ISO weeks and windows in a user's time zone (§2).
- ``pacing`` — outreach pacing (§6.1) and the follow guard (§6.5).
- ``posting`` — posting cadence (§6.2) and the post guard (§6.5).
- ``ratios`` — the sales-contact ratio (§6.3) and the sales-contact guard (§6.5).
- ``engagement`` — broadcast / interaction balance (§6.4).
- ``guard`` — the ``GuardResult`` / ``Reason`` shapes shared by the guards.
- ``vocabulary`` — platforms, kinds, kind groups and the §5 platform presets.
"""
