"""recsys_helpers.worlds.shop: the shop world follows its story (catalogue, funnel, repurchases, drift).

The contract all worlds keep (seeding, config checks) is in tests/test_worlds.py."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.data import EVENT_TYPES
from recsys_helpers.worlds.shop import (
    EPOCH,
    ShopConfig,
    next_view_probabilities,
    simulate_shop,
    true_affinity,
)

SMALL = dict(num_users=80, num_categories=5, num_consumable=2, items_per_brand=4, sessions_per_user=6,
             num_days=30)


@pytest.fixture(scope="module")
def world():
    return simulate_shop(**SMALL, seed=3)


def test_catalogue(world):
    items = world.items
    assert len(items) == 5 * 3 * 4 == world.num_items
    assert items.groupby("brand_id")["category_id"].nunique().eq(1).all()
    assert (items["price"] > 0).all()
    assert items["consumable"].tolist() == (items["category_id"] < 2).tolist()
    levels = items.groupby("category_id")["price_level"]
    assert np.allclose(levels.mean(), 0, atol=1e-9) and np.allclose(levels.std(), 1)


def test_events_follow_the_funnel(world):
    events = world.events
    assert set(events["event"]) == set(EVENT_TYPES)
    assert events.groupby("user_id")["session_id"].nunique().eq(6).all()
    assert events["timestamp"].min() >= EPOCH
    assert events.groupby("user_id")["timestamp"].apply(lambda t: t.is_monotonic_increasing).all()
    views = events[events["event"] == "view"].set_index(["session_id", "position"])["item_id"]
    for kind in ("addtocart", "transaction"):
        rows = events[events["event"] == kind]
        # every cart / transaction follows a view of the same item at the same position
        assert (views.loc[list(zip(rows["session_id"], rows["position"]))].to_numpy() == rows["item_id"]).all()
    carts = events[events["event"] == "addtocart"].set_index(["session_id", "position"]).index
    buys = events[events["event"] == "transaction"]
    assert set(zip(buys["session_id"], buys["position"])) <= set(carts)
    assert buys["transaction_id"].is_unique and (buys["transaction_id"] >= 0).all()
    assert (events.loc[events["event"] != "transaction", "transaction_id"] == -1).all()
    lengths = events[events["event"] == "view"].groupby("session_id").size()
    assert lengths.between(*ShopConfig().session_length).all()


def test_conversion_rates_move_with_their_knobs():
    def rates(**knobs):
        events = simulate_shop(**SMALL, seed=5, **knobs).events
        counts = events["event"].value_counts()
        return counts["addtocart"] / counts["view"], counts["transaction"] / counts["addtocart"]

    base_cart, base_buy = rates()
    assert 0.02 < base_cart < 0.15 and 0.2 < base_buy < 0.5
    assert rates(cart_bias=0.0)[0] > base_cart
    assert rates(purchase_prob=0.9)[1] > 0.8


def test_repurchase_visits_are_due_consumables(world):
    events = world.events
    visits = events[events["repurchase_visit"] & (events["event"] == "view")]
    assert len(visits) > 0 and (visits["position"] == 0).all()
    assert world.items["consumable"].to_numpy()[visits["item_id"]].all()
    buys = events[events["event"] == "transaction"]
    for row in visits.itertuples():
        before = buys[(buys["user_id"] == row.user_id) & (buys["item_id"] == row.item_id) & (buys["day"] < row.day)]
        assert len(before) and row.day - before["day"].max() >= ShopConfig().repurchase_days
    none = simulate_shop(**SMALL, seed=3, repeat_prob=0.0).events
    assert not none["repurchase_visit"].any()


def test_category_following_and_oracle(world):
    views = world.events[world.events["event"] == "view"]
    category = world.items["category_id"].to_numpy()
    same_session = views["session_id"].to_numpy()[1:] == views["session_id"].to_numpy()[:-1]
    same_cat = category[views["item_id"].to_numpy()[1:]] == category[views["item_id"].to_numpy()[:-1]]
    assert same_cat[same_session].mean() > 0.6  # same_category_prob plus chance
    probs = next_view_probabilities(world, [0, 1, 2], [0, 10, 29], [-1, 5, 40])
    assert probs.shape == (3, world.num_items) and np.allclose(probs.sum(axis=1), 1)
    assert probs[1, 5] < probs[1].max() and probs[2, 40] < probs[2].max()
    siblings = (category == category[5]) & (np.arange(world.num_items) != 5)
    assert probs[1, siblings].sum() >= ShopConfig().same_category_prob
    explore = next_view_probabilities(world, [0], [0], [-1])[0]
    assert np.allclose(np.log(explore) - np.log(explore).mean(),
                       true_affinity(world, 0, users=[0])[0] - true_affinity(world, 0, users=[0])[0].mean())
    with pytest.raises(ValueError):
        next_view_probabilities(world, [0, 1], [0], [-1])


def test_drift_and_views_follow_affinity(world):
    assert np.allclose(true_affinity(world, 0), world.affinity_start)
    assert np.allclose(true_affinity(world), 0.5 * (world.affinity_start + world.affinity_end))
    still = simulate_shop(**SMALL, seed=3, drift=0.0)
    assert np.allclose(true_affinity(still), still.affinity_start)
    views = world.events[world.events["event"] == "view"]
    viewed = true_affinity(world, 0)[views["user_id"], views["item_id"]].mean()
    assert viewed > world.affinity_start.mean() + 1
