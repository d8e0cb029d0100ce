"""The contract every simulated world keeps (recsys_helpers.worlds): seeded, checked, displayable.

Each world's own story is tested in tests/test_world_<name>.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_helpers.worlds import config_table, music, shop, social
from recsys_helpers.worlds.core import World

# (module, simulate, config class, small overrides) per world
WORLDS = {
    "music": (music, music.simulate_music, music.MusicConfig,
              dict(num_users=30, num_artists=8, tracks_per_artist=3, sessions_per_user=3, num_days=10,
                   release_window_days=5)),
    "shop": (shop, shop.simulate_shop, shop.ShopConfig,
             dict(num_users=30, num_categories=4, items_per_brand=3, sessions_per_user=3, num_days=10)),
    "social": (social, social.simulate_social, social.SocialConfig,
               dict(num_users=30, follows_per_user=4, visits_per_user=4, num_days=5)),
}


def assert_same(a, b) -> None:
    """Two worlds hold equal tables and arrays, field by field."""
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        elif sp.issparse(x):
            assert (x != y).nnz == 0, field.name
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y, field.name


@pytest.fixture(scope="module", params=list(WORLDS))
def case(request):
    module, simulate, config_class, small = WORLDS[request.param]
    return module, simulate, config_class, small, simulate(**small, seed=3)


def test_same_seed_same_world_other_seed_other_world(case):
    _, simulate, _, small, world = case
    assert_same(world, simulate(**small, seed=3))
    other = simulate(**small, seed=4)
    assert not world.events.equals(other.events)


def test_config_and_overrides_give_the_same_world(case):
    _, simulate, config_class, small, world = case
    config = config_class(**small, seed=3)
    assert world.config == config and isinstance(world, World)
    assert_same(world, simulate(config))
    assert_same(world, simulate(config_class(**small), seed=3))
    assert world.num_users == small["num_users"]


def test_log_is_in_time_order_per_user_from_the_epoch(case):
    module, _, _, small, world = case
    events = world.events
    assert events["timestamp"].min() >= module.EPOCH
    assert events["user_id"].between(0, small["num_users"] - 1).all()
    assert events.groupby("user_id")["timestamp"].apply(lambda t: t.is_monotonic_increasing).all()


def test_config_table_shows_every_field(case):
    _, _, config_class, _, world = case
    table = config_table(world.config)
    assert list(table.index) == [f.name for f in dataclasses.fields(config_class)]
    assert table["seed"] == "3" and table["num_users"] == str(world.config.num_users)


BAD_CONFIGS = [
    # (world, field the message must name, bad settings)
    ("music", "num_users", dict(num_users=0)),
    ("music", "num_days", dict(num_days=1.5)),
    ("music", "sessions_per_user", dict(sessions_per_user=True)),
    ("music", "session_length", dict(session_length=(5, 2))),
    ("music", "repeat_prob", dict(repeat_prob=1.5)),
    ("music", "drift", dict(drift=-0.1)),
    ("music", "taste_concentration", dict(taste_concentration=0.0)),
    ("music", "release_window_days", dict(release_window_days=0)),
    ("music", "release_window_days", dict(release_window_days=60)),
    ("music", "same_artist_prob", dict(repeat_prob=0.7, same_artist_prob=0.5)),
    ("shop", "num_users", dict(num_users=0)),
    ("shop", "items_per_brand", dict(items_per_brand=2.5)),
    ("shop", "session_length", dict(session_length=(0, 3))),
    ("shop", "purchase_prob", dict(purchase_prob=1.5)),
    ("shop", "taste_concentration", dict(taste_concentration=-1.0)),
    ("shop", "repurchase_days", dict(repurchase_days=0.0)),
    ("shop", "num_consumable", dict(num_consumable=20)),
    ("shop", "num_categories", dict(num_categories=17)),
    ("social", "num_users", dict(num_users=0)),
    ("social", "visits_per_user", dict(visits_per_user=0)),
    ("social", "actions_per_visit", dict(actions_per_visit=(2, 1))),
    ("social", "type_persistence", dict(type_persistence=2.0)),
    ("social", "half_life_days", dict(half_life_days=0.0)),
    ("social", "posts_per_user", dict(posts_per_user=-1.0)),
    ("social", "num_topics", dict(num_topics=11)),
    ("social", "follows_per_user", dict(num_users=5, follows_per_user=5)),
]


@pytest.mark.parametrize(("world", "field", "bad"), BAD_CONFIGS, ids=[f"{w}-{f}" for w, f, _ in BAD_CONFIGS])
def test_config_rejects_bad_values_naming_the_field(world, field, bad):
    _, _, config_class, _ = WORLDS[world]
    with pytest.raises(ValueError, match=rf"\b{field}\b"):
        config_class(**bad)
