"""A report as an editable Word document (DOCX): the same content and charts as
the HTML and PDF (empact.reports.figures), in Word's own styles, the charts as
PNG."""

from empact.reports import figures
from empact.reports.content import (
    ActionSection,
    ComprehensiveReport,
    FactSheet,
    GoalSection,
    JADRow,
    KPIRow,
    Report,
    Summary,
    written,
)
from empact.reports.markings import Marking
from empact.reports.render.word import Column, WordDocument


def render(report: Report, *, marking: Marking) -> bytes:
    """The report as DOCX bytes, the marking in the header and footer of every
    page (and DRAFT with a watermark when the report is a draft)."""
    document = WordDocument(
        title=f"{report.title} — {report.plan.title}",
        marking=marking.label,
        draft=report.draft,
        footer=f"{report.plan.title} · {report.title} {report.scope}",
    )
    _front(document, report)
    if isinstance(report, FactSheet):
        _fact_sheet(document, report)
    else:
        _long_report(document, report)
    return document.bytes()


def _front(document: WordDocument, report: Report) -> None:
    plan = report.plan
    document.title(report.title, f"{plan.title}: {report.scope_label}")
    lines = [
        f"Council document: {plan.council_document}" if plan.council_document else "",
        f"Driver: {plan.driver}"
        + (f"; co-drivers: {', '.join(plan.co_drivers)}" if plan.co_drivers else ""),
        f"Figures as of {_day(report.as_of)}; "
        f"produced {report.generated_at:%d %B %Y %H:%M} UTC.",
    ]
    document.paragraph("\n".join(line for line in lines if line))
    if report.draft:
        document.paragraph(
            "This is a draft. It also counts values that have been submitted but "
            "not accepted yet; they are marked as pending.",
            bold_prefix="DRAFT. ",
        )
    else:
        document.paragraph("Only accepted values are counted.")


# Light and comprehensive reports ---------------------------------------------------


def _long_report(document: WordDocument, report) -> None:
    comprehensive = isinstance(report, ComprehensiveReport)
    document.contents()
    document.page_break()
    document.heading("Summary", 1)
    if report.summary is not None:
        _summary(document, report.summary, report.draft)
    if report.goals:
        document.figure(
            figures.goal_chart(report.goals).png, "KPI attainment by strategic goal"
        )
    for goal in report.goals:
        _goal(document, goal, report, comprehensive=comprehensive)
    if comprehensive and report.jads:
        document.heading("Joint Action Days", 1)
        _jads(document, report.jads, "Joint Action Days in the scope")


def _summary(document: WordDocument, summary: Summary, draft: bool) -> None:
    s = summary.statuses
    rows = [
        ("Operational actions", summary.actions),
        ("KPIs", summary.kpis),
        ("KPIs on track ✓", s.green),
        ("KPIs behind !", s.amber),
        ("KPIs far behind ✕", s.red),
        ("KPIs without status –", s.none),
        ("Contributions counted", summary.contributions),
        ("Activities completed", summary.activities_completed),
        ("Activities delayed", summary.activities_delayed),
        ("Activities overdue", summary.activities_overdue),
        ("Joint Action Days", summary.jads),
    ]
    if draft:
        rows.insert(
            7, ("Contributions pending acceptance", summary.pending_contributions)
        )
    document.table(
        [Column("", 9), Column("Number", 3, numeric=True)],
        [(label, f"{value:,}") for label, value in rows],
        "The plan at a glance",
    )


def _goal(document, goal: GoalSection, report, *, comprehensive: bool) -> None:
    document.heading(f"Strategic goal {goal.number}: {goal.title}", 1)
    if goal.objective:
        document.paragraph(goal.objective)
    s = goal.statuses
    document.paragraph(
        f"{s.total} KPIs: {s.green} on track ✓, {s.amber} behind !, "
        f"{s.red} far behind ✕, {s.none} without status –."
    )
    for action in goal.actions:
        _action(document, action, report, comprehensive=comprehensive)


def _action(document, action: ActionSection, report, *, comprehensive: bool) -> None:
    document.heading(f"OA {action.ref} {action.short_title}".strip(), 2)
    leaders = f"Leader: {action.leader_name} ({action.leader})"
    if action.co_leader:
        leaders += f"; co-leader: {action.co_leader}"
    document.paragraph(f"{action.title}\n{leaders}")
    document.heading("KPIs", 3)
    _kpis(document, action, report)
    if comprehensive:
        _listed(document, "Highlights", action.highlights)
        _listed(document, "Not achieved", action.not_achieved)
    document.heading("Activities", 3)
    _activities(document, action)
    _narratives(document, action)
    _listed(document, "Issues and risks", [issue.text for issue in action.issues])
    if comprehensive:
        if action.jads:
            document.heading("Joint Action Days", 3)
            _jads(document, action.jads, f"Joint Action Days of OA {action.ref}")
        if action.links.strip():
            document.heading("Links to other OAPs", 3)
            document.paragraph(action.links)


def _kpis(document, action: ActionSection, report) -> None:
    draft, light = report.draft, report.kind == "light"
    columns = [
        Column("KPI", 5.2 if draft or light else 6.4),
        Column("Target", 2.4),
        Column("Expected", 1.7, numeric=True),
        Column("Accepted", 1.8, numeric=True),
    ]
    if draft:
        columns.append(Column("Pending", 1.6, numeric=True))
    if light:
        columns.append(Column("This period", 1.6, numeric=True))
    columns.append(Column("Status", 2.7))
    rows = []
    for kpi in action.kpis:
        row = [
            f"{kpi.letter}) {kpi.text}",
            f"{kpi.target_text} ({kpi.scope})" if kpi.target_text else "—",
            written(kpi.expected),
            written(kpi.accepted),
        ]
        if draft:
            row.append(written(kpi.pending))
        if light:
            row.append(written(kpi.this_period))
        row.append(_status(kpi))
        rows.append(row)
    document.table(columns, rows, f"KPIs of OA {action.ref}")


def _status(kpi: KPIRow) -> str:
    text = f"{kpi.status_symbol} {kpi.status_label}"
    return f"{text} ({kpi.reason})" if kpi.reason else text


def _activities(document, action: ActionSection) -> None:
    rows = [
        (
            str(a.number),
            a.text,
            a.timing,
            a.status_label + (" (overdue)" if a.is_overdue else ""),
            "\n".join(a.comments),
        )
        for a in action.activities
    ]
    document.table(
        [
            Column("No.", 1, numeric=True),
            Column("Activity", 6.5),
            Column("Timing", 2.5),
            Column("Status", 2.5),
            Column("Comments", 4.5),
        ],
        rows,
        f"Activities of OA {action.ref}",
    )


def _narratives(document, action: ActionSection) -> None:
    if not action.narratives:
        return
    document.heading("Narratives", 3)
    for n in action.narratives:
        who = f"{n.organisation_name} ({n.organisation})"
        if n.is_leader:
            who += ", leader"
        pending = ", pending acceptance" if n.is_pending else ""
        document.paragraph(n.text, bold_prefix=f"{who}, {n.period}{pending}: ")


def _listed(document, title: str, items) -> None:
    if items:
        document.heading(title, 3)
        document.bullets(list(items))


def _jads(document, jads: tuple[JADRow, ...], caption: str) -> None:
    rows = [
        (
            jad.name,
            f"{_day(jad.starts)} to {_day(jad.ends)}",
            jad.lead,
            f"{jad.participants:,}",
            ", ".join(jad.oas),
            "\n".join(
                f"{measure}{f' ({kind})' if kind else ''}: {total:,}"
                for measure, kind, total in jad.results
            ),
        )
        for jad in jads
    ]
    document.table(
        [
            Column("Joint Action Day", 3.8),
            Column("Dates", 3.2),
            Column("Lead", 1.3),
            Column("Participants", 2.2, numeric=True),
            Column("OAs", 1.8),
            Column("Results", 4.7),
        ],
        rows,
        caption,
    )


# Fact sheet ------------------------------------------------------------------------


def _fact_sheet(document: WordDocument, report: FactSheet) -> None:
    document.heading("Headline figures", 1)
    document.table(
        [
            Column("Figure", 6.5),
            Column(report.scope, 2.5, numeric=True),
            Column("Sources", 8),
        ],
        [
            (
                h.label,
                written(h.value),
                "; ".join(h.sources) + (f" ({h.note})" if h.note else ""),
            )
            for h in report.headlines
        ],
        f"Headline figures for {report.scope}",
    )
    if report.goals:
        document.heading("Attainment by strategic goal", 1)
        document.figure(
            figures.goal_chart(report.goals).png, "KPI attainment by strategic goal"
        )
    if report.countries:
        document.heading("Participation by country", 1)
        document.figure(
            figures.country_chart(report.countries).png,
            "Operational actions each country takes part in",
        )
        document.table(
            [
                Column("Country or body", 6),
                Column("Organisations", 2.6, numeric=True),
                Column("OAs", 2, numeric=True),
                Column("Leading", 2, numeric=True),
                Column(f"Contributions {report.scope}", 4.4, numeric=True),
            ],
            [
                (
                    f"{c.name} ({c.code})",
                    f"{c.organisations:,}",
                    f"{c.actions:,}",
                    f"{c.leads:,}",
                    f"{c.contributions:,}",
                )
                for c in report.countries
            ],
            "Participation by country",
        )


def _day(value) -> str:
    return f"{value.day} {value:%B %Y}"
