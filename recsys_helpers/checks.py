"""Argument checks: each returns the cleaned value or raises a ValueError whose message names the
argument and shows the value it got (:func:`require_columns` names the missing columns).

>>> check_positive_int("epochs", 3)
3
>>> check_positive_int("epochs", 0)
Traceback (most recent call last):
...
ValueError: epochs must be a positive integer, got 0

Booleans are never accepted as numbers (``True`` is not an epoch count). NumPy integers and
floats are accepted and returned as Python ``int``/``float``.

Introduced in chapter 04 (Embeddings and neural collaborative filtering); chapter 08 uses it for
the training settings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "check_positive_int",
    "check_non_negative_int",
    "check_positive_float",
    "check_non_negative_float",
    "check_fraction",
    "check_count_range",
    "check_choice",
    "check_layers",
    "check_optional",
    "check_neumf_config",
    "check_item_sequences",
    "check_targets",
    "require_columns",
]


def _is_int(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def _is_real(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def check_positive_int(name: str, value) -> int:
    """``value`` as int if it is an integer >= 1, else ValueError naming ``name``."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_non_negative_int(name: str, value) -> int:
    """``value`` as int if it is an integer >= 0, else ValueError naming ``name``."""
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_positive_float(name: str, value) -> float:
    """``value`` as float if it is a finite number > 0, else ValueError naming ``name``."""
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_non_negative_float(name: str, value) -> float:
    """``value`` as float if it is a finite number >= 0, else ValueError naming ``name``."""
    if not _is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def check_fraction(name: str, value, *, low_open: bool = False, high_open: bool = True) -> float:
    """``value`` as float if it lies in the interval from 0 to 1, else ValueError naming ``name``.

    ``low_open``/``high_open`` exclude 0/1: the default interval is [0, 1) (a dropout rate);
    ``low_open=True`` gives (0, 1) (a masking probability).
    """
    low, high = ("(" if low_open else "["), (")" if high_open else "]")
    ok = _is_real(value) and math.isfinite(value)
    if ok:
        ok = (value > 0 if low_open else value >= 0) and (value < 1 if high_open else value <= 1)
    if not ok:
        raise ValueError(f"{name} must be a number in {low}0, 1{high}, got {value!r}")
    return float(value)


def check_count_range(name: str, value) -> tuple[int, int]:
    """``value`` as ``(low, high)`` if it is a pair of integers with ``1 <= low <= high``, else
    ValueError naming ``name`` (a session length, a number of actions per visit).

    >>> check_count_range("session_length", (4, 14))
    (4, 14)
    """
    try:
        low, high = value
    except (TypeError, ValueError):
        low = high = None
    if not (_is_int(low) and _is_int(high) and 1 <= low <= high):
        raise ValueError(f"{name} must be (low, high) with 1 <= low <= high, got {value!r}")
    return int(low), int(high)


def check_choice(name: str, value, choices: Iterable):
    """``value`` if it is one of ``choices``, else ValueError naming ``name`` and the choices."""
    choices = tuple(choices)
    if isinstance(value, (list, dict, set)) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_layers(name: str, layers) -> tuple[int, ...]:
    """A tuple of positive layer widths (possibly empty), else ValueError naming ``name``."""
    if _is_int(layers) or isinstance(layers, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of positive integers, got {layers!r}")
    try:
        widths = tuple(layers)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive integers, got {layers!r}") from None
    return tuple(check_positive_int(f"every width in {name}", width) for width in widths)


def check_optional(check, name: str, value):
    """None stays None; anything else goes through ``check(name, value)``.

    >>> check_optional(check_positive_int, "patience", None) is None
    True
    """
    return None if value is None else check(name, value)


NEUMF_MODES = ("neumf", "gmf", "mlp")


def check_neumf_config(mode, mlp_layers) -> tuple[int, ...]:
    """Check a NeuMF variant (PyTorch or Keras twin); return the MLP widths as a tuple.

    ``mode`` is one of :data:`NEUMF_MODES`; when the MLP tower is used, ``mlp_layers`` needs at
    least one width and an even first width (the user and item halves of the input).
    """
    check_choice("mode", mode, NEUMF_MODES)
    layers = check_layers("mlp_layers", mlp_layers)
    if mode != "gmf":
        if not layers:
            raise ValueError("mlp_layers must have at least one width when the MLP tower is used")
        if layers[0] % 2:
            raise ValueError(f"mlp_layers[0] must be even (user and item halves), got {layers[0]}")
    return layers


def check_item_sequences(sequences, *, num_items: int | None = None, name: str = "sequences") -> list[np.ndarray]:
    """A list of int64 arrays from a list (or a mapping, by its values) of item-index sequences,
    else ValueError naming ``name`` (and the row) when a sequence is not flat, holds non-integers,
    negative indices or, with ``num_items``, an index >= num_items."""
    if isinstance(sequences, Mapping):
        sequences = list(sequences.values())
    if isinstance(sequences, (str, bytes)) or (
        not isinstance(sequences, (Sequence, np.ndarray)) and type(sequences).__name__ != "Series"
    ):
        raise ValueError(f"{name} must be a list of item-index sequences, got {type(sequences).__name__}")
    result = []
    for row, seq in enumerate(sequences):
        values = np.asarray(seq)
        if values.ndim != 1:
            raise ValueError(f"{name}[{row}] must be a flat sequence of item indices, got shape {values.shape}")
        if values.size == 0:
            values = values.astype(np.int64)
        elif not np.issubdtype(values.dtype, np.integer):
            if not np.issubdtype(values.dtype, np.floating) or not np.all(values == np.round(values)):
                raise ValueError(f"{name}[{row}] must hold integer item indices, got {values[:5].tolist()}")
        values = values.astype(np.int64)
        if values.size and values.min() < 0:
            raise ValueError(f"{name}[{row}] holds a negative item index {values.min()}")
        if num_items is not None and values.size and values.max() >= num_items:
            raise ValueError(f"{name}[{row}] holds item index {values.max()}, outside [0, {num_items})")
        result.append(values)
    return result


def check_targets(targets, num_rows: int, num_items: int) -> np.ndarray:
    """One target item per row as an int64 array of shape (num_rows,), each in [0, num_items),
    else ValueError naming ``targets``."""
    targets = np.asarray(targets)
    if targets.ndim != 1 or targets.size != num_rows:
        raise ValueError(
            f"targets must be a 1-D array with one item per row of scores ({num_rows}), got shape {targets.shape}"
        )
    if not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(f"targets must be integer item indices, got dtype {targets.dtype}")
    if targets.min() < 0 or targets.max() >= num_items:
        raise ValueError(f"targets must lie in [0, {num_items}), got min {targets.min()} max {targets.max()}")
    return targets.astype(np.int64)


def require_columns(frame, columns: Iterable[str]) -> None:
    """TypeError unless ``frame`` is a pandas DataFrame; ValueError naming the ``columns`` it lacks."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {missing}; the frame has {list(frame.columns)}")
