import csv
import datetime as dt
import itertools
import json
from collections import defaultdict

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empact.engine.crossmatch import CrossmatchConfig, crossmatch, groups
from empact.engine.synthetic import generate
from empact.engine.tables import IDENTIFIERS


def _entity(i: int) -> dict:
    """Entity i's provenance: three contributors, two datasets each."""
    contributor = f"C{i % 3}"
    return {
        "contributor": contributor,
        "dataset": f"{contributor}-d{i // 3 % 2}",
        "handling": f"H{i % 4}",
    }


def _table(rows) -> pa.Table:
    """Identifier rows from (entity index, kind, key) triples."""
    columns = {name: [] for name in IDENTIFIERS.names}
    for i, kind, key in rows:
        row = {
            "entity_id": f"e{i:02d}",
            "schema": "Thing",
            "prop": kind,
            "kind": kind,
            "key": key,
            "value": key,
            "flags": [],
            "role": "other",
            "review_date": dt.date(2030, 1, 1),
            **_entity(i),
        }
        for name in IDENTIFIERS.names:
            columns[name].append(row[name])
    return pa.table(columns, schema=IDENTIFIERS)


def _run(rows, **kwargs):
    con = duckdb.connect()
    con.register("ids", _table(rows))
    for name, pairs in kwargs.pop("tables", {}).items():
        con.register(name, pa.table(pairs))
    pairs = crossmatch(con, "ids", **kwargs).to_arrow_table().to_pylist()
    return {(p["left_id"], p["right_id"]): p for p in pairs}


def _reference(rows, allowed=None, grain="contributor", max_group=10**9):
    """The rule written out in plain Python, one pair at a time."""
    holders = defaultdict(set)
    for i, kind, key in rows:
        holders[(kind, key)].add(f"e{int(i):02d}")
    info = {f"e{i:02d}": _entity(i) for i, _, _ in rows}

    def may(a, b):
        if info[a]["contributor"] == info[b]["contributor"]:
            return False
        if allowed is None:
            return True
        pair = (info[a][grain], info[b][grain])
        return pair in allowed or pair[::-1] in allowed

    reasons = defaultdict(set)
    for (kind, key), ids in holders.items():
        if len({info[e]["contributor"] for e in ids}) < 2:
            continue
        if len(ids) <= max_group:
            candidates = itertools.combinations(sorted(ids), 2)
        else:
            reps = {}
            for e in sorted(ids, reverse=True):
                reps[info[e]["dataset"]] = e
            candidates = [(e, r) for e in ids for r in reps.values() if e != r]
        for a, b in candidates:
            if may(a, b):
                reasons[(min(a, b), max(a, b))].add(f"{kind}:{key}")
    return {pair: "; ".join(sorted(r)) for pair, r in reasons.items()}


ROWS = st.lists(
    st.tuples(
        st.integers(0, 11), st.sampled_from(["phone", "iban"]), st.sampled_from("abcd")
    ),
    max_size=40,
)
CONTRIBUTOR_PAIRS = list(itertools.combinations(["C0", "C1", "C2"], 2))


@settings(max_examples=30, deadline=None)
@given(rows=ROWS, allowed=st.none() | st.sets(st.sampled_from(CONTRIBUTOR_PAIRS)))
def test_matches_the_plain_python_rule(rows, allowed):
    tables = {}
    kwargs = {}
    if allowed is not None:
        tables["ok"] = {
            "left_contributor": [a for a, _ in allowed] or [""],
            "right_contributor": [b for _, b in allowed] or [""],
        }
        kwargs["allowed"] = "ok"
    got = _run(rows, tables=tables, **kwargs)
    expected = _reference(rows, allowed)
    assert {pair: p["reason"] for pair, p in got.items()} == expected
    for p in got.values():
        assert p["left_contributor"] != p["right_contributor"]
        assert p["score"] == 1.0 and not p["capped"]


@settings(max_examples=25, deadline=None)
@given(rows=ROWS, max_group=st.integers(2, 6))
def test_hot_identifiers_match_the_rule_with_representatives(rows, max_group):
    config = CrossmatchConfig(max_group=max_group)
    got = _run(rows, config=config)
    assert {pair: p["reason"] for pair, p in got.items()} == _reference(
        rows, max_group=max_group
    )


def test_never_pairs_within_one_contributor():
    # e00 and e03 are both C0's: sharing a phone is not a cross-match.
    assert _run([(0, "phone", "x"), (3, "phone", "x")]) == {}
    got = _run([(0, "phone", "x"), (3, "phone", "x"), (1, "phone", "x")])
    assert set(got) == {("e00", "e01"), ("e01", "e03")}


def test_kinds_must_agree_and_reasons_list_every_shared_key():
    got = _run(
        [(0, "phone", "x"), (1, "iban", "x"), (0, "iban", "y"), (1, "iban", "y")]
        + [(0, "phone", "z"), (1, "phone", "z")]
    )
    assert got[("e00", "e01")]["reason"] == "iban:y; phone:z"


def test_allowed_dataset_pairs_and_a_where_condition():
    rows = [(0, "phone", "x"), (1, "phone", "x"), (4, "phone", "x")]
    # e00: C0-d0 H0, e01: C1-d0 H1, e04: C1-d1 H0
    allowed = {"left_dataset": ["C1-d1"], "right_dataset": ["C0-d0"]}
    got = _run(rows, tables={"ok": allowed}, allowed="ok")
    assert set(got) == {("e00", "e04")}
    got = _run(rows, where="l.handling = 'H0' AND r.handling = 'H0'")
    assert set(got) == {("e00", "e04")}
    assert _run(rows)[("e00", "e01")]["handling"] == "H1"


def test_an_allowed_table_needs_pair_columns():
    con = duckdb.connect()
    con.register("ids", _table([]))
    con.register("bad", pa.table({"a": ["x"], "b": ["y"]}))
    with pytest.raises(ValueError, match="left_dataset"):
        crossmatch(con, "ids", allowed="bad")
    with pytest.raises(ValueError, match="plain SQL name"):
        crossmatch(con, "ids; DROP TABLE x")


def test_a_hot_phone_grows_linearly_and_every_holder_learns_every_contributor(figure):
    holders = 600  # 600 entities of 30 contributors share one burner phone
    con = duckdb.connect()
    con.execute(
        """
        CREATE TABLE ids AS SELECT 'e' || lpad(i::VARCHAR, 4, '0') AS entity_id,
          'phone' AS kind, '+4915100000000' AS key, 'C' || (i % 30) AS contributor,
          'd' || (i % 30) AS dataset, 'H0' AS handling, 'suspect' AS role
        FROM range(?) t(i)
        """,
        [holders],
    )
    crossmatch(con, "ids", config=CrossmatchConfig(max_group=100))
    count = con.execute("SELECT count(*) FROM crossmatch_pairs").fetchall()[0][0]
    assert count <= holders * 29  # instead of 600 * 580 / 2 = 174,000
    seen = con.execute(
        """
        SELECT entity_id, count(DISTINCT other) AS others FROM (
          SELECT left_id AS entity_id, right_contributor AS other FROM crossmatch_pairs
          UNION ALL
          SELECT right_id, left_contributor FROM crossmatch_pairs)
        GROUP BY entity_id
        """
    ).fetchall()
    assert len(seen) == holders and {others for _, others in seen} == {29}
    assert con.execute("SELECT bool_and(capped) FROM crossmatch_pairs").fetchall()[0][0]
    hot = groups(con, "ids", config=CrossmatchConfig(max_group=100)).fetchall()
    assert hot == [("phone", "+4915100000000", holders, 30, True)]
    figure(f"crossmatch: hot phone of {holders} holders gave {count:,} pairs")


def test_finds_the_planted_shared_ibans_and_passports(tmp_path):
    """On generated data, keyed here the simplest way (upper case, no spaces)."""
    generate(3000, 6, seed=5, out_dir=tmp_path)
    rows = []
    for path in sorted(tmp_path.glob("C*/entities.ftm.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            e = json.loads(line)
            props = e["properties"]
            if e["schema"] == "BankAccount":
                key, kind = props["iban"][0].replace(" ", "").upper(), "iban"
            elif e["schema"] == "Passport":
                number = props["number"][0].replace(" ", "").upper()
                key, kind = f"{props['country'][0].upper()}:{number}", "document"
            else:
                continue
            rows.append((e["id"], kind, key, e["id"][:3]))
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE ids (entity_id VARCHAR, kind VARCHAR, key VARCHAR, "
        "contributor VARCHAR, dataset VARCHAR, handling VARCHAR, role VARCHAR)"
    )
    con.executemany(
        "INSERT INTO ids VALUES (?, ?, ?, ?, ?, 'H0', 'other')",
        [(*r[:4], r[3]) for r in rows],
    )
    found = set(crossmatch(con, "ids").select("left_id, right_id").fetchall())
    with open(tmp_path / "truth.csv", encoding="utf-8") as f:
        clusters = defaultdict(list)
        for t in csv.DictReader(f):
            if t["schema"] in ("Passport", "BankAccount"):
                clusters[t["cluster_id"]].append(t["entity_id"])
    planted = {
        pair
        for ids in clusters.values()
        for pair in itertools.combinations(sorted(ids), 2)
    }
    assert len(planted) > 100
    # A planted IBAN written with a wrong check digit is a different key: the
    # normaliser flags it; everything else must be found.
    assert len(planted & found) >= 0.95 * len(planted)
