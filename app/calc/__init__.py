"""Pure calculations behind Rapport's insights and pre-flight checks (SPEC §2, §5, §6.1–§6.5).

Nothing in this package touches a database, the web framework or the clock: callers pass
timezone-aware datetimes, dates, ints and ``zoneinfo.ZoneInfo`` objects, and get frozen
dataclasses or plain values back. Instants returned are in UTC; weekdays are ints,
0 = Monday … 6 = Sunday.

Modules, by what they answer:

- ``vocabulary`` — platforms, kinds, directions, weekdays (each a ``Literal`` and the tuple
  derived from it), kind groups, the §5 platform presets and the §9.2 limits as data.
- ``timewindows`` — local days, ISO weeks and look-back windows in a user's time zone (§2).
- ``text_length`` — text lengths in each platform's unit (§9.3).
- ``platform_rules`` — the evaluation of the platform limits (§9.2).
- ``follow_rules`` — a follow plan's rules and the warm-up cap (§6.1).
- ``follow_limits`` — follows allowed now, when more fit, and the follow guard (§6.1, §6.5).
- ``pacing`` — outreach pacing (§6.1); re-exports the follow guard.
- ``posting`` — posting cadence (§6.2) and the posting plan's post guard (§6.5).
- ``post_limits`` — the post guard with the platform's limits and text length (§6.5, §9).
- ``ratios`` — the sales-contact ratio (§6.3) and the sales-contact guard (§6.5).
- ``engagement`` — broadcast / interaction balance (§6.4).
- ``guard`` — the shapes every guard answers in (``GuardResult``, ``Reason``, their codes).
- ``profile_findings`` — profile findings (§6.6).
- ``weekly`` — per-day follow limits over a week, for the weekly report (§6.8).
- ``next_actions`` — the weekly report's next actions (§6.8).
- ``working_hours`` — a user's working hours on a local day, DST gaps and overlaps (§11).
- ``slots`` — today's follow and post slots and the best hours (§11).
- ``today_actions`` — the day's to-do list of the Today plan (§11).
"""
