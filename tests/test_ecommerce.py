"""recsys_helpers.ecommerce: the shop simulator is seeded and follows its story; the RetailRocket readers
parse the format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.ecommerce import (
    EPOCH,
    EVENT_TYPES,
    ShopConfig,
    config_table,
    load_retailrocket_categories,
    load_retailrocket_events,
    next_view_probabilities,
    simulate_shop,
    true_affinity,
)

SMALL = dict(num_users=80, num_categories=5, num_consumable=2, items_per_brand=4, sessions_per_user=6,
             num_days=30)


@pytest.fixture(scope="module")
def world():
    return simulate_shop(**SMALL, seed=3)


def test_same_seed_same_world_other_seed_other_world(world):
    pd.testing.assert_frame_equal(world.events, simulate_shop(**SMALL, seed=3).events)
    other = simulate_shop(**SMALL, seed=4)
    assert not world.events["item_id"].equals(other.events["item_id"])


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


def test_config_checks_and_table():
    with pytest.raises(ValueError):
        ShopConfig(num_users=0)
    with pytest.raises(ValueError):
        ShopConfig(purchase_prob=1.5)
    with pytest.raises(ValueError):
        ShopConfig(num_consumable=20)
    assert config_table(ShopConfig())["num_users"] == "500"


EVENTS_CSV = """timestamp,visitorid,event,itemid,transactionid
1433221332117,257597,view,355908,
1433224214164,992329,view,248676,
1433221999827,257597,addtocart,355908,
1433222000000,257597,transaction,355908,4000
1433221955914,257597,view,111016,
1433230000000,257597,view,111016,
1433223236124,992329,addtocart,248676,
"""


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(EVENTS_CSV, encoding="utf-8")
    return path


def test_retailrocket_reader(events_file):
    events, visitors, items = load_retailrocket_events(events_file)
    assert visitors.tolist() == [257597, 992329] and items.tolist() == [111016, 248676, 355908]
    assert list(events.columns) == ["user_id", "session_id", "position", "day", "hour", "timestamp", "item_id",
                                    "event", "transaction_id", "repurchase_visit"]
    first = events[events["user_id"] == 0]
    assert first["event"].tolist() == ["view", "view", "addtocart", "transaction", "view"]
    assert first["timestamp"].iloc[0] == 1433221332 and first["hour"].iloc[0] == 5
    # 257597: four events within 30 minutes, then one 2 h later -> two sessions
    assert first["session_id"].tolist() == [0, 0, 0, 0, 1]
    assert first["position"].tolist() == [0, 1, 1, 1, 0]
    assert first["transaction_id"].tolist() == [-1, -1, -1, 4000, -1]
    assert items[first["item_id"].iloc[1]] == 111016 and items[first["item_id"].iloc[0]] == 355908
    assert events["day"].min() == 0 and not events["repurchase_visit"].any()


def test_retailrocket_reader_options_and_errors(events_file, tmp_path):
    events, _, items = load_retailrocket_events(events_file, min_item_events=3)
    assert items.tolist() == [355908] and len(events) == 3  # the only item with 3 events
    assert len(load_retailrocket_events(events_file, max_rows=2)[0]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,visitorid,event,itemid,transactionid\n1,2,click,3,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="click"):
        load_retailrocket_events(bad)
    bad.write_text("time,visitor\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing"):
        load_retailrocket_events(bad)


def test_retailrocket_categories(tmp_path):
    part1, part2 = tmp_path / "item_properties_part1.csv", tmp_path / "item_properties_part2.csv"
    part1.write_text("timestamp,itemid,property,value\n1435460400000,355908,categoryid,1173\n"
                     "1435460400000,355908,available,1\n1435460400000,248676,categoryid,9\n", encoding="utf-8")
    part2.write_text("timestamp,itemid,property,value\n1439089200000,355908,categoryid,491\n"
                     "1431226800000,248676,790,n5424.000\n", encoding="utf-8")
    codes = load_retailrocket_categories([part1, part2], [111016, 248676, 355908])
    # latest categoryid of 355908 is 491; categories 9 < 491 get codes 0 and 1; 111016 has none
    assert codes.tolist() == [-1, 0, 1]
