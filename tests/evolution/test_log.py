"""The run's log table (evo.evolution.log.Log): what goes in comes out, exactly, and in the same shape."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evo.evolution.log import Log, LogColumnsError

_floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@given(st.lists(st.tuples(_floats, _floats), min_size=1, max_size=30))
def test_rows_come_back_as_they_were_appended(values: list[tuple[float, float]]) -> None:
    rows = [{"gen": g, "train_mean": a, "shift.x.elite": b} for g, (a, b) in enumerate(values)]
    log = Log(rows)
    back = list(log)
    assert len(log) == len(rows) and log.header == ["gen", "train_mean", "shift.x.elite"]
    for got, want in zip(back, rows, strict=True):
        assert list(got) == list(want) and type(got["gen"]) is int
        for k in want:  # bit for bit, NaN included
            assert np.float64(got[k]).tobytes() == np.float64(want[k]).tobytes()
    # a checkpoint's table round trip
    again = Log.from_array(log.header, log.int_columns, log.to_array())
    assert [repr(r) for r in again] == [repr(r) for r in back]


def test_a_row_with_other_columns_is_refused_and_nothing_is_half_appended() -> None:
    log = Log([{"gen": 0, "a": 1.0, "b": 2.0}])
    for bad in ({"gen": 1, "b": 1.0}, {"gen": 1, "a": 1.0, "b": 2.0, "c": 3.0},
                {"b": 4.0, "a": 3.0, "gen": 1}):  # other columns, or the same in another order
        with pytest.raises(LogColumnsError, match="log row 1: columns"):
            log.append(bad)
    with pytest.raises(LogColumnsError, match="column 'gen': expected an integer"):
        log.append({"gen": 1.5, "a": 1.0, "b": 2.0})
    with pytest.raises(ValueError, match="column 'b': expected a number, got None"):
        log.append({"gen": 1, "a": 1.0, "b": None})
    assert len(log) == 1 and log.to_array().tolist() == [[0.0, 1.0, 2.0]]
    first = Log()
    with pytest.raises(ValueError):
        first.append({"gen": 0, "a": "x"})
    assert len(first) == 0 and first.header == []  # a refused first row fixes no columns


def test_rows_and_columns_read_back() -> None:
    log = Log([{"gen": 0, "a": 1.0, "b": 2.0}])
    log.append({"gen": 1, "a": 3.0, "b": 4.0})
    assert log[1] == {"gen": 1, "a": 3.0, "b": 4.0}
    assert log.column("b").tolist() == [2.0, 4.0]
    with pytest.raises(KeyError, match="no log column 'c'"):
        log.column("c")
    with pytest.raises(IndexError):
        log[2]


def test_the_deap_logbook_has_the_same_rows() -> None:
    log = Log([{"gen": g, "train_mean": g / 3} for g in range(4)])
    book = log.logbook()
    assert list(book) == list(log) and book.header == ["gen", "train_mean"]
    assert book.select("train_mean") == [g / 3 for g in range(4)]


def test_an_empty_log_has_no_rows_and_an_empty_table() -> None:
    log = Log()
    assert len(log) == 0 and list(log) == [] and log.to_array().shape == (0, 0)
    assert math.isnan(Log([{"gen": 0, "a": math.nan}]).column("a")[0])
