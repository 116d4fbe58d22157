"""Probabilistic person matching with Splink 5 on DuckDB (the engine's only
importer of splink).

Persons are compared across contributors only, as Fellegi-Sunter pairs: blocking
rules pick candidate pairs, m and u probabilities are trained on the data itself
(u by seeded random sampling, m by expectation maximisation on the counts of
agreement patterns, both as Splink trains them, in `training`; no labels), and
pairs above a match probability come out with the levels their fields agreed at.

    persons_from_statements(con)       statements → table `persons`
    link_persons(con, "persons")       → table `linkage_pairs`:
        left_id, right_id, score (match probability), match_weight, reason
        ("name: same sounds; birth_date: same day"), agreed (list of fields),
        left_contributor, right_contributor, handling

The person table has one row per Person entity with the columns of `PERSON_COLUMNS`,
among them the phones, documents and accounts the person holds (an identifier many
persons hold is left out: it tells nobody apart); `prepare_persons` derives the
matching columns (name sounds, letter counts, year of birth, each kind's first
identifier for blocking) from any table with the base columns, which is how
benchmarks feed other data through the same model. Comparisons are data
(`COMPARISONS`): the same levels build the Splink settings and the benchmark's
one-query scoring floor.
"""

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass

import duckdb
import numpy as np

from empact.engine import training

logger = logging.getLogger(__name__)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Base columns of a person table (`prepare_persons` adds the derived ones).
PERSON_COLUMNS = (
    "entity_id",
    "contributor",
    "dataset",
    "handling",
    "name_key",  # the name's sorted ASCII tokens, as normalise.names.name_key
    "birth_date",  # ISO, possibly partial: 1980, 1980-05, 1980-05-17
    "gender",
    "nationality",
    "country",
    # identifiers the person holds, sorted lists (NULL or empty when none): own
    # phones and documents, documents held (passports ...), accounts owned
    "phones",
    "documents",
    "accounts",
)

# Spelling habits that differ between transliterations (German "tsch", French
# "tch", English "ch" for the same Cyrillic letter ...), folded before vowels are
# dropped, so 'Shevchenko', 'Ševčenko' and 'Schewtschenko' share 'svcnk'.
_SOUND_FOLDS = (
    ("tsch", "c"),
    ("sch", "s"),
    ("tch", "c"),
    ("ch", "c"),
    ("sh", "s"),
    ("zh", "z"),
    ("kh", "h"),
    ("ts", "c"),
    ("tz", "c"),
    ("w", "v"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("z", "s"),
)


def _bare_sql(token: str) -> str:
    """SQL for one token's consonants, spelling habits folded."""
    folded = token
    for old, new in _SOUND_FOLDS:
        folded = f"replace({folded}, '{old}', '{new}')"
    return f"regexp_replace({folded}, '[aeiouyhj]', '', 'g')"


def _collapsed_sql(bare: str) -> str:
    """SQL for `bare` (a name) with doubled letters written once ('lll' → 'l')."""
    # Each letter against the one before it, read from the text itself: splitting
    # it again for each letter took a fifth of the person table's time.
    return (
        f"array_to_string(list_filter(string_split({bare}, ''), "
        f"lambda c, i: i = 1 OR c <> {bare}[i - 1]), '')"
    )


# Letters of a name, counted for `_could_reach`: two bits per letter (present,
# present twice) and the count of letters beyond the second of theirs. Any other
# character counts as one letter, class 0: the bound stays an upper bound.
_LETTERS = "abcdefghijklmnopqrstuvwxyz "

# Particles ('al', 'el', 'de') and initials carry little: they stay in the name
# key but not in its sounds. A token with no consonant left sounds as written.
# Consonants are computed once per token, then collapsed (two steps, so the
# folding is not repeated for every letter), once per distinct name: persons
# reported by several contributors share theirs (half as many names as persons
# in the generator's data).
PREPARE_SQL = f"""
    WITH source AS MATERIALIZED (FROM {{source}}),
    names AS (
        SELECT DISTINCT name_key FROM source WHERE name_key IS NOT NULL
    ),
    tokens AS (
        SELECT name_key,
            list_filter(string_split(name_key, ' '), lambda t: length(t) > 2)
            AS name_tokens
        FROM names
    ),
    bare AS (
        SELECT *, list_transform(name_tokens, lambda t: {_bare_sql("t")})
            AS bare_tokens
        FROM tokens
    ),
    sounded AS (
        SELECT name_key,
            list_sort(list_distinct(list_transform(bare_tokens, lambda b, i:
                coalesce(nullif({_collapsed_sql("b")}, ''), name_tokens[i]))))
                AS sounds
        FROM bare
    ),
    letter_counts AS (
        SELECT name_key, strpos('{_LETTERS}', c) AS class, count(*) AS n
        FROM (SELECT name_key, unnest(string_split(name_key, '')) AS c FROM names)
        GROUP BY ALL
    ),
    lettered AS (
        SELECT name_key,
            bit_or((CASE WHEN n >= 2 THEN 3 ELSE 1 END)::UBIGINT
                << (2 * class)::INTEGER) AS letter_bits,
            sum(greatest(n - 2, 0))::INTEGER AS letters_beyond
        FROM letter_counts GROUP BY name_key
    )
    SELECT p.* REPLACE (
            nullif(p.phones, []) AS phones,
            nullif(p.documents, []) AS documents,
            nullif(p.accounts, []) AS accounts
        ),
        nullif(array_to_string(n.sounds, ' '), '') AS name_sound,
        nullif(n.sounds, []) AS name_sounds,
        list_aggregate(list_transform(n.sounds,
            lambda s: 1::UBIGINT << (hash(s) % 64)::INTEGER), 'bit_or') AS sound_bits,
        p.phones[1] AS phone_first,
        p.documents[1] AS document_first,
        p.accounts[1] AS account_first,
        n.sounds[1] AS sound_first,
        n.sounds[-1] AS sound_last,
        substr(p.birth_date, 1, 4) AS birth_year,
        length(p.name_key) AS name_length,
        t.letter_bits,
        t.letters_beyond
    FROM source p LEFT JOIN sounded n USING (name_key)
    LEFT JOIN lettered t USING (name_key)
"""  # noqa: S608 - {source} is a checked name

#: The columns of `PREPARE_SQL` that comparisons read, beside `PERSON_COLUMNS`
#: (the others are for blocking).
DERIVED_COLUMNS = (
    "name_sound",
    "name_sounds",
    "sound_bits",
    "birth_year",
    "name_length",
    "letter_bits",
    "letters_beyond",
)


def paired_columns(
    columns: tuple[str, ...] = (*PERSON_COLUMNS, *DERIVED_COLUMNS),
) -> str:
    """SQL select list of a pair's persons `l` and `r`: each column twice,
    suffixed _l and _r, as comparison levels read them."""
    return ", ".join(
        f"{side}.{c} AS {c}_{side}" for side in ("l", "r") for c in columns
    )


@dataclass(frozen=True)
class Level:
    label: str
    sql: str  # a condition over columns suffixed _l and _r


@dataclass(frozen=True)
class Comparison:
    name: str
    null: str  # when the comparison says nothing (a value is missing)
    levels: tuple[Level, ...]  # most specific first; an else level is added
    # m of each level and of the else level, when fixed rather than trained
    fixed_m: tuple[float, ...] | None = None


def _exact(column: str) -> Comparison:
    # An attribute that true matches (almost) never disagree on drives EM's m of
    # "different" towards zero, below what Splink 5.0 accepts: its m is fixed,
    # from the error rate of such fields, and only u is trained.
    return Comparison(
        column,
        f"{column}_l IS NULL OR {column}_r IS NULL",
        (Level("same", f"{column}_l = {column}_r"),),
        fixed_m=(0.97, 0.03),
    )


def _shared(column: str, label: str) -> Comparison:
    """Do two persons hold a common identifier of one kind?"""
    return Comparison(
        column,
        f"{column}_l IS NULL OR {column}_r IS NULL",
        (Level(label, f"list_has_any({column}_l, {column}_r)"),),
    )


_JW = "jaro_winkler_similarity(name_key_l, name_key_r)"


def _could_reach(similarity: float) -> str:
    """SQL: can the two names' Jaro-Winkler similarity reach `similarity`?

    A necessary condition, cheap beside the similarity itself (which most pairs
    compared, random ones when u is estimated, fail): Jaro-Winkler adds at most
    0.4 × (1 - Jaro) for a common prefix, so Jaro ≥ (s - 0.4) / 0.6; Jaro ≤
    (c/a + c/b + 1) / 3 for names of a and b characters with at most c in
    common, which the letters' counts bound from above. It skips Jaro-Winkler
    for half of the random pairs at 0.80 and nearly all at 0.92.
    """
    factor = 3 * (similarity - 0.4) / 0.6 - 1 - 1e-9  # rounding on the safe side
    common = (
        "(bit_count(letter_bits_l & letter_bits_r) "
        "+ least(letters_beyond_l, letters_beyond_r))"
    )
    return (
        f"{common} * (name_length_l + name_length_r) "
        f">= {factor:.9f} * name_length_l * name_length_r"
    )


def _jaro_winkler_at_least(similarity: float) -> str:
    # A condition of a CASE branch: DuckDB evaluates the second term of an AND
    # only on the rows the first passed.
    return f"{_could_reach(similarity)} AND {_JW} >= {similarity}"


_FULL_DATES = "length(birth_date_l) = 10 AND length(birth_date_r) = 10"
COMPARISONS = (
    Comparison(
        "name",
        "name_key_l IS NULL OR name_key_r IS NULL",
        (
            Level("same spelling", "name_key_l = name_key_r"),
            Level("same sounds", "name_sound_l = name_sound_r"),
            Level(
                "similar spelling (Jaro-Winkler ≥ 0.92)", _jaro_winkler_at_least(0.92)
            ),
            Level("close spelling (Jaro-Winkler ≥ 0.80)", _jaro_winkler_at_least(0.80)),
            # One bit per sound, as a Bloom filter: unrelated names rarely share
            # a bit (1 in 12 random pairs), and the lists are compared only for
            # those that do.
            Level(
                "a name part sounds the same",
                "(sound_bits_l & sound_bits_r) <> 0 "
                "AND list_has_any(name_sounds_l, name_sounds_r)",
            ),
        ),
    ),
    Comparison(
        "birth_date",
        "birth_date_l IS NULL OR birth_date_r IS NULL",
        (
            Level("same day", f"birth_date_l = birth_date_r AND {_FULL_DATES}"),
            Level(
                "same as far as both are known",
                "starts_with(birth_date_l, birth_date_r) "
                "OR starts_with(birth_date_r, birth_date_l)",
            ),
            Level(
                "day and month swapped",
                f"{_FULL_DATES} AND birth_year_l = birth_year_r "
                "AND substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) "
                "AND substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)",
            ),
            Level("same year", "birth_year_l = birth_year_r"),
        ),
    ),
    _exact("gender"),
    _exact("nationality"),
    _exact("country"),
    _shared("documents", "a document in common"),
    _shared("phones", "a phone in common"),
    _shared("accounts", "an account in common"),
)

#: Candidate pairs: any rule's equi-join, always between different contributors.
BLOCKING_RULES = (
    "l.name_sound = r.name_sound",
    "l.birth_year = r.birth_year AND l.sound_first = r.sound_first",
    "l.birth_year = r.birth_year AND l.sound_last = r.sound_last",
    "l.birth_date = r.birth_date AND l.name_key[1:2] = r.name_key[1:2]",
    "l.birth_date = r.birth_date AND l.nationality = r.nationality",
    "l.document_first = r.document_first",
    "l.phone_first = r.phone_first",
    "l.account_first = r.account_first",
)
ACROSS_CONTRIBUTORS = "l.contributor <> r.contributor"


@dataclass(frozen=True)
class LinkageConfig:
    """threshold: least match probability of a reported pair. u_pairs: pairs
    sampled to estimate u. prior_recall: the assumed recall of the deterministic
    rule (same name, same full date of birth) used to estimate the prior."""

    # 0.7 rather than an even 0.5: between the two only strangers of a common
    # name with nothing else to tell them apart (no date of birth, no identifier)
    # come in. Pairwise F1 on the generator's data, 0.5 → 0.7: 0.976 → 0.979 at
    # 100,000 persons, 0.952 → 0.964 at 1,000,000 (BENCHMARKS.md).
    threshold: float = 0.7
    seed: int = 1
    # Pairwise F1 is the same from 500,000 to 2,000,000 pairs (0.979 at 100,000
    # persons); below 200,000 the rarest level (a phone in common) goes unseen.
    # Not 1e6: Splink warns whenever its default is used.
    u_pairs: float = 1.2e6
    prior_recall: float = 0.6
    blocking_rules: tuple[str, ...] = BLOCKING_RULES
    comparisons: tuple[Comparison, ...] = COMPARISONS
    # Columns of each EM pass's blocking. Same-name strangers share a name's
    # sound and often a nationality; adding the country of residence keeps them
    # from passing as matches whose dates of birth disagree. (Gender in the
    # second pass halves its pairs, but data without gender, as FEBRL4, then
    # gives it none: F1 there fell from 0.961 to 0.931.)
    em_blocks: tuple[tuple[str, ...], ...] = (
        ("name_sound", "country"),
        ("birth_date",),
    )


def u_sampling(config: LinkageConfig) -> dict:
    """Arguments of Splink's `estimate_u_using_random_sampling` for `config`."""
    # In one chunk: Splink's chunks each walk the whole sample again to pick
    # their share, and stopping early (on 100 pairs a level) would only ever
    # stop the comparisons whose every level is common.
    return {
        "max_pairs": config.u_pairs,
        "seed": config.seed,
        "num_chunks": 1,
        "min_count_per_level": None,
    }


# --- persons ---------------------------------------------------------------------


def prepare_persons(
    con: duckdb.DuckDBPyConnection, source: str, *, into: str = "persons"
) -> duckdb.DuckDBPyRelation:
    """Table `into`: `source` (with the base `PERSON_COLUMNS`) + matching columns."""
    _check_names(source, into)
    con.execute(
        f"CREATE OR REPLACE TABLE {into} AS {PREPARE_SQL.format(source=source)}"
    )
    return con.table(into)


#: Fewer persons than this give m, u and the prior nothing to be learnt from.
MIN_PERSONS = 100

#: An identifier held by more persons than this (a call centre's phone, a
#: smuggling network's collection account) says nothing about who someone is.
PERSONAL_HOLDERS = 20


def _ref(entity: str, value: str) -> str:
    """SQL for the entity id an entity-typed `value` refers to, qualified by the
    dataset like `entity`'s own id where ids are (tables.register)."""
    return (
        f"if(contains({entity}.entity_id, chr(31)), "
        f"{entity}.dataset || chr(31) || {value}, {value})"
    )


def persons_from_statements(
    con: duckdb.DuckDBPyConnection,
    statements: str = "statements",
    *,
    into: str = "persons",
    max_holders: int = PERSONAL_HOLDERS,
) -> duckdb.DuckDBPyRelation:
    """One row per Person of `statements` (the layout of `tables.STATEMENTS`),
    with the identifiers each holds that at most `max_holders` persons hold."""
    # Only documents and accounts are taken from what a person holds: vehicles
    # are shared within families, and a shared car says little about identity.
    _check_names(statements, into)
    identifiers = f"""
        WITH persons AS (
            SELECT DISTINCT entity_id FROM {statements} WHERE schema = 'Person'
        ),
        things AS (
            -- what a person holds or owns, and the assets (bank accounts) of
            -- their ownerships
            SELECT {_ref("s", "s.value")} AS holder, s.entity_id AS thing
            FROM {statements} s
            WHERE s.prop IN ('holder', 'owner') AND s.schema <> 'Ownership'
            UNION ALL
            SELECT {_ref("o", "o.value")}, {_ref("a", "a.value")}
            FROM {statements} o JOIN {statements} a
              ON a.entity_id = o.entity_id AND a.prop = 'asset'
            WHERE o.schema = 'Ownership' AND o.prop = 'owner'
        ),
        held AS (
            SELECT entity_id AS holder, kind, key FROM {statements}
            WHERE schema = 'Person' AND kind IN ('phone', 'document')
              AND key IS NOT NULL
            UNION
            SELECT t.holder, s.kind, s.key FROM things t
            JOIN persons p ON p.entity_id = t.holder
            JOIN {statements} s ON s.entity_id = t.thing
            WHERE s.kind IN ('document', 'iban') AND s.key IS NOT NULL
        ),
        personal AS (
            SELECT * FROM held
            QUALIFY count(*) OVER (PARTITION BY kind, key) <= {int(max_holders)}
        )
        SELECT holder AS entity_id,
            list_sort(list(key) FILTER (WHERE kind = 'phone')) AS phones,
            list_sort(list(key) FILTER (WHERE kind = 'document')) AS documents,
            list_sort(list(key) FILTER (WHERE kind = 'iban')) AS accounts
        FROM personal GROUP BY holder
    """  # noqa: S608 - checked names
    base = f"""
        SELECT p.*, i.phones, i.documents, i.accounts
        FROM (
        SELECT entity_id,
            any_value(contributor) AS contributor,
            any_value(dataset) AS dataset,
            max(handling) AS handling,
            coalesce(
                min(key) FILTER (WHERE prop = 'name' AND kind = 'name'),
                nullif(array_to_string(list_sort(string_split(trim(lower(
                    concat_ws(' ', min(value) FILTER (WHERE prop = 'firstName'),
                                   min(value) FILTER (WHERE prop = 'lastName'))))
                    , ' ')), ' '), '')) AS name_key,
            -- the most precise date of birth given
            arg_max(key, length(key)) FILTER (WHERE prop = 'birthDate')
                AS birth_date,
            min(lower(value)) FILTER (WHERE prop = 'gender') AS gender,
            min(lower(value)) FILTER (WHERE prop = 'nationality') AS nationality,
            min(lower(value)) FILTER (WHERE prop = 'country') AS country
        FROM {statements}
        WHERE schema = 'Person'
        GROUP BY entity_id
        ) p LEFT JOIN ({identifiers}) i USING (entity_id)
    """  # noqa: S608 - checked names
    con.execute(f"CREATE OR REPLACE TEMP VIEW {into}__base AS {base}")
    return prepare_persons(con, f"{into}__base", into=into)


# --- the model -------------------------------------------------------------------


def splink_settings(config: LinkageConfig = LinkageConfig()):
    """The Splink settings (a SettingsCreator) for `config`."""
    import splink.comparison_level_library as cll
    from splink import SettingsCreator
    from splink.comparison_library import CustomComparison

    comparisons = []
    for c in config.comparisons:
        levels = [cll.CustomLevel(level.sql, level.label) for level in c.levels]
        levels.append(cll.ElseLevel())
        for level, m in zip(levels, c.fixed_m or (), strict=False):
            level.configure(m_probability=m, fix_m_probability=True)
        levels.insert(0, cll.CustomLevel(c.null).configure(is_null_level=True))
        comparisons.append(
            CustomComparison(
                levels, output_column_name=c.name, comparison_description=c.name
            )
        )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="entity_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            f"({rule}) AND {ACROSS_CONTRIBUTORS}" for rule in config.blocking_rules
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


@dataclass(frozen=True)
class TrainedModel:
    """What training learnt (Splink's model: the prior, m and u of every level),
    on how many persons, under which comparisons (`model_fingerprint`)."""

    parameters: dict
    persons: int
    fingerprint: str


#: A stored model scores a later run while the persons number within this
#: fraction of those it learnt from: m and u are rates over the population,
#: which a fifth more or fewer persons of the same kind move little, and the
#: same model gives the same pair the same score from run to run.
MODEL_DRIFT = 0.2


def model_fingerprint(config: LinkageConfig = LinkageConfig()) -> str:
    """What a trained model depends on: its comparisons, blocking and training
    (not the threshold, which is applied when scoring)."""
    import splink

    parts = {
        "splink": splink.__version__,
        "comparisons": [asdict(c) for c in config.comparisons],
        "blocking": config.blocking_rules,
        "em": config.em_blocks,
        "u": u_sampling(config),
        "prior_recall": config.prior_recall,
    }
    text = json.dumps(parts, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def model_fits(
    model: TrainedModel, persons: int, config: LinkageConfig = LinkageConfig()
) -> bool:
    """May `model` score `persons` persons under `config`, or must one be trained?"""
    return (
        model.fingerprint == model_fingerprint(config)
        and abs(persons - model.persons) <= MODEL_DRIFT * model.persons
    )


def trained_linker(
    con: duckdb.DuckDBPyConnection,
    persons: str = "persons",
    config: LinkageConfig = LinkageConfig(),
):
    """A Splink linker on table `persons`, with m, u and the prior trained.

    The prior is Splink's; u and m are trained by `training` as Splink's random
    sampling and EM passes (`config.em_blocks`) train them
    (`splink_trained_linker`), and the model is handed back to Splink."""
    linker = _linker(con, persons, splink_settings(config))
    _train_prior(linker, config)
    model = linker.misc.save_model_to_json()
    u = training.u_by_sampling(
        con,
        persons,
        config.comparisons,
        paired_columns(),
        max_pairs=config.u_pairs,
        seed=config.seed,
    )
    # A level sampling never observed keeps Splink's default u, as in Splink.
    defaults = _levels_now(linker)
    start = [
        training.Levels(
            levels.m, np.where(np.isnan(values), levels.u, values), levels.fixed
        )
        for levels, values in zip(defaults, u, strict=True)
    ]
    m = training.train_passes(
        con,
        persons,
        config.comparisons,
        config.em_blocks,
        start,
        prior=model["probability_two_random_records_match"],
        pairs=paired_columns(),
        max_iterations=model["max_iterations"],
        convergence=model["em_convergence"],
    )
    for c, comparison in enumerate(model["comparisons"]):
        levels = [
            level
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level")
        ]
        for j, level in enumerate(levels):
            gamma = len(levels) - 1 - j
            if not np.isnan(u[c][gamma]):
                level["u_probability"] = float(u[c][gamma])
            if m[c][gamma] is not None:
                level["m_probability"] = m[c][gamma]
    return _linker(con, persons, model)


def splink_trained_linker(
    con: duckdb.DuckDBPyConnection,
    persons: str = "persons",
    config: LinkageConfig = LinkageConfig(),
):
    """The same training with Splink's own u sampling and EM, which
    `trained_linker` equals (the tests hold every u and m to 12 digits)."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    linker = _linker(con, persons, splink_settings(config))
    _train_prior(linker, config)
    linker.training.estimate_u_using_random_sampling(**u_sampling(config))
    for rule in (block_on(*columns) for columns in config.em_blocks):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except EMTrainingException as error:
            logger.warning("EM pass on %s dropped: %s", rule, error)
        except ValueError as error:
            if "minimum allowed" not in str(error):
                raise
            logger.warning("EM pass on %s dropped: %s", rule, error)
    return linker


def _train_prior(linker, config: LinkageConfig) -> None:  # noqa: ANN001
    linker.training.estimate_probability_two_random_records_match(
        ["l.name_key = r.name_key AND l.birth_date = r.birth_date"],
        recall=config.prior_recall,
    )


def _levels_now(linker) -> list[training.Levels]:  # noqa: ANN001
    # Splink's values as it would use them: its default m and u where none is
    # set (read only).
    out = []
    for comparison in linker._settings_obj.comparisons:
        levels = sorted(
            comparison._comparison_levels_excluding_null,
            key=lambda level: level.comparison_vector_value,
        )
        out.append(
            training.Levels(
                np.array([level.m_probability for level in levels], float),
                np.array([level.u_probability for level in levels], float),
                np.array([level._fix_m_probability for level in levels], bool),
            )
        )
    return out


def train(
    con: duckdb.DuckDBPyConnection,
    persons: str = "persons",
    config: LinkageConfig = LinkageConfig(),
):
    """(`trained_linker`, the `TrainedModel` it holds, to be stored and reused)."""
    _check_names(persons)
    linker = trained_linker(con, persons, config)
    count = con.execute(f"SELECT count(*) FROM {persons}").fetchall()[0][0]  # noqa: S608
    parameters = linker.misc.save_model_to_json()
    return linker, TrainedModel(parameters, count, model_fingerprint(config))


def stored_linker(con: duckdb.DuckDBPyConnection, persons: str, model: TrainedModel):
    """A linker on table `persons` that scores with a stored model, untrained."""
    return _linker(con, persons, model.parameters)


def _linker(  # type: ignore[no-untyped-def]
    con: duckdb.DuckDBPyConnection, persons: str, settings, *, validate: bool = False
):
    from splink import DuckDBAPI, Linker

    _check_names(persons)
    db_api = DuckDBAPI(connection=con)
    # Splink's validation of settings only logs the columns it cannot find, after
    # 0.1-0.2 s of parsing with sqlglot each time; ours are built from
    # COMPARISONS and BLOCKING_RULES, and a test holds that it finds nothing.
    linker = Linker(
        db_api.register(persons), settings, log_level=None, validate_settings=validate
    )
    logging.getLogger("splink").setLevel(logging.WARNING)
    return linker


def link_persons(
    con: duckdb.DuckDBPyConnection,
    persons: str = "persons",
    *,
    into: str = "linkage_pairs",
    allowed: str | None = None,
    where: str | None = None,
    config: LinkageConfig = LinkageConfig(),
    linker=None,  # noqa: ANN001 - a splink Linker from `trained_linker`
) -> duckdb.DuckDBPyRelation:
    """Train on `persons` (unless a `linker` trained on it is given), score the
    candidate pairs, keep those at or above the threshold that the rules allow to
    be compared, and write them to table `into`.

    `allowed` and `where` are as in `crossmatch.crossmatch`; each pair is tested
    once, in one orientation, so `where` must treat `l` and `r` alike. Training
    sees every person (m and u are statistics of the whole data, not hits); the
    pairs that come out are only ever between allowed data."""
    _check_names(persons, into, allowed)
    linker = linker or trained_linker(con, persons, config)
    predictions = linker.inference.predict(
        threshold_match_probability=config.threshold, warning_mode="never"
    )
    sql = pairs_sql(predictions.physical_name, persons, config, allowed, where, con)
    con.execute(f"CREATE OR REPLACE TABLE {into} AS {sql}")
    # Splink's intermediate tables (blocked pairs, predictions) would otherwise
    # stay in the caller's connection; the trained model stays in the linker.
    linker.table_management.invalidate_cache()
    return con.table(into)


def pairs_sql(
    predictions: str,
    persons: str,
    config: LinkageConfig,
    allowed: str | None = None,
    where: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> str:
    """Splink's predictions → our pair layout, with the agreeing levels named.

    The levels are read again from the persons of each pair that comes out
    rather than carried through Splink's scoring of every candidate (its
    `retain_matching_columns`, off in `splink_settings`): a tenth of the
    candidates come out, and the columns cost a fifth of the scoring."""
    conditions = ["l.contributor <> r.contributor"]
    if allowed:
        from empact.engine.crossmatch import _allowed_grain

        grain = _allowed_grain(con, allowed)
        conditions.append(
            f"EXISTS (SELECT 1 FROM {allowed} a WHERE "  # noqa: S608
            f"(a.left_{grain} = l.{grain} AND a.right_{grain} = r.{grain}) OR "
            f"(a.left_{grain} = r.{grain} AND a.right_{grain} = l.{grain}))"
        )
    if where:
        conditions.append(f"({where})")
    agreed = []
    for c in config.comparisons:
        cases = " ".join(
            f"WHEN {level.sql} THEN '{c.name}: {level.label}'" for level in c.levels
        )
        agreed.append(f"CASE WHEN {c.null} THEN NULL {cases} END")
    agreed_list = f"list_filter([{', '.join(agreed)}], lambda x: x IS NOT NULL)"
    return f"""
        WITH scored AS (
            SELECT p.match_probability, p.match_weight, {paired_columns()}
            FROM {predictions} p
            JOIN {persons} l ON l.entity_id = p.entity_id_l
            JOIN {persons} r ON r.entity_id = p.entity_id_r
            WHERE {" AND ".join(conditions)}
        ),
        named AS (SELECT *, {agreed_list} AS agreed FROM scored)
        SELECT least(entity_id_l, entity_id_r) AS left_id,
               greatest(entity_id_l, entity_id_r) AS right_id,
               match_probability AS score, match_weight,
               array_to_string(agreed, '; ') AS reason,
               agreed,
               CASE WHEN entity_id_l < entity_id_r
                    THEN contributor_l ELSE contributor_r END AS left_contributor,
               CASE WHEN entity_id_l < entity_id_r
                    THEN contributor_r ELSE contributor_l END AS right_contributor,
               greatest(handling_l, handling_r) AS handling
        FROM named
    """  # noqa: S608 - checked names, constant labels


def _check_names(*names: str | None) -> None:
    for name in names:
        if name is not None and not _NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a plain SQL name")
