"""Tests of recsys_helpers.checks: every check returns the clean value or names the argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.checks import (
    check_choice,
    check_count_range,
    check_fraction,
    check_item_sequences,
    check_layers,
    check_neumf_config,
    check_non_negative_float,
    check_non_negative_int,
    check_optional,
    check_positive_float,
    check_positive_int,
    check_targets,
    require_columns,
)


def test_clean_values_come_back_as_python_numbers():
    assert check_positive_int("epochs", np.int64(3)) == 3 and type(check_positive_int("epochs", np.int64(3))) is int
    assert check_non_negative_int("seed", 0) == 0
    assert check_positive_float("lr", np.float32(0.5)) == 0.5 and type(check_positive_float("lr", 1)) is float
    assert check_non_negative_float("l2", 0) == 0.0
    assert check_fraction("dropout", 0.0) == 0.0
    assert check_fraction("mask_prob", 0.5, low_open=True) == 0.5
    assert check_choice("optimizer", "adam", ("sgd", "adam")) == "adam"
    assert check_layers("hidden", [8, np.int64(4)]) == (8, 4) and check_layers("hidden", ()) == ()
    assert check_optional(check_positive_int, "patience", None) is None
    assert check_optional(check_positive_int, "patience", 2) == 2
    assert check_neumf_config("gmf", ()) == ()
    rows = check_item_sequences({0: [1, 2], 1: np.array([3.0])}, num_items=4)
    assert [r.tolist() for r in rows] == [[1, 2], [3]] and rows[1].dtype == np.int64
    assert check_targets([0, 3], 2, 4).tolist() == [0, 3]
    assert check_count_range("session_length", [np.int64(2), 2]) == (2, 2)
    require_columns(pd.DataFrame({"user_id": [1]}), ["user_id"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_positive_int("epochs", 0), "epochs must be a positive integer, got 0"),
        (lambda: check_positive_int("epochs", True), "epochs must be a positive integer, got True"),
        (lambda: check_positive_int("epochs", 2.0), "epochs must be a positive integer, got 2.0"),
        (lambda: check_non_negative_int("seed", -1), "seed must be a non-negative integer"),
        (lambda: check_positive_float("lr", float("inf")), "lr must be a positive number"),
        (lambda: check_positive_float("lr", "0.1"), "lr must be a positive number"),
        (lambda: check_non_negative_float("l2", -0.5), "l2 must be a non-negative number"),
        (lambda: check_fraction("dropout", 1.0), "dropout must be a number in \\[0, 1\\)"),
        (lambda: check_fraction("mask_prob", 0.0, low_open=True), "mask_prob must be a number in \\(0, 1\\)"),
        (lambda: check_choice("optimizer", "adamw", ("sgd", "adam")), "optimizer must be one of"),
        (lambda: check_choice("optimizer", ["adam"], ("sgd", "adam")), "optimizer must be one of"),
        (lambda: check_layers("hidden", 8), "hidden must be a sequence of positive integers"),
        (lambda: check_layers("hidden", (8, 0)), "every width in hidden must be a positive integer"),
        (lambda: check_neumf_config("deep", (8,)), "mode must be one of"),
        (lambda: check_neumf_config("mlp", ()), "at least one width"),
        (lambda: check_neumf_config("neumf", (7,)), "mlp_layers\\[0\\] must be even"),
        (lambda: check_item_sequences("abc"), "sequences must be a list"),
        (lambda: check_item_sequences([[1, -2]]), "sequences\\[0\\] holds a negative item index"),
        (lambda: check_item_sequences([[1, 9]], num_items=5), "outside \\[0, 5\\)"),
        (lambda: check_item_sequences([[1.5]]), "must hold integer item indices"),
        (lambda: check_item_sequences([[[1]]]), "must be a flat sequence"),
        (lambda: check_targets([1], 2, 4), "one item per row"),
        (lambda: check_targets([1.0, 2.0], 2, 4), "integer item indices"),
        (lambda: check_targets([1, 4], 2, 4), "must lie in \\[0, 4\\)"),
        (lambda: check_count_range("session_length", (3, 2)), "session_length must be \\(low, high\\)"),
        (lambda: check_count_range("session_length", (0, 2)), "session_length must be"),
        (lambda: check_count_range("session_length", (1.5, 2)), "session_length must be"),
        (lambda: check_count_range("session_length", 4), "session_length must be"),
        (lambda: require_columns(pd.DataFrame({"a": [1]}), ["a", "time"]), "missing column\\(s\\) \\['time'\\]"),
    ],
)
def test_errors_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_require_columns_wants_a_data_frame():
    with pytest.raises(TypeError, match="expected a pandas DataFrame, got dict"):
        require_columns({"a": [1]}, ["a"])
