"""Seeded synthetic operational data with planted duplicates and a ground truth.

`generate(n, contributors, seed, out_dir)` writes, per contributor, one
followthemoney JSON lines file `C01/entities.ftm.json` (Person, Passport,
BankAccount + Ownership, Vehicle, Vessel, Associate, Family) and the same persons
as `C01/persons.csv` (without vessels and relationships), plus
`persons.mapping.yml` (the mapping of those CSV files), `truth.csv` (one row per
JSON lines entity: which real-world thing it is) and `manifest.json`.

The same real person is held by several contributors, each writing it their own
way: another transliteration or script (Cyrillic and Arabic names), a typo, the
name parts swapped, part of the date of birth missing or day and month swapped,
phones, IBANs, passport numbers and plates formatted differently. On top of
that, a few "hot" phones and IBANs (burner phones, collection accounts) are
shared by hundreds of unrelated records, with Zipf-skewed popularity: they are
the identifiers that make a naive self-join explode.

Records are written as they are made (one real person at a time), so a million
rows never sit in memory. The output depends only on the arguments: the same
seed gives byte-identical files.
"""

import csv
import json
import random
from bisect import bisect
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from pathlib import Path

PERSON_CSV_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "nationality",
    "phone",
    "phone_2",
    "country",
    "iban",
    "account_owner",
    "passport_number",
    "passport_country",
    "plate",
    "plate_country",
)
TRUTH_COLUMNS = ("entity_id", "contributor", "schema", "cluster_id")

#: The mapping (engine.mapping format) of every contributor's persons.csv.
PERSONS_MAPPING = """\
entities:
  person:
    schema: Person
    keys: [id]
    properties:
      firstName: first_name
      lastName: last_name
      birthDate: birth_date
      gender: gender
      nationality: nationality
      country: country
      phone: [phone, phone_2]
  account:
    schema: BankAccount
    keys: [iban]
    properties:
      iban: iban
  ownership:
    schema: Ownership
    keys: [account_owner]
    properties:
      owner: {entity: person}
      asset: {entity: account}
  passport:
    schema: Passport
    keys: [passport_country, passport_number]
    properties:
      holder: {entity: person}
      number: passport_number
      country: passport_country
  vehicle:
    schema: Vehicle
    keys: [plate_country, plate]
    properties:
      registrationNumber: plate
      country: plate_country
      owner: {entity: person}
"""

# How many records one real person has, across contributors (mean ≈ 2.4).
CLUSTER_SIZE_WEIGHTS = (0.35, 0.25, 0.15, 0.10, 0.06, 0.04, 0.03, 0.02)


@dataclass(frozen=True)
class Noise:
    """Probabilities of each planted variation, per record (defaults are the
    generator's documented behaviour; tests and benchmarks rely on them)."""

    typo: float = 0.12  # per name part
    swap_names: float = 0.05
    dob_year_month: float = 0.06
    dob_year_only: float = 0.06
    dob_missing: float = 0.06
    dob_day_month_swap: float = 0.04
    keep_phone: float = 0.6
    keep_iban: float = 0.6
    keep_passport: float = 0.6
    keep_plate: float = 0.7
    hot_phone: float = 0.02  # a record carries one of the hot phones
    hot_iban: float = 0.01
    invalid_iban: float = 0.01  # a wrong check digit, to be flagged
    zipf_s: float = 1.1


@dataclass
class Summary:
    n: int
    contributors: int
    seed: int
    persons: int = 0
    individuals: int = 0
    entities: int = 0
    true_pairs: int = 0  # cross-contributor person pairs of the same individual
    by_schema: dict = field(default_factory=dict)


# --- names -------------------------------------------------------------------

LATIN_FIRST = {
    "m": "Jan Peter Thomas Michael Andreas Stefan Marco Luca Giuseppe Antonio José "
    "Carlos Juan Pierre Jean Nicolas François Pieter Johannes Willem Lars Erik "
    "Mikael Piotr Krzysztof Tomasz Jiří Petr Pavel János László Ion Andrei Mihai "
    "Georgios Dimitrios Nikolaos João Rui Miguel Sean Patrick Liam Daniel "
    "David".split(),
    "f": "Anna Maria Laura Sofia Giulia Francesca Elena Sara Marie Julie Camille "
    "Claire Sophie Emma Lena Katarzyna Agnieszka Ewa Eva Jana Zsófia Ioana Andreea "
    "Eleni Georgia Ana Inês Beatriz Siobhan Aoife Ingrid Astrid Sanne Femke "
    "Lucía".split(),
}
LATIN_LAST = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Schäfer "
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco "
    "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín "
    "Dubois Durand Lefèvre Moreau Laurent Girard Bonnet Dupont Lambert Fontaine "
    "Jansen Visser Smit Bakker Janssens Peeters Maes Jacobs Mertens Willems "
    "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński "
    "Novák Svoboda Dvořák Černý Procházka Nagy Kovács Tóth Szabó Horváth "
    "Popescu Ionescu Popa Dumitru Stoica Papadopoulos Georgiou Nikolaou Silva "
    "Santos Ferreira Pereira Oliveira Costa Murphy Kelly Byrne Ryan Walsh "
    "Johansson Andersson Karlsson Nilsson Hansen Nielsen Jensen Pedersen Larsen"
).split()
SYLLABLES = "ka ro ve li ma to ne sa ri de lo mi ta bru gan pel sor vin dal mer ko tu"
SYLLABLES = SYLLABLES.split()
LATIN_ENDINGS = "i o a er ez an is en ov elli ani ès".split()

CYR_FIRST = {
    "m": "Александр Сергей Андрей Дмитрий Олег Игорь Владимир Николай Юрий Михаил "
    "Иван Алексей Виктор Евгений Павел Максим Роман Денис Василий Богдан Тарас "
    "Артем Григорий Степан Кирилл".split(),
    "f": "Анна Ольга Елена Наталья Татьяна Ирина Светлана Юлия Мария Екатерина "
    "Оксана Людмила Галина Валентина Дарья Алина Виктория Надежда Марина".split(),
}
CYR_ROOTS = (
    "Шевч Коваль Бондар Ткач Кравч Мельнич Мороз Петр Иван Сидор Кузнец Попов "
    "Лысен Гончар Марчен Савч Руден Олейн Павл Демч Литвин Клименк Харч Бойч "
    "Соколь Волк Зайц Медвед Лебед Орл Смирн Кузьм Федор Гаврил Тимош Остап "
    "Назар Гордиен Яковл Степан Семен Костен Левч Панч Ющ Кириленк Давид Мирон"
).split()
CYR_SUFFIX = {"m": "енко ук ов ев ский чук ин ич".split()}
CYR_SUFFIX["f"] = "енко ук ова ева ская чук ина ич".split()

# One Cyrillic letter → its rendering in four transliteration habits.
_CYR = (
    # letter, BGN/PCGN (English), ISO 9 / scientific, German, French
    ("а", "a", "a", "a", "a"),
    ("б", "b", "b", "b", "b"),
    ("в", "v", "v", "w", "v"),
    ("г", "g", "g", "g", "g"),
    ("д", "d", "d", "d", "d"),
    ("е", "e", "e", "e", "e"),
    ("ж", "zh", "ž", "sch", "j"),
    ("з", "z", "z", "s", "z"),
    ("и", "i", "i", "i", "i"),
    ("й", "y", "j", "j", "ï"),
    ("к", "k", "k", "k", "k"),
    ("л", "l", "l", "l", "l"),
    ("м", "m", "m", "m", "m"),
    ("н", "n", "n", "n", "n"),
    ("о", "o", "o", "o", "o"),
    ("п", "p", "p", "p", "p"),
    ("р", "r", "r", "r", "r"),
    ("с", "s", "s", "s", "ss"),
    ("т", "t", "t", "t", "t"),
    ("у", "u", "u", "u", "ou"),
    ("ф", "f", "f", "f", "f"),
    ("х", "kh", "h", "ch", "kh"),
    ("ц", "ts", "c", "z", "ts"),
    ("ч", "ch", "č", "tsch", "tch"),
    ("ш", "sh", "š", "sch", "ch"),
    ("щ", "shch", "ŝ", "schtsch", "chtch"),
    ("ъ", "", "ʺ", "", ""),
    ("ы", "y", "y", "y", "y"),
    ("ь", "", "ʹ", "", ""),
    ("э", "e", "è", "e", "e"),
    ("ю", "yu", "û", "ju", "iou"),
    ("я", "ya", "â", "ja", "ia"),
)
TRANSLIT_SCHEMES = ("bgn", "iso9", "german", "french")
_CYR_TABLES = {
    scheme: {row[0]: row[i + 1] for row in _CYR}
    for i, scheme in enumerate(TRANSLIT_SCHEMES)
}

# Arabic names: the Arabic script first, then Latin spellings seen in records.
AR_FIRST = {
    "m": (
        ("محمد", "Mohammed", "Muhammad", "Mohamed", "Mohammad"),
        ("أحمد", "Ahmed", "Ahmad"),
        ("حسين", "Hussein", "Husain", "Hossein"),
        ("عبد الرحمن", "Abdel Rahman", "Abdulrahman", "Abd al-Rahman"),
        ("يوسف", "Youssef", "Yousef", "Yusuf"),
        ("خالد", "Khaled", "Khalid"),
        ("عمر", "Omar", "Umar"),
        ("علي", "Ali", "Aly"),
        ("إبراهيم", "Ibrahim", "Ebrahim"),
        ("مصطفى", "Mustafa", "Moustafa", "Mostafa"),
        ("كريم", "Karim", "Kareem"),
        ("سعيد", "Said", "Saeed", "Saïd"),
        ("حسن", "Hassan", "Hasan"),
        ("طارق", "Tarek", "Tariq"),
        ("جمال", "Jamal", "Djamel", "Gamal"),
    ),
    "f": (
        ("فاطمة", "Fatima", "Fatma", "Fatimah"),
        ("عائشة", "Aisha", "Aicha", "Ayesha"),
        ("مريم", "Maryam", "Meriem", "Mariam"),
        ("خديجة", "Khadija", "Khadidja"),
        ("ليلى", "Layla", "Leila", "Laila"),
        ("نور", "Nour", "Noor", "Nur"),
        ("سلمى", "Salma", "Selma"),
        ("ياسمين", "Yasmin", "Yasmine", "Jasmin"),
        ("زينب", "Zainab", "Zeinab", "Zaynab"),
    ),
}
AR_LAST = (
    ("المصري", "Al-Masri", "El Masry", "Almasri"),
    ("الحسيني", "Al-Husseini", "El Husseini", "Husseini"),
    ("حداد", "Haddad", "Hadad"),
    ("خوري", "Khoury", "Khouri", "Khuri"),
    ("منصور", "Mansour", "Mansur"),
    ("عثمان", "Othman", "Osman", "Uthman"),
    ("بن علي", "Ben Ali", "Benali", "Bin Ali"),
    ("الأحمد", "Al-Ahmad", "El Ahmed", "Alahmad"),
    ("صالح", "Saleh", "Salih"),
    ("ناصر", "Nasser", "Naser", "Nasir"),
    ("حمدان", "Hamdan", "Hamdane"),
    ("العلي", "Al-Ali", "El Ali", "Alali"),
    ("الشامي", "Al-Shami", "Chami", "El Shamy"),
    ("بوزيد", "Bouzid", "Bou Zid", "Abu Zaid"),
    ("الزين", "El Zein", "Al-Zain", "Ezzine"),
    ("قاسم", "Kassem", "Qasim", "Kacem"),
    ("يعقوب", "Yacoub", "Yaqub", "Yakoub"),
    ("سليمان", "Sleiman", "Suleiman", "Slimane"),
    ("العمري", "Al-Omari", "El Omari", "Alomari"),
    ("التميمي", "Al-Tamimi", "Tamimi", "Et-Tamimi"),
)

# --- identifiers -------------------------------------------------------------

# country, national mobile prefixes, digits after the prefix, trunk prefix
PHONE_PLANS = (
    ("DE", "49", ("151", "160", "170", "176"), 8, "0"),
    ("FR", "33", ("6", "7"), 8, "0"),
    ("NL", "31", ("6",), 8, "0"),
    ("ES", "34", ("6",), 8, ""),
    ("IT", "39", ("31", "33", "34"), 8, ""),
    ("PL", "48", ("5", "6", "7"), 8, ""),
    ("RO", "40", ("72", "74"), 7, "0"),
    ("UA", "380", ("50", "67", "93"), 7, "0"),
    ("MA", "212", ("6",), 8, "0"),
    ("BE", "32", ("47",), 7, "0"),
)
IBAN_PLANS = (("DE", "N8N10"), ("NL", "A4N10"), ("PL", "N24"), ("LT", "N16"))
NATIONALITY = {
    "latin": (
        "de",
        "fr",
        "it",
        "es",
        "nl",
        "be",
        "pl",
        "cz",
        "hu",
        "ro",
        "gr",
        "pt",
        "ie",
    ),
    "cyrillic": ("ua", "ru", "by", "md"),
    "arabic": ("ma", "dz", "tn", "eg", "sy", "iq", "lb"),
}
GROUP_WEIGHTS = (("latin", 0.5), ("cyrillic", 0.3), ("arabic", 0.2))
PASSPORT_LETTERS = "CFGHJKLMNPRTVWXYZ"
VESSEL_NAMES = (
    "Aurora Poseidon Marlin Sirocco Nadia Baltic Star Odessa Sea Breeze".split()
)


def _iban_check(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(digits) % 97:02d}"


def iban_with_check(country: str, bban: str) -> str:
    """An IBAN whose ISO 13616 check digits are right (mod 97 = 1)."""
    return f"{country}{_iban_check(country, bban)}{bban}"


# --- the generator -------------------------------------------------------------


class _Zipf:
    """Draw a rank in 0..n-1 with probability ∝ 1 / (rank+1)^s."""

    def __init__(self, n: int, s: float):
        self.cumulative = list(accumulate(1 / (k + 1) ** s for k in range(n)))

    def draw(self, rng: random.Random) -> int:
        return bisect(self.cumulative, rng.random() * self.cumulative[-1])


class _Generator:
    def __init__(self, n: int, contributors: int, seed: int, noise: Noise):
        self.rng = random.Random(seed)
        self.noise = noise
        self.codes = [f"C{i + 1:02d}" for i in range(contributors)]
        # Some contributors hold far more than others.
        self.contributor_weights = [1 / (i + 1) ** 0.6 for i in range(contributors)]
        self.counters = {code: 0 for code in self.codes}
        # Pools of tail surnames are built from their own fixed seed, so that
        # every seed draws from the same population of names.
        pool_rng = random.Random(20261129)
        self.latin_tail = sorted(
            {self._syllable_name(pool_rng) for _ in range(max(500, n // 50))}
        )
        hot = max(10, n // 2000)
        self.hot_phones = [self._new_phone() for _ in range(hot)]
        self.hot_ibans = [self._new_iban() for _ in range(hot)]
        self.hot_zipf = _Zipf(hot, noise.zipf_s)

    # names

    @staticmethod
    def _syllable_name(rng: random.Random) -> str:
        parts = [rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))]
        return ("".join(parts) + rng.choice(LATIN_ENDINGS)).capitalize()

    def _true_name(self, group: str, gender: str) -> tuple:
        rng = self.rng
        if group == "latin":
            first = rng.choice(LATIN_FIRST[gender])
            last = rng.choice(LATIN_LAST if rng.random() < 0.5 else self.latin_tail)
            return ("latin", first, last)
        if group == "cyrillic":
            first = rng.choice(CYR_FIRST[gender])
            last = rng.choice(CYR_ROOTS) + rng.choice(CYR_SUFFIX[gender])
            return ("cyrillic", first, last)
        return ("arabic", rng.choice(AR_FIRST[gender]), rng.choice(AR_LAST))

    def _render_name(self, true_name: tuple) -> tuple[str, str]:
        """How one contributor writes the name: script, transliteration, typos."""
        rng = self.rng
        kind, first, last = true_name
        if kind == "cyrillic":
            if rng.random() >= 0.3:
                table = _CYR_TABLES[rng.choice(TRANSLIT_SCHEMES)]
                first, last = _transliterate(first, table), _transliterate(last, table)
        elif kind == "arabic":
            if rng.random() < 0.15:
                first, last = first[0], last[0]
            else:
                first, last = rng.choice(first[1:]), rng.choice(last[1:])
        if rng.random() < self.noise.typo:
            first = _typo(rng, first)
        if rng.random() < self.noise.typo:
            last = _typo(rng, last)
        if rng.random() < self.noise.swap_names:
            first, last = last, first
        return first, last

    def _render_dob(self, dob: tuple[int, int, int]) -> str:
        rng, noise = self.rng, self.noise
        year, month, day = dob
        roll = rng.random()
        if roll < noise.dob_missing:
            return ""
        roll -= noise.dob_missing
        if roll < noise.dob_year_only:
            return f"{year:04d}"
        roll -= noise.dob_year_only
        if roll < noise.dob_year_month:
            return f"{year:04d}-{month:02d}"
        roll -= noise.dob_year_month
        if roll < noise.dob_day_month_swap and day <= 12:
            month, day = day, month
        return f"{year:04d}-{month:02d}-{day:02d}"

    # identifiers

    def _new_phone(self) -> tuple[str, str, str, str]:
        country, code, prefixes, digits, trunk = self.rng.choice(PHONE_PLANS)
        prefix = self.rng.choice(prefixes)
        subscriber = "".join(self.rng.choice("0123456789") for _ in range(digits))
        return (country, code, prefix + subscriber, trunk)

    def _render_phone(self, phone: tuple, home_country: str) -> str:
        country, code, national, trunk = phone
        style = self.rng.randrange(5)
        if style == 3 and country != home_country:
            style = 0  # a national-format number only makes sense in its own country
        if style == 0:
            return f"+{code}{national}"
        if style == 1:
            return f"+{code} {national[:3]} {national[3:6]} {national[6:]}"
        if style == 2:
            return f"00{code} {national}"
        if style == 3:
            return f"{trunk}{national}"  # national format: needs the country
        return f"+{code}-{national[:3]}-{national[3:]}"

    def _new_iban(self) -> str:
        country, pattern = self.rng.choice(IBAN_PLANS)
        bban = []
        for kind, count in _pattern_parts(pattern):
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if kind == "A" else "0123456789"
            bban.append("".join(self.rng.choice(alphabet) for _ in range(count)))
        return iban_with_check(country, "".join(bban))

    def _render_iban(self, iban: str) -> str:
        rng = self.rng
        if rng.random() < self.noise.invalid_iban:
            wrong = (int(iban[2:4]) + 1 + rng.randrange(90)) % 97 + 2
            iban = f"{iban[:2]}{wrong:02d}{iban[4:]}"
        style = rng.randrange(3)
        if style == 0:
            return iban
        if style == 1:
            return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        return iban.lower()

    def _new_passport(self, nationality: str) -> tuple[str, str]:
        rng = self.rng
        if nationality == "de":
            number = rng.choice(PASSPORT_LETTERS) + "".join(
                rng.choice(PASSPORT_LETTERS + "0123456789") for _ in range(8)
            )
        else:
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
            number = letters + "".join(rng.choice("0123456789") for _ in range(7))
        return (nationality.upper(), number)

    def _render_document_number(self, number: str) -> str:
        style = self.rng.randrange(4)
        if style == 1:
            return f"{number[:2]} {number[2:]}"
        if style == 2:
            return number.lower()
        return number

    def _new_plate(self) -> tuple[str, str]:
        rng = self.rng

        def letters(count: int) -> str:
            return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(count))

        country = rng.choice(("DE", "NL", "PL", "FR", "BE"))
        if country == "DE":
            district = rng.choice(("B", "M", "HH", "K", "F"))
            plate = f"{district}-{letters(2)} {rng.randrange(1, 9999)}"
        elif country == "NL":
            plate = f"{rng.randrange(10, 99)}-{letters(3)}-{rng.randrange(1, 9)}"
        elif country == "PL":
            plate = f"W{letters(1)} {rng.randrange(10000, 99999)}"
        else:
            plate = f"{letters(2)}-{rng.randrange(100, 999)}-{letters(2)}"
        return (country, plate)

    def _render_plate(self, plate: str) -> str:
        style = self.rng.randrange(3)
        if style == 1:
            return plate.replace("-", "").replace(" ", "")
        if style == 2:
            return plate.replace("-", " ")
        return plate

    # one real person

    def individual(self, number: int) -> dict:
        rng = self.rng
        group = _weighted(rng, GROUP_WEIGHTS)
        gender = rng.choice("mf")
        phones = [self._new_phone() for _ in range(rng.choice((0, 1, 1, 1, 2)))]
        nationality = rng.choice(NATIONALITY[group])
        return {
            "cluster": f"I{number:08d}",
            "gender": gender,
            "nationality": nationality,
            "name": self._true_name(group, gender),
            "dob": (
                rng.randrange(1950, 2006),
                rng.randrange(1, 13),
                rng.randrange(1, 29),
            ),
            "phones": phones,
            "iban": self._new_iban() if rng.random() < 0.5 else None,
            "passport": self._new_passport(nationality) if rng.random() < 0.6 else None,
            "plate": self._new_plate() if rng.random() < 0.3 else None,
            "vessel": rng.random() < 0.01,
            "number": number,
        }

    def cluster_contributors(self) -> list[str]:
        size = min(len(self.codes), 1 + _weighted_index(self.rng, CLUSTER_SIZE_WEIGHTS))
        chosen: list[str] = []
        while len(chosen) < size:
            code = self.rng.choices(self.codes, self.contributor_weights)[0]
            if code not in chosen:
                chosen.append(code)
        return chosen

    def new_id(self, code: str, kind: str) -> str:
        self.counters[code] += 1
        return f"{code}-{kind}{self.counters[code]:07d}"


def _pattern_parts(pattern: str):
    """'N8N10' → [('N', 8), ('N', 10)]; 'A4N10' → [('A', 4), ('N', 10)]."""
    parts, kind, digits = [], None, ""
    for char in pattern + "$":
        if char.isdigit():
            digits += char
            continue
        if kind is not None:
            parts.append((kind, int(digits)))
        kind, digits = char, ""
    return parts


def _transliterate(text: str, table: dict) -> str:
    out = []
    for char in text:
        lower = char.lower()
        latin = table.get(lower, char)
        out.append(latin.capitalize() if char != lower else latin)
    return "".join(out)


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # substitution by a neighbour letter
        return text[:i] + rng.choice("aeiourstnl") + text[i + 1 :]
    if kind == 1:  # deletion
        return text[:i] + text[i + 1 :]
    if kind == 2:  # doubled letter
        return text[: i + 1] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # transposition


def _weighted(rng: random.Random, pairs) -> str:
    roll = rng.random()
    for value, weight in pairs:
        if roll < weight:
            return value
        roll -= weight
    return pairs[-1][0]


def _weighted_index(rng: random.Random, weights) -> int:
    return bisect(list(accumulate(weights)), rng.random() * sum(weights))


class _Writers:
    """One FtM JSON lines file and one persons CSV per contributor, opened lazily."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.files: dict[str, tuple] = {}

    def _for(self, code: str):
        if code not in self.files:
            folder = self.out_dir / code
            folder.mkdir(parents=True, exist_ok=True)
            jsonl = open(folder / "entities.ftm.json", "w", encoding="utf-8")  # noqa: SIM115
            persons = open(folder / "persons.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
            writer = csv.writer(persons)
            writer.writerow(PERSON_CSV_COLUMNS)
            self.files[code] = (jsonl, persons, writer)
        return self.files[code]

    def entity(self, code: str, entity_id: str, schema: str, properties: dict) -> None:
        props = {}
        for key, value in properties.items():
            if value:
                props[key] = value if isinstance(value, list) else [value]
        line = json.dumps(
            {"id": entity_id, "schema": schema, "properties": props}, ensure_ascii=False
        )
        self._for(code)[0].write(line + "\n")

    def person_row(self, code: str, row: tuple) -> None:
        self._for(code)[2].writerow(row)

    def close(self) -> None:
        for jsonl, persons, _ in self.files.values():
            jsonl.close()
            persons.close()


def generate(
    n: int,
    contributors: int = 30,
    seed: int = 1,
    out_dir: str | Path = ".",
    noise: Noise = Noise(),
) -> Summary:
    """Write about `n` person records (plus their documents, accounts, vehicles and
    relationships) spread over `contributors`, into `out_dir`. Returns counts."""
    if n < 1 or contributors < 2:
        raise ValueError("need at least one person and two contributors")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = _Generator(n, contributors, seed, noise)
    summary = Summary(n=n, contributors=contributors, seed=seed)
    writers = _Writers(out_dir)
    with open(out_dir / "truth.csv", "w", encoding="utf-8", newline="") as truth_file:
        truth = csv.writer(truth_file)
        truth.writerow(TRUTH_COLUMNS)
        previous: dict[str, str] = {}  # the last person written per contributor
        while summary.persons < n:
            person = gen.individual(summary.individuals)
            summary.individuals += 1
            codes = gen.cluster_contributors()[: n - summary.persons]
            summary.true_pairs += len(codes) * (len(codes) - 1) // 2
            for code in codes:
                _write_record(gen, writers, truth, code, person, previous, summary)
    writers.close()
    (out_dir / "persons.mapping.yml").write_text(PERSONS_MAPPING, encoding="utf-8")
    (out_dir / "manifest.json").write_text(
        json.dumps(asdict(summary), indent=2, sort_keys=True)
    )
    return summary


def _write_record(gen, writers, truth, code, person, previous, summary) -> None:
    """One contributor's record of `person`, with everything attached to it."""
    rng, noise = gen.rng, gen.noise

    def emit(kind: str, schema: str, cluster: str, properties: dict) -> str:
        entity_id = gen.new_id(code, kind)
        writers.entity(code, entity_id, schema, properties)
        truth.writerow((entity_id, code, schema, cluster))
        summary.entities += 1
        summary.by_schema[schema] = summary.by_schema.get(schema, 0) + 1
        return entity_id

    first, last = gen._render_name(person["name"])
    dob = gen._render_dob(person["dob"])
    # A person's country is where their first phone is: national-format
    # numbers are only written for that country, so they stay parseable.
    home = person["phones"][0][0] if person["phones"] else ""
    phones = [
        gen._render_phone(p, home)
        for p in person["phones"]
        if rng.random() < noise.keep_phone
    ]
    if rng.random() < noise.hot_phone:
        phones = phones[:1] + [
            gen._render_phone(gen.hot_phones[gen.hot_zipf.draw(rng)], home)
        ]
    iban = person["iban"] if person["iban"] and rng.random() < noise.keep_iban else None
    if rng.random() < noise.hot_iban:
        iban = gen.hot_ibans[gen.hot_zipf.draw(rng)]
    iban_text = gen._render_iban(iban) if iban else ""
    passport = (
        person["passport"]
        if person["passport"] and rng.random() < noise.keep_passport
        else None
    )
    plate = (
        person["plate"] if person["plate"] and rng.random() < noise.keep_plate else None
    )

    person_id = emit(
        "P",
        "Person",
        person["cluster"],
        {
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "birthDate": dob,
            "gender": {"m": "male", "f": "female"}[person["gender"]],
            "nationality": person["nationality"],
            "country": home.lower(),
            "phone": phones,
        },
    )
    summary.persons += 1
    passport_number = ""
    if passport:
        passport_number = gen._render_document_number(passport[1])
        emit(
            "D",
            "Passport",
            f"D{passport[0]}{passport[1]}",
            {
                "holder": person_id,
                "number": passport_number,
                "country": passport[0].lower(),
            },
        )
    if iban:
        account = emit("A", "BankAccount", f"B{iban}", {"iban": iban_text})
        emit(
            "O",
            "Ownership",
            f"O{person['cluster']}{iban}",
            {"owner": person_id, "asset": account},
        )
    plate_text = ""
    if plate:
        plate_text = gen._render_plate(plate[1])
        emit(
            "V",
            "Vehicle",
            f"V{plate[0]}{plate[1]}",
            {
                "registrationNumber": plate_text,
                "country": plate[0].lower(),
                "owner": person_id,
            },
        )
    if person["vessel"]:
        imo = f"IMO{9000000 + person['number'] % 999999:07d}"
        emit(
            "S",
            "Vessel",
            f"S{imo}",
            {
                "imoNumber": imo,
                "name": VESSEL_NAMES[person["number"] % len(VESSEL_NAMES)],
                "owner": person_id,
            },
        )
    if code in previous and rng.random() < 0.1:
        schema = "Family" if rng.random() < 0.3 else "Associate"
        other = "relative" if schema == "Family" else "associate"
        emit("R", schema, f"R{person_id}", {"person": person_id, other: previous[code]})
    previous[code] = person_id
    writers.person_row(
        code,
        (
            person_id,
            first,
            last,
            dob,
            {"m": "male", "f": "female"}[person["gender"]],
            person["nationality"],
            phones[0] if phones else "",
            phones[1] if len(phones) > 1 else "",
            home,
            iban_text,
            f"{person_id}/{iban_text}" if iban_text else "",
            passport_number,
            passport[0] if passport else "",
            plate_text,
            plate[0] if plate else "",
        ),
    )
