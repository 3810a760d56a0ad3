"""Seed 000's label states, transition tables, final-label rule, quality check and clip URLs (videos.md §1.2, §6).

A plain module (no Django import) so the rules can be read and tested on their own. Every other part of
the app (services, selectors, admin, commands) takes its codes and sets from here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

# --- constants (videos.md §1.3) -----------------------------------------------------------------------

BATCH_SIZE = 16
GOLD_PER_BATCH = 4
PARTIAL_LABEL_RATIO = 1.0
VIDEO_TOKEN_NBF_SECONDS = 5
DEFAULT_PAGE_SIZE = 16
MAX_PAGE_SIZE = 1000
NON_GOLD_PER_BATCH = BATCH_SIZE - GOLD_PER_BATCH


class LabelState(enum.IntEnum):
    """Label state codes (§1.2); `.label` is the name the gallery shows."""

    GOLD_POS = 47
    GOLD_NEG = 32
    STRONG_POS = 23
    STRONG_NEG = 16
    WEAK_POS = 19
    WEAK_NEG = 20
    MEDIUM_POS = 15
    MEDIUM_NEG = 12
    MAYBE_POS = 5
    MAYBE_NEG = 4
    DISCORD = 3
    NO_DATA = -1
    BAD = -2

    @property
    def label(self) -> str:
        return STATE_NAMES[self]

    @classmethod
    def choices(cls) -> list[tuple[int, str]]:
        """(code, name) pairs for model fields and admin filters."""
        return [(member.value, member.label) for member in cls]


STATE_NAMES: dict[int, str] = {
    LabelState.GOLD_POS: "Gold Pos",
    LabelState.GOLD_NEG: "Gold Neg",
    LabelState.STRONG_POS: "Strong Pos",
    LabelState.STRONG_NEG: "Strong Neg",
    LabelState.WEAK_POS: "Weak Pos",
    LabelState.WEAK_NEG: "Weak Neg",
    LabelState.MEDIUM_POS: "Medium Pos",
    LabelState.MEDIUM_NEG: "Medium Neg",
    LabelState.MAYBE_POS: "Maybe Pos",
    LabelState.MAYBE_NEG: "Maybe Neg",
    LabelState.DISCORD: "Discord",
    LabelState.NO_DATA: "No Data",
    LabelState.BAD: "Bad Data",
}

ALL_STATES: frozenset[int] = frozenset(int(s) for s in LabelState)

# --- named sets (§1.2) --------------------------------------------------------------------------------

POS: frozenset[int] = frozenset({23, 15, 19})
NEG: frozenset[int] = frozenset({16, 12, 20})
DECIDED: frozenset[int] = POS | NEG
GOLD_POS: frozenset[int] = frozenset({47})
GOLD_NEG: frozenset[int] = frozenset({32})
GOLD: frozenset[int] = GOLD_POS | GOLD_NEG
BAD: frozenset[int] = frozenset({-2})
MAYBE_POS: frozenset[int] = frozenset({5})
MAYBE_NEG: frozenset[int] = frozenset({4})
DISCORD: frozenset[int] = frozenset({3})
PARTIAL: frozenset[int] = frozenset({3, 4, 5})
EXCLUDED: frozenset[int] = GOLD | BAD
RESEARCHER_DECIDED: frozenset[int] = frozenset({47, 32, 23, 16, 19, 20, 15, 12, -2})
# Researcher states a clip may have and still be offered in a batch (every code outside RESEARCHER_DECIDED).
OPEN_FOR_BATCH: frozenset[int] = ALL_STATES - RESEARCHER_DECIDED
# What a researcher batch offers (§6.3): A ∈ {-1, 3, 4, 5}.
RESEARCHER_BATCH_STATES: frozenset[int] = frozenset({-1, 3, 4, 5})
# Codes `set_label_state` accepts (§5.4): the two answers and the codes a researcher may write.
RESEARCHER_LABELS: frozenset[int] = frozenset({0, 1, 23, 16, 19, 20, 47, 32, -2, -1})
# States the gallery's "My Contribution" view counts as confirmed (§5.6).
CONFIRMED_POS: frozenset[int] = frozenset({19, 15, 23, 47})
# Labels of the user-id mode of get_pos_labels (§5.6): a citizen's "yes", plus a researcher's positive codes.
USER_POS_LABELS_CITIZEN: frozenset[int] = frozenset({1})
USER_POS_LABELS_RESEARCHER: frozenset[int] = frozenset({1, 23, 15, 19})
ANSWERS: frozenset[int] = frozenset({0, 1})


# --- transitions (§6.1) -------------------------------------------------------------------------------

CITIZEN_TRANSITIONS: Mapping[tuple[int, int], int] = {
    (-1, 1): 5,
    (-1, 0): 4,
    (5, 1): 23,
    (5, 0): 3,
    (4, 1): 3,
    (4, 0): 16,
    (3, 1): 19,
    (3, 0): 20,
}


class InvalidLabel(ValueError):
    """A label the transition table does not accept."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_answer(label: object) -> bool:
    """A citizen's answer: the integer 0 or 1 (not a boolean, not 1.0)."""
    return _is_int(label) and label in ANSWERS


def is_researcher_label(label: object) -> bool:
    return _is_int(label) and label in RESEARCHER_LABELS


def citizen_transition(state: int, label: int) -> int:
    """New citizen state after one citizen answer `label` (0/1); states outside the table do not move."""
    if not is_answer(label):
        raise InvalidLabel(f"a citizen label is 0 or 1, not {label!r}")
    return CITIZEN_TRANSITIONS.get((state, label), state)


def researcher_transition(label: int) -> int:
    """New researcher state for a researcher's `label` (the current state is ignored)."""
    if not is_researcher_label(label):
        raise InvalidLabel(f"a researcher label is one of {sorted(RESEARCHER_LABELS)}, not {label!r}")
    if label == 1:
        return LabelState.STRONG_POS
    if label == 0:
        return LabelState.STRONG_NEG
    return label


# --- final label (§6.2) -------------------------------------------------------------------------------


class FinalLabel(enum.Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    UNDECIDED = "undecided"
    NONE = "none"  # gold or bad: never in a public listing


def final_label(citizen_state: int, researcher_state: int) -> FinalLabel:
    """A researcher's decision overrides the citizens'; gold and bad clips have no final label."""
    if researcher_state in EXCLUDED:
        return FinalLabel.NONE
    if researcher_state in POS or (researcher_state not in DECIDED and citizen_state in POS):
        return FinalLabel.POSITIVE
    if researcher_state in NEG or (researcher_state not in DECIDED and citizen_state in NEG):
        return FinalLabel.NEGATIVE
    return FinalLabel.UNDECIDED


FINAL_LABEL_CODES: dict[FinalLabel, int | None] = {
    FinalLabel.POSITIVE: 1,
    FinalLabel.NEGATIVE: 0,
    FinalLabel.UNDECIDED: -1,
    FinalLabel.NONE: None,
}


def final_label_code(citizen_state: int, researcher_state: int) -> int | None:
    """The final label as the database stores it (Video.final_label_code): 1, 0, -1 undecided, None."""
    return FINAL_LABEL_CODES[final_label(citizen_state, researcher_state)]


def citizen_decision(citizen_state: int, researcher_state: int) -> int | None:
    """1 / 0 when the citizens decided yes / no on a clip that is not gold or bad; else None
    (the filter of get_pos/neg_labels_by_citizen)."""
    if researcher_state in EXCLUDED:
        return None
    if citizen_state in POS:
        return 1
    if citizen_state in NEG:
        return 0
    return None


def researcher_decision(researcher_state: int) -> int | None:
    """1 / 0 when a researcher decided yes / no (A ∈ POS / NEG); else None (get_*_labels_by_researcher)."""
    if researcher_state in POS:
        return 1
    if researcher_state in NEG:
        return 0
    return None


# --- batch pools ----------------------------------------------------------------------------------------
# Batch selection reads one indexed "pool" per clip instead of filtering two state columns, so picking
# random clips is an index range read (videos.md §6.3; the database computes the same rule as a generated
# column, see videos.models.Video).


class CitizenPool(enum.IntEnum):
    NONE = 0
    FRESH = 1  # A open, C = -1
    PARTIAL = 2  # A open, C ∈ PARTIAL
    GOLD_POS = 4  # A = 47
    GOLD_NEG = 5  # A = 32


def citizen_pool(citizen_state: int, researcher_state: int) -> CitizenPool:
    if researcher_state in GOLD_POS:
        return CitizenPool.GOLD_POS
    if researcher_state in GOLD_NEG:
        return CitizenPool.GOLD_NEG
    if researcher_state in RESEARCHER_DECIDED:
        return CitizenPool.NONE
    if citizen_state == LabelState.NO_DATA:
        return CitizenPool.FRESH
    if citizen_state in PARTIAL:
        return CitizenPool.PARTIAL
    return CitizenPool.NONE


def researcher_pool(researcher_state: int) -> bool:
    """Whether a researcher batch may offer the clip."""
    return researcher_state in RESEARCHER_BATCH_STATES


# --- quality check (§6.4) -------------------------------------------------------------------------------


def gold_answer_correct(researcher_state: int, label: int) -> bool | None:
    """True/False for a gold clip's answer; None for a clip that is not gold."""
    if researcher_state in GOLD_POS:
        return label == 1
    if researcher_state in GOLD_NEG:
        return label == 0
    return None


def batch_score(answers: Iterable[tuple[int, int]], *, gold_required: int = GOLD_PER_BATCH) -> int:
    """Score of a citizen batch from (current researcher state, label) pairs: the non-gold count when at
    least `gold_required` gold answers are right, else 0 (the batch is discarded)."""
    correct = 0
    non_gold = 0
    for researcher_state, label in answers:
        verdict = gold_answer_correct(researcher_state, label)
        if verdict is None:
            non_gold += 1
        elif verdict:
            correct += 1
    return non_gold if correct >= gold_required else 0


# --- file names and URLs (§2.3, §6.5) ---------------------------------------------------------------------

FILE_NAME_FIELDS = 14


class InvalidFileName(ValueError):
    pass


def parse_file_name(file_name: str) -> list[int]:
    """The 14 integers of `camera-view-YYYY-MM-DD-L-T-R-B-W-H-startFrame-startEpoch-endEpoch`."""
    if not isinstance(file_name, str):
        raise InvalidFileName("file_name must be a string")
    parts = file_name.split("-")
    if len(parts) != FILE_NAME_FIELDS:
        raise InvalidFileName(f"file_name must be {FILE_NAME_FIELDS} dash-separated integers, got {len(parts)} parts")
    numbers = []
    for index, part in enumerate(parts):
        if not part.isdigit() or not part.isascii():
            raise InvalidFileName(f"file_name part {index + 1} ({part!r}) is not a non-negative integer")
        numbers.append(int(part))
    year, month, day = numbers[2], numbers[3], numbers[4]
    if not (1 <= month <= 12 and 1 <= day <= 31 and year >= 1970):
        raise InvalidFileName(f"file_name date {parts[2]}-{parts[3]}-{parts[4]} is not a date")
    if numbers[9] <= 0 or numbers[10] <= 0:
        raise InvalidFileName("file_name width and height must be positive")
    return numbers


def url_part(file_name: str) -> str:
    """`"{f[2]}-{f[3]}-{f[4]}/{f[0]}-{f[1]}/{file_name}.mp4"` (§6.5); the original's string fields, unparsed."""
    f = file_name.split("-")
    return f"{f[2]}-{f[3]}-{f[4]}/{f[0]}-{f[1]}/{file_name}.mp4"


def variant_url(url: str, size: int) -> str:
    """The same clip at another size: `/180/` → `/<size>/` and `-180-180-` → `-<size>-<size>-`."""
    return url.replace("/180/", f"/{size}/").replace("-180-180-", f"-{size}-{size}-")


def clip_storage_path(file_name: str, size: int = 180) -> str:
    """Storage path of a clip: `videos/<size>/<YYYY-MM-DD>/<camera>-<view>/<file_name>.mp4`, the
    `-180-180-` of the name replaced by `-<size>-<size>-` for other sizes (§6.5)."""
    return variant_url(f"videos/180/{url_part(file_name)}", size)
