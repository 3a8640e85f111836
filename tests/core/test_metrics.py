"""Agent classes and alignment follow the definitions stated in evo.core.metrics."""

from __future__ import annotations

import numpy as np

from evo.core import metrics


def test_classes_follow_the_definitions() -> None:
    train = np.array([0.95, 0.95, 0.95, 0.50, 0.95])
    shift = {"s": np.array([0.90, -0.10, -0.20, 0.50, 0.95])}
    reached = {"s": np.array([1.0, 2.0, 0.0, 1.0, 1.0])}
    optimizer = np.array([True, True, True, True, False])
    got = metrics.classify(train, shift, reached, optimizer, best_train=0.95)
    assert list(got) == ["robust", "pseudo", "capability_failure", "misaligned", "non-optimizer"]


def test_without_a_shift_good_agents_are_untested_not_robust() -> None:
    train = np.array([0.95, 0.50, 0.95])
    got = metrics.classify(train, {}, {}, np.array([True, True, False]), best_train=0.95)
    assert list(got) == ["untested", "misaligned", "non-optimizer"]


def test_thresholds_are_respected() -> None:
    train = np.array([1.0])
    shift = {"s": np.array([0.85])}
    reached = {"s": np.array([1.0])}
    opt = np.array([True])
    assert metrics.classify(train, shift, reached, opt, 1.0)[0] == "robust"
    assert metrics.classify(train, shift, reached, opt, 1.0, robust_threshold=0.9)[0] == "pseudo"


def test_alignment_is_a_cosine() -> None:
    base = np.array([0.0, 0.0, 1.0, 0.0])
    w = np.array([[0, 0, 2.0, 0], [1.0, 0, 0, 0], [0, 0, -1.0, 0], [0, 0, 0, 0]])
    assert np.allclose(metrics.alignment(w, base), [1.0, 0.0, -1.0, 0.0])
