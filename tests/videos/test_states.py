"""videos/states.py: every state × every label × every client type, sets, final label, quality check, URLs."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from videos import states as S

STATES = [47, 32, 23, 16, 19, 20, 15, 12, 5, 4, 3, -1, -2]
CLIENT_TYPES = [0, 1, 2, 3]
# every label a client could send: the two answers, every code, and junk
LABELS = [0, 1, *STATES, 2, -3, 99, True, False]

# §6.1 citizen table, written out by hand from the spec
CITIZEN_EXPECTED = {(-1, 1): 5, (-1, 0): 4, (5, 1): 23, (5, 0): 3, (4, 1): 3, (4, 0): 16, (3, 1): 19, (3, 0): 20}
RESEARCHER_EXPECTED = {1: 23, 0: 16, 23: 23, 16: 16, 19: 19, 20: 20, 47: 47, 32: 32, -2: -2, -1: -1}


def test_module_has_no_django_import():
    tree = ast.parse(Path(S.__file__).read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(name.startswith(("django", "rest_framework", "videos.models")) for name in modules)


def test_state_codes_and_names():
    assert {int(s) for s in S.LabelState} == set(STATES)
    assert S.LabelState(47).label == "Gold Pos"
    assert S.LabelState(-2).label == "Bad Data"
    assert S.LabelState(3).label == "Discord"
    assert dict(S.LabelState.choices())[-1] == "No Data"


def test_named_sets():
    assert {23, 15, 19} == S.POS and {16, 12, 20} == S.NEG and {23, 15, 19, 16, 12, 20} == S.DECIDED
    assert {47, 32} == S.GOLD and {-2} == S.BAD and {3, 4, 5} == S.PARTIAL
    assert {47, 32, -2} == S.EXCLUDED
    assert {47, 32, 23, 16, 19, 20, 15, 12, -2} == S.RESEARCHER_DECIDED
    assert S.OPEN_FOR_BATCH == {-1, 3, 4, 5} == S.RESEARCHER_BATCH_STATES
    assert S.BATCH_SIZE == 16 and S.GOLD_PER_BATCH == 4 and S.NON_GOLD_PER_BATCH == 12


def _citizen_outcome(state, label):
    if isinstance(label, bool) or label not in (0, 1):
        return "refused"
    return CITIZEN_EXPECTED.get((state, label), state)


def _researcher_outcome(label):
    if isinstance(label, bool) or label not in RESEARCHER_EXPECTED:
        return "refused"
    return RESEARCHER_EXPECTED[label]


def _transition(client_type, citizen_state, researcher_state, label):
    """What one label does to a clip (C, A) for a caller of `client_type` (researchers write A only)."""
    try:
        if client_type == 0:
            return citizen_state, S.researcher_transition(label)
        return S.citizen_transition(citizen_state, label), researcher_state
    except S.InvalidLabel:
        return "refused"


@pytest.mark.parametrize("client_type", CLIENT_TYPES)
def test_every_state_every_label_every_client_type(client_type):
    for state, label in itertools.product(STATES, LABELS):
        other = 23 if state != 23 else 16
        got = _transition(client_type, state, other, label)
        if client_type == 0:
            expected = _researcher_outcome(label)
            # the researcher transition ignores the current state and never touches the citizen state
            assert got == ("refused" if expected == "refused" else (state, expected)), (state, label)
        else:
            expected = _citizen_outcome(state, label)
            # expert labelers (1) carry no extra weight: same table as types 2 and 3
            assert got == ("refused" if expected == "refused" else (expected, other)), (state, label)


def test_majority_of_three():
    for first, second, third in itertools.product((0, 1), repeat=3):
        state = S.citizen_transition(S.citizen_transition(-1, first), second)
        if first == second:
            assert state == (23 if first else 16)
            assert S.citizen_transition(state, third) == state  # decided: no change
        else:
            assert state == 3
            assert S.citizen_transition(state, third) == (19 if third else 20)


def _final_expected(c, a):
    if a in (47, 32, -2):
        return S.FinalLabel.NONE
    if a in (23, 15, 19) or (a not in (23, 15, 19, 16, 12, 20) and c in (23, 15, 19)):
        return S.FinalLabel.POSITIVE
    if a in (16, 12, 20) or (a not in (23, 15, 19, 16, 12, 20) and c in (16, 12, 20)):
        return S.FinalLabel.NEGATIVE
    return S.FinalLabel.UNDECIDED


@pytest.mark.parametrize("c,a", list(itertools.product(STATES, STATES)))
def test_final_label_every_pair(c, a):
    assert S.final_label(c, a) == _final_expected(c, a)


def test_researcher_overrides_citizens():
    assert S.final_label(23, 16) == S.FinalLabel.NEGATIVE
    assert S.final_label(16, 19) == S.FinalLabel.POSITIVE
    assert S.final_label(23, -1) == S.FinalLabel.POSITIVE
    assert S.final_label(23, 47) == S.FinalLabel.NONE


@pytest.mark.parametrize("c,a", list(itertools.product(STATES, STATES)))
def test_pools_every_pair(c, a):
    pool = S.citizen_pool(c, a)
    if a == 47:
        assert pool == S.CitizenPool.GOLD_POS
    elif a == 32:
        assert pool == S.CitizenPool.GOLD_NEG
    elif a in S.RESEARCHER_DECIDED:
        assert pool == S.CitizenPool.NONE
    elif c == -1:
        assert pool == S.CitizenPool.FRESH
    elif c in (3, 4, 5):
        assert pool == S.CitizenPool.PARTIAL
    else:
        assert pool == S.CitizenPool.NONE
    assert S.researcher_pool(a) == (a in (-1, 3, 4, 5))


def test_batch_score():
    gold_ok = [(47, 1), (47, 1), (32, 0), (32, 0)]
    others = [(-1, 1)] * 12
    assert S.batch_score(gold_ok + others) == 12
    assert S.batch_score([(47, 0), *gold_ok[1:], *others]) == 0  # one gold wrong: discarded
    assert S.batch_score([(32, 1), *gold_ok[1:], *others]) == 0
    assert S.batch_score(others) == 0  # no gold at all (gold clip demoted since issue): fails
    assert S.batch_score(gold_ok + [(23, 0)] * 12) == 12  # decided clips count as non-gold
    assert S.gold_answer_correct(-1, 1) is None


def test_file_names_and_urls():
    name = "0-1-2019-01-17-6007-928-6509-1430-180-180-3906-1547732890-1547733065"
    assert S.url_part(name) == f"2019-01-17/0-1/{name}.mp4"
    assert S.parse_file_name(name)[5] == 6007
    assert S.clip_storage_path(name, 320) == (
        "videos/320/2019-01-17/0-1/0-1-2019-01-17-6007-928-6509-1430-320-320-3906-1547732890-1547733065.mp4"
    )
    assert S.variant_url(f"http://x/videos/180/{S.url_part(name)}", 320).count("320") == 3
    for bad in ["", "a-b", name + "-1", name.replace("6007", "x"), name.replace("-01-17-", "-13-17-"), 5]:
        with pytest.raises(S.InvalidFileName):
            S.parse_file_name(bad)


@pytest.mark.parametrize("c,a", list(itertools.product(STATES, STATES)))
def test_listing_codes_every_pair(c, a):
    assert (
        S.final_label_code(c, a)
        == {"positive": 1, "negative": 0, "undecided": -1, "none": None}[_final_expected(c, a).value]
    )
    expected = None if a in (47, 32, -2) else (1 if c in (23, 15, 19) else 0 if c in (16, 12, 20) else None)
    assert S.citizen_decision(c, a) == expected
    assert S.researcher_decision(a) == (1 if a in (23, 15, 19) else 0 if a in (16, 12, 20) else None)
