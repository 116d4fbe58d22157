import re
from pathlib import Path

import pytest

from empact.plans.document import DocumentError, plan_from_document
from empact.plans.planfile import normalise_plan
from empact.plans.schema import check_plan_structure

SEED = Path(__file__).parent / "data" / "oap-2024-2025-migrant-smuggling.txt"
ALL_YEAR = "Q1-Q4 2024/25"

# What the seed says for each OA, read by hand: leader code, short title, types,
# KPI letters and the timing of each activity as written.
EXPECTED = {
    "1.1": (
        "EUROPOL",
        "Situational picture of migrant smuggling",
        [2, 3],
        "abcde",
        [ALL_YEAR] * 4,
    ),
    "1.2": (
        "EUROPOL",
        "Use/abuse of legal business structures (LBS)",
        [2, 3],
        "abc",
        ["Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024"],
    ),
    "2.1": (
        "PL",
        "URSUS",
        [1, 2],
        "abcd",
        [
            "Q1, Q4 2024/25",
            "Q1- Q-4 2024/25",
            "Q1- Q4 2024/25",
            "Q1- Q-4 2024/25",
            "Q1- Q4 2024/25",
        ],
    ),
    "2.2": ("EL", "East Med", [1, 2], "abcde", ["Q1- Q4 2024/25"] * 4),
    "2.3": ("DE", "Risk", [1, 2], "abcd", [ALL_YEAR] * 4),
    "2.4": ("IT", "Central MED Route", [1, 2], "abcd", ["Q1 2024/25"] + [ALL_YEAR] * 4),
    "2.5": ("FR", "JOT DIUNKETT", [1, 2], "abc", [ALL_YEAR] * 3),
    "2.6": ("FR", "Small Boats", [1, 2], "abcd", [ALL_YEAR] * 3),
    "2.7": (
        "ES",
        "Stopover",
        [1, 2],
        "abcd",
        [ALL_YEAR, ALL_YEAR, "Q2-Q4 2024/25", ALL_YEAR, ALL_YEAR, "Q3-Q4 2024/25"],
    ),
    "2.8": ("EUROPOL", "JOT MARE", [1, 2], "abcde", [ALL_YEAR] * 4),
    "2.9": (
        "PT",
        "Bride",
        [1, 2],
        "abcd",
        ["Q2 2024/25", "Q1-Q4 202/25", "Q3-2025", ALL_YEAR, "Q4 2024/25"],
    ),
    "2.10": ("CY", "AKRITAS", [1, 2], "abc", [ALL_YEAR] * 5),
    "2.11": (
        "FRONTEX",
        "Reflex 2024/25",
        [1, 2],
        "abcde",
        [ALL_YEAR] * 5 + ["Q2-Q4 2024/25", ALL_YEAR],
    ),
    "3.1": ("FR", "JOT B@lltring", [1, 2], "abcd", ["Q1 2024"] + [ALL_YEAR] * 3),
    "4.1": (
        "UK",
        "Hawaladar mapping",
        [1, 2],
        "abcdef",
        [
            ALL_YEAR,
            "Q1 2024",
            "Q2-Q4 2024/25",
            ALL_YEAR,
            "Q2 Q4 2024/25",
            "Q2-Q4 2024/25",
        ],
    ),
    "5.1": (
        "FR",
        "DOC FRAUD",
        [1, 2],
        "abcd",
        ["Q1-Q2 2024/25", ALL_YEAR, "Q1-Q4 2024-25"],
    ),
    "5.2": ("FRONTEX", "CED", [1, 5], "ab", ["Q2, Q4 2024"] * 2),
    "5.3": (
        "DE",
        "Joint Expert Teams (JETs)",
        [1, 2],
        "abcdef",
        [
            "Q1 2024",
            "Q1 - Q4 2024/25",
            "Q1 - Q4 2024/25",
            "Q4 2024",
            "Q1 - Q4 2024/25",
            "Q4 2024/25",
        ],
    ),
    "5.4": (
        "FRONTEX",
        "TRU -Training activities on document and identity fraud",
        [4, 5],
        "abcd",
        [ALL_YEAR, "Q1 & Q3 2024/25", "Q1-Q3 2024/25"],
    ),
    "6.1": (
        "CEPOL",
        "LE cooperation and capacity building through learning and training",
        [4],
        "abcd",
        [ALL_YEAR] * 4 + ["Q2-Q4 2024/25"],
    ),
    "6.2": ("EU-LISA", "Training EURODAC & SIS II", [4], "a", ["Q2-Q3 2024/25"]),
    "6.3": ("DE", "PCCC", [2, 4], "abcde", ["Q2-Q4 2024/25"] + [ALL_YEAR] * 3),
    "7.1": ("FRONTEX", "EUROSUR", [1, 4], "ab", [ALL_YEAR] * 3),
    "8.1": ("AT", "Task Force Western Balkans", [1, 2], "abcde", [ALL_YEAR] * 5),
    "8.2": ("EUROPOL", "Information Clearing House", [1, 2], "abc", [ALL_YEAR] * 4),
    "8.3": ("CEPOL", "EU Neighborhood Projects", [4], "abc", [ALL_YEAR] * 3),
}


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def plan(seed_text) -> dict:
    return plan_from_document(seed_text, source=SEED.name)


def action(plan: dict, ref: str) -> dict:
    return next(a for a in plan["actions"] if a["ref"] == ref)


def kpi(plan: dict, ref: str, letter: str) -> dict:
    return next(k for k in action(plan, ref)["kpis"] if k["letter"] == letter)


def problems_of(text: str) -> list[str]:
    with pytest.raises(DocumentError) as caught:
        plan_from_document(text, source="broken.txt")
    return caught.value.problems


# Variants of the seed, built by string edits -----------------------------------

_HTML_TABLE = re.compile(r"<table.*</table>")
_TABLE_CELL = re.compile(r"<t[dh](?:\s[^>]*)?>(.*?)</t[dh]>")


def _first_cell(line: str) -> str:
    return line.split("|")[1].strip() if line.startswith("|") else ""


def without_html_tables(text: str, *, first_cell: str) -> str:
    """The text without the HTML tables whose first cell starts like `first_cell`
    (a regex), nor the copies of their cells spilled into the next pipe cells."""
    lines = []
    for line in text.splitlines():
        cells = _TABLE_CELL.findall(line)
        if cells and re.match(first_cell, cells[0].strip()):
            head = line.split("<table")[0]
            if head.strip("| "):
                lines.append(f"{head} | |")
            continue
        lines.append(line)
    return "\n".join(lines)


def without_plain_copies(text: str, *, first_cell: str) -> str:
    """The text without the plain pipe rows that repeat a cell of an HTML table."""
    in_tables = {cell.strip() for cell in _TABLE_CELL.findall(text)}
    return "\n".join(
        line
        for line in text.splitlines()
        if not (
            "<table" not in line
            and re.match(first_cell, _first_cell(line))
            and _first_cell(line) in in_tables
        )
    )


def with_html_kpi_table(text: str, *, first_kpi: str, count: int) -> str:
    """The text with `count` plain KPI rows starting at `first_kpi` made one HTML table
    in one cell, as the converter writes them elsewhere."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_kpi}"))
    cells = "".join(
        f'<tr> <td data-bbox="1 2 3 4">{_first_cell(line)}</td> </tr> '
        for line in lines[start : start + count]
    )
    lines[start : start + count] = [f'| <table border="1"> {cells}</table> | |']
    return "\n".join(lines)


KPI_ROW = r"(<p>)?(<i>)?[a-z]\)"
ACTIVITY_ROW = r"(<p>)?[0-9]+\)"


# The plan's own fields ------------------------------------------------------------


def test_plan_fields_come_from_the_front_matter(plan):
    assert list(plan) == [
        "format",
        "id",
        "priority",
        "title",
        "period",
        "council_document",
        "date",
        "marking",
        "driver",
        "co_drivers",
        "aim",
        "goals",
        "actions",
    ]
    assert plan["format"] == 1
    assert plan["id"] == "oap-2024-2025-migrant-smuggling"
    assert plan["priority"] == "Migrant smuggling"
    assert plan["title"] == "Operational Action Plan 2024-2025: Migrant smuggling"
    assert plan["period"] == "2024-2025"
    assert plan["council_document"] == "14541/23"
    assert plan["date"] == "2023-11-03"
    assert plan["marking"] == "LIMITE"
    assert plan["driver"] == "DE"
    assert plan["co_drivers"] == []


def test_aim_is_the_quoted_sentence_without_its_quotes(plan):
    assert plan["aim"].startswith(
        "to fight against criminal networks involved in migrant"
    )
    assert plan["aim"].endswith(
        "particularly focussing on those whose methods endanger people’s lives"
    )


def test_co_drivers_named_in_the_driver_sentence_become_codes(seed_text):
    text = seed_text.replace(
        "the DE driver.", "the DE driver and the France and eu-LISA co-drivers."
    )
    plan = plan_from_document(text)
    assert (plan["driver"], plan["co_drivers"]) == ("DE", ["FR", "EU-LISA"])


def test_the_result_is_a_valid_plan_file_in_canonical_form(plan):
    check_plan_structure(plan)
    assert normalise_plan(plan) == plan


# Goals ----------------------------------------------------------------------------


def test_eight_goals_with_titles_from_their_headings(plan):
    assert [(g["number"], g["title"]) for g in plan["goals"]] == [
        (1, "Criminal intelligence picture"),
        (
            2,
            "Investigations and judicial response, with a specific focus on high-risk "
            "criminal networks (HRCN) and key individuals",
        ),
        (
            3,
            "Coordinated controls and operations targeting the online and offline "
            "trade in illicit goods & services",
        ),
        (4, "Criminal Finances, Money Laundering and Asset Recovery"),
        (5, "Document Fraud"),
        (6, "Capacity building through training, networking and innovation"),
        (
            7,
            "Prevention, awareness raising and harm reduction, early identification of "
            "and assistance to victims",
        ),
        (
            8,
            "External dimension: cooperation with non EU partners (non-EU countries, "
            "international organisations and partners)",
        ),
    ]


def test_goal_objective_is_the_text_after_objective(plan):
    assert plan["goals"][0]["objective"].startswith(
        "develop or keep updated, through the detection of intelligence gaps"
    )
    assert plan["goals"][4]["objective"].endswith(
        "as part of investigations in the EU crime priorities."
    )
    assert all(goal["objective"] for goal in plan["goals"])


# Actions --------------------------------------------------------------------------


def test_26_actions_in_document_order(plan):
    assert [a["ref"] for a in plan["actions"]] == list(EXPECTED)


@pytest.mark.parametrize("ref", list(EXPECTED))
def test_each_action_as_the_document_writes_it(plan, ref):
    leader, short_title, types, letters, timings = EXPECTED[ref]
    oa = action(plan, ref)
    assert oa["goal"] == int(ref.split(".")[0])
    assert oa["leader"] == leader
    assert oa["co_leader"] is None
    assert oa["short_title"] == short_title
    assert oa["types"] == types
    assert "".join(k["letter"] for k in oa["kpis"]) == letters
    assert [a["timing"] for a in oa["activities"]] == timings
    assert [a["number"] for a in oa["activities"]] == list(range(1, len(timings) + 1))


def test_leader_as_written_keeps_the_documents_words(plan):
    assert action(plan, "2.1")["leader_as_written"] == "PL (Police Forces)"
    assert action(plan, "2.10")["leader_as_written"] == "Cyprus (Police Forces)"
    assert action(plan, "4.1")["leader_as_written"] == "United Kingdom (Police Forces)"
    assert action(plan, "6.2")["leader_as_written"] == "EU-LISA"


def test_unknown_leader_is_kept_upper_cased_for_the_linter(seed_text):
    text = seed_text.replace("Leader: AT (Police Forces)", "Leader: Atlantis Police")
    oa = action(plan_from_document(text), "8.1")
    assert (oa["leader"], oa["leader_as_written"]) == (
        "ATLANTIS POLICE",
        "Atlantis Police",
    )


def test_co_leader_cell_gives_the_co_leader(seed_text):
    text = seed_text.replace(
        "| Ref.: OA 6.1 | Leader: CEPOL |",
        "| Ref.: OA 6.1 | Leader: CEPOL | Co-leader: Frontex |",
    )
    assert action(plan_from_document(text), "6.1")["co_leader"] == "FRONTEX"


def test_title_comes_from_title_line_else_is_empty(plan):
    assert action(plan, "1.1")["title"] == "Situational picture of migrant smuggling"
    assert action(plan, "2.4")["title"] == "Central MED Route"
    assert action(plan, "4.1")["title"] == "HAWALADAR MAPPING"
    assert action(plan, "2.1")["title"] == ""


def test_summary_glued_to_the_title_goes_to_the_summary(plan):
    oa = action(plan, "2.2")
    assert oa["title"] == "East Med"
    assert oa["summary"].startswith("Conduct intelligence-led operations aiming at")


def test_summary_is_plain_paragraphs(plan):
    summary = action(plan, "1.1")["summary"]
    assert summary.split("\n\n")[1:] == [
        "EMLO reports will be made accessible to Europol to enhance the situational "
        "picture.",
        "Monitoring emerging crisis in key areas with potential impact at the EU "
        "external borders as well as migrant smuggling to/within the EU. "
        "(e.g. Afghanistan, Ukraine, Belarus).",
        "Open for Member States and third countries.",
    ]
    assert not any("<" in a["summary"] for a in plan["actions"])


def test_summary_without_a_heading_or_outside_the_table_is_kept(plan):
    assert action(plan, "2.8")["summary"].startswith("JOT MARE, part of the European")
    summary = action(plan, "2.9")["summary"]
    assert summary.startswith("Operation Bride - to identify and disrupt OCGs")
    assert summary.endswith("as previously identified by the participating MSs.")


def test_kpi_lines_glued_in_one_cell_are_split_by_letter(plan):
    assert [k["text"] for k in action(plan, "2.5")["kpis"]] == [
        "Number of OCGs dismantled",
        "Number of JIT created",
        "Number of arrested facilitators",
    ]


def test_activity_text_has_no_number_and_no_html(plan):
    first = action(plan, "2.5")["activities"][0]["text"]
    assert first.startswith("Support investigation and investigation teams: - Gather")
    assert "<" not in first
    assert (
        action(plan, "1.2")["activities"][3]["text"]
        == "Drafting strategic analysis report"
    )


def test_timing_is_kept_as_written_even_when_wrong(plan):
    activity = action(plan, "2.9")["activities"][1]
    assert activity["timing"] == "Q1-Q4 202/25"


def test_activity_quarters_are_parsed_from_the_timing(plan):
    assert action(plan, "1.2")["activities"][0]["quarters"] == {"2024": [1]}
    assert action(plan, "1.1")["activities"][0]["quarters"] == {
        "2024": [1, 2, 3, 4],
        "2025": [1, 2, 3, 4],
    }


@pytest.mark.parametrize(
    ("ref", "links", "jad"),
    [
        (
            "1.1",
            "Potential links to the OAP THB",
            "Joint analytical products to be issued prior to the implementation of the "
            "selected JADs shared by Frontex and Europol.",
        ),
        ("2.1", "", "JAD ARKTOS"),
        ("2.6", "", ""),
        ("2.10", "", "JAD when deemed necessary"),
        ("3.1", "", ""),
        (
            "4.1",
            "Trafficking in Human Beings\n\nCriminal Finances - Money "
            "Laundering/Asset Recovery",
            "",
        ),
        (
            "5.2",
            "Traffic in Human Beings - THB",
            "Document Fraud Investigation Group (DFIG)",
        ),
        ("5.4", "N/A", "N/A"),
        ("6.2", "n/a", "n/a"),
        (
            "8.1",
            'OAP THB, OAP MS OA "Reflex 2024/2025"',
            "JAD SEE, JAD Danube, JETs in Action, etc.",
        ),
        ("8.3", "- OAP 'High-risk criminal networks'.", ""),
    ],
)
def test_links_and_jad_wherever_their_headings_sit(plan, ref, links, jad):
    oa = action(plan, ref)
    assert (oa["links"], oa["jad"]) == (links, jad)


def test_glued_links_heading_keeps_text_between_headings(plan):
    oa = action(plan, "5.3")
    assert oa["links"] == "Cooperation with ES (EMPACT THB OA 5.1),"
    assert oa["jad"].split("\n\n")[-1] == "Participation in JADs"


# KPI targets ------------------------------------------------------------------------


def test_kpi_text_is_the_description_and_target_is_parsed(plan):
    first = kpi(plan, "2.1", "a")
    assert first["text"] == "Number of OCGs identified/dismantled"
    assert first["target"]["as_written"] == "20 per year"
    assert (first["target"]["value"], first["target"]["scope"]) == (20, "per_year")
    assert (first["target"]["kind"], first["aggregation"]) == ("count", "sum")


def test_bracketed_thousands_target(plan):
    target = kpi(plan, "2.11", "a")["target"]
    assert (target["value"], target["kind"]) == (1000, "count")


def test_european_thousands_per_year_target(plan):
    target = kpi(plan, "6.3", "b")["target"]
    assert (target["value"], target["scope"]) == (10000, "per_year")


def test_percentage_target_is_averaged(plan):
    first = kpi(plan, "5.4", "a")
    assert (first["target"]["value"], first["target"]["kind"]) == (80, "percentage")
    assert first["aggregation"] == "weighted_mean"


def test_rating_target(plan):
    target = kpi(plan, "6.2", "a")["target"]
    assert (target["value"], target["scale"], target["kind"]) == (4.5, 6, "rating")
    assert kpi(plan, "6.2", "a")["aggregation"] == "weighted_mean"


def test_money_target_is_summed(plan):
    last = kpi(plan, "4.1", "f")
    assert (last["target"]["value"], last["target"]["kind"]) == (50000, "money")
    assert (last["target"]["unit"], last["aggregation"]) == ("EUR", "sum")


def test_target_by_year(plan):
    assert kpi(plan, "6.1", "a")["target"]["by_year"] == {"2024": 9, "2025": 9}


# The same plan however the converter wrote the lists ----------------------------------


def test_kpis_only_as_plain_rows_give_the_same_kpis(seed_text, plan):
    text = without_html_tables(seed_text, first_cell=KPI_ROW)
    assert "<td data-bbox" in text  # the activity tables are still there
    assert plan_from_document(text) == plan


def test_kpis_only_as_html_tables_give_the_same_kpis(seed_text, plan):
    text = without_plain_copies(seed_text, first_cell=KPI_ROW)
    assert text.count("\n") < seed_text.count("\n") - 30
    assert plan_from_document(text) == plan


def test_plain_kpi_rows_made_an_html_table_give_the_same_kpis(seed_text, plan):
    text = with_html_kpi_table(
        seed_text, first_kpi="a) Number of strategic intelligence", count=5
    )
    assert plan_from_document(text) == plan


def test_activities_only_as_plain_rows_give_the_same_activities(seed_text, plan):
    text = without_html_tables(seed_text, first_cell=r"Activity$")
    assert "<th" not in text
    assert plan_from_document(text) == plan


def test_activities_only_as_html_tables_give_the_same_activities(seed_text, plan):
    text = without_plain_copies(seed_text, first_cell=ACTIVITY_ROW)
    assert "\n| 4) Drafting strategic analysis report |" not in text
    assert plan_from_document(text) == plan


def test_activities_without_numbers_are_numbered_in_order(seed_text, plan):
    text = re.sub(r"(?m)^\| [1-4]\) (?=.*\| Q1-Q4 2024/25 \|$)", "| ", seed_text)
    assert text.count("\n| 1) ") < seed_text.count("\n| 1) ") - 5
    assert plan_from_document(text) == plan


# Broken documents -----------------------------------------------------------------


def test_oa_without_ref_is_reported_with_its_line(seed_text):
    text = seed_text.replace("| Ref.: OA 2.10 |", "| |")
    assert problems_of(text) == [
        'line 599: "Leader: Cyprus (Police Forces)" starts an OA with no "Ref.:"'
    ]


def test_oa_without_leader_is_reported_with_its_line(seed_text):
    text = seed_text.replace("Leader: Cyprus (Police Forces)", "")
    assert problems_of(text) == ['line 599: OA 2.10 has no "Leader:"']


def test_missing_ref_row_shows_as_a_second_heading(seed_text):
    text = seed_text.replace(
        "| Ref.: OA 2.10 | Leader: Cyprus (Police Forces) | | | | |\n", ""
    )
    assert problems_of(text) == [
        'line 599: OA 2.9 has a second "Activity summary of the Operational Action" '
        '(the first is on line 554); is a "Ref.:" row missing?'
    ]


def test_every_problem_is_reported_at_once(seed_text):
    text = (
        seed_text.replace("Leader: Cyprus (Police Forces)", "")
        .replace(
            "| Type of Operational Action | |\n| 4-Knowledge/training | |\n", "", 1
        )
        .replace("| Ref.: OA 8.3 |", "| Ref.: |")
    )
    assert problems_of(text) == [
        'line 599: OA 2.10 has no "Leader:"',
        'line 866: OA 6.2 has no "Type of Operational Action"',
        'line 1005: "Ref.:" has no OA number such as "OA 2.1"',
    ]


def test_error_message_names_the_source_and_the_count(seed_text):
    with pytest.raises(DocumentError) as caught:
        plan_from_document(
            seed_text.replace("| Ref.: OA 2.10 |", "| |"), source="x.txt"
        )
    assert str(caught.value) == (
        "x.txt: not an OAP that can be imported; 1 problem(s)\n"
        '  line 599: "Leader: Cyprus (Police Forces)" starts an OA with no "Ref.:"'
    )


def test_empty_text_is_not_an_oap():
    assert problems_of("") == [
        'lines 1-1: no "Subject: Operational Action Plan YYYY-YYYY: …" line',
        'lines 1-1: no Council document number such as "14541/23"',
        'lines 1-1: no date line such as "Brussels, 3 November 2023"',
        'lines 1-1: no driver ("under the responsibility of the XX driver")',
        'lines 1-1: no aim ("The aim of this priority is “…”")',
        'lines 1-1: no "Strategic Goal N: …" heading',
        'lines 1-1: no OA ("Ref.: OA n.n")',
    ]


def test_irrelevant_text_is_not_an_oap():
    problems = problems_of("Shopping list\n\n| Item | Count |\n|--|--|\n| Milk | 2 |\n")
    assert (
        problems[0]
        == 'lines 1-5: no "Subject: Operational Action Plan YYYY-YYYY: …" line'
    )
    assert 'lines 1-5: no OA ("Ref.: OA n.n")' in problems
