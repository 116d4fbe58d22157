"""A report whose every user-typed field is hostile (T-13), made from a real one."""

from dataclasses import replace

from empact.reports.content import Issue, Narrative

LONG_WORD = "W" * 300
HOSTILE = (
    '<script>alert(1)</script> "><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-1+2",
    "\t=1+1",
    "{{7*7}} $\\frac{a}{b}$",
    LONG_WORD,
    "bell\x07 nul\x00 esc\x1b[31m vt\x0b rtl\u202eabc",
)
CONTROLS = ("\x00", "\x07", "\x1b", "\x0b", "\u202e")


def hostile_light_report(report):
    """`report` cut to its first OA, with every text a user typed made hostile."""
    goal = report.goals[0]
    action = goal.actions[0]
    kpis = tuple(
        replace(kpi, text=text) for kpi, text in zip(action.kpis, HOSTILE, strict=False)
    )
    activities = tuple(
        replace(activity, comments=HOSTILE) for activity in action.activities[:1]
    )
    narratives = tuple(
        Narrative("FR", "France", "2024-H1", text, False, False) for text in HOSTILE
    )
    action = replace(
        action,
        title=HOSTILE[0],
        kpis=kpis,
        activities=activities,
        narratives=narratives,
        issues=tuple(Issue("delayed", text) for text in HOSTILE),
    )
    return replace(report, goals=(replace(goal, actions=(action,)),))


def cleaned(text: str) -> str:
    """What a hostile text reads as once controls are dropped."""
    for control in CONTROLS:
        text = text.replace(control, "")
    return text
