import math

import numpy as np
import pytest

from empact.engine import em

# One comparison of three levels (gamma 0 else, 1 close, 2 exact) and one of two.
U = [np.array([0.9, 0.09, 0.01]), np.array([0.5, 0.5])]
M = [np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.9])]
FREE = [np.zeros(3, bool), np.zeros(2, bool)]


def test_one_iteration_is_the_fellegi_sunter_expectation_then_the_shares():
    patterns = em.Patterns(np.array([[2, 1], [0, 0], [1, -1]]), np.array([5, 90, 5]))
    result = em.expectation_maximisation(patterns, M, U, FREE, 0.1, max_iterations=1)
    prior_odds = 0.1 / 0.9
    p = []
    for gammas in ([2, 1], [0, 0], [1, -1]):
        odds = prior_odds
        for c, g in enumerate(gammas):
            odds *= M[c][g] / U[c][g] if g >= 0 else 1.0
        p.append(odds / (1 + odds))
    expected = np.array(p) * [5, 90, 5]
    assert result.iterations == 1
    assert result.prior == pytest.approx(expected.sum() / 100)
    # each level's share of the expected matches where the comparison is not null
    assert result.m[0] == pytest.approx(
        [expected[1], expected[2], expected[0]] / expected.sum()
    )
    assert result.m[1] == pytest.approx([expected[1], expected[0]] / expected[:2].sum())


def test_runs_until_nothing_moves_by_the_threshold():
    patterns = em.Patterns(np.array([[2, 1], [0, 0], [1, 0]]), np.array([30, 900, 70]))
    result = em.expectation_maximisation(patterns, M, U, FREE, 0.1)
    again = em.expectation_maximisation(
        patterns, result.m, U, FREE, result.prior, max_iterations=1
    )
    assert 1 < result.iterations < 25
    moved = max(np.max(np.abs(a - b)) for a, b in zip(again.m, result.m, strict=True))
    assert moved < 1e-4


def test_fixed_levels_keep_their_m_and_unseen_levels_are_not_trained():
    patterns = em.Patterns(np.array([[2, 1], [0, 0]]), np.array([10, 90]))
    fixed = [np.zeros(3, bool), np.ones(2, bool)]
    result = em.expectation_maximisation(patterns, M, U, fixed, 0.1)
    assert list(result.m[1]) == list(M[1])
    assert math.isnan(result.m[0][1])  # no pair is "close"
    assert result.m[0][0] + result.m[0][2] == pytest.approx(1.0)


def test_no_pairs_or_an_m_driven_to_nothing_fail_the_pass():
    empty = em.Patterns(np.zeros((0, 2), int), np.zeros(0))
    with pytest.raises(em.EMFailed, match="no pairs"):
        em.expectation_maximisation(empty, M, U, FREE, 0.1)
    # every pair agrees exactly and is certain to match: the else level, seen only
    # among pairs certain not to match, gets no share at all
    certain = [np.array([0.0, 0.0, 1.0]), np.array([0.5, 0.5])]
    patterns = em.Patterns(np.array([[2, 1], [0, 1]]), np.array([10, 10]))
    with pytest.raises(em.EMFailed, match="minimum allowed"):
        em.expectation_maximisation(patterns, certain, U, FREE, 0.1)
