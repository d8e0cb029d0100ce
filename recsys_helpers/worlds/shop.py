"""A seeded online shop with a known ground truth, for the e-commerce case study.

:func:`simulate_shop` builds a small e-commerce site: categories, brands and priced products, and
shoppers who browse in sessions (view → add to cart → purchase), follow a category from one product
to the next, come back for consumables when they run out, and slowly change what they like.
Because every probability is known, a chapter can measure how much of the planted preference its
models recover (:func:`true_affinity`) and how well the best possible next-view model would do
(:func:`next_view_probabilities`, the oracle).

The generative story, in the order the code follows it (every knob is a field of
:class:`ShopConfig`):

1. **Catalogue.** ``num_categories`` categories; the first ``num_consumable`` are consumables
   (coffee, shampoo, ...) that run out after about ``repurchase_days`` days. Each category has a
   typical log-price drawn uniformly from ``log_price_range``; each category has
   ``brands_per_category`` brands with a price premium ~ Normal(0, 0.3) in log-price, and each brand
   ``items_per_brand`` products with a quality ~ Normal(0, ``quality_sd``) and their own small
   price spread (Normal(0, 0.2)). An item's *price level* is its log-price standardized within its
   category (negative = cheap for its kind).
2. **Shoppers.** A taste over categories ``theta`` ~ Dirichlet(``taste_concentration``), a liking of
   each brand ~ Normal(0, ``brand_taste_sd``) and a preferred price level ~ Normal(0, 1). The
   planted affinity of user u for item i is ``log(theta[u, category(i)] + 0.01) +
   brand_liking[u, brand(i)] + quality[i] - price_sensitivity / 2 * (level[i] -
   preferred_level[u]) ** 2``. Category tastes drift: a second taste is drawn and on day d the
   affinity is ``(1 - w) * start + w * end`` with ``w = drift * d / (num_days - 1)``.
3. **Sessions.** Each user has ``sessions_per_user`` sessions in distinct hours (8..23) of the
   ``num_days`` days, drawn uniformly without replacement, each with a number of product views drawn
   uniformly from ``session_length``.
4. **Views.** The first view of a session is a **repurchase visit** with probability
   ``repeat_prob`` when the user has a consumable *due* (bought at least ``repurchase_days`` days
   before and not bought since): the most overdue one. Otherwise, and for every later view, the
   next product is drawn from a mixture: with probability ``same_category_prob`` (from the second
   view on) a softmax of affinity over the *other* products of the previous product's category
   (shoppers compare similar items), else a softmax of affinity over the whole catalogue.
5. **Funnel.** A viewed product is added to the cart with probability
   ``sigmoid(cart_bias + cart_slope * affinity)`` (``repeat_cart_prob`` on a repurchase visit), and a
   carted product is bought with probability ``purchase_prob``. The defaults give a view → cart rate
   of about 5% and a cart → purchase rate of about 35%: illustrative values of the order seen in
   public logs (RetailRocket's log has 2,664,312 views, 69,332 cart events and 22,457 transactions:
   carts are 2.6% as many as views, transactions 32% as many as carts; the Baymard Institute's
   collection of checkout studies puts cart abandonment near 70%). Change them to explore.

Everything is deterministic given ``seed``. The log has the columns and event types of
RetailRocket's public log, which :func:`recsys_helpers.data.load_retailrocket_events` reads.

Introduced in chapter 10 (E-commerce recommendation).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from recsys_helpers.data.retailrocket import EVENT_TYPES
from recsys_helpers.worlds.core import (
    World,
    affinity_on_day,
    affinity_per_row,
    check_fields,
    softmax_rows,
)

__all__ = [
    "ShopConfig",
    "ShopWorld",
    "simulate_shop",
    "true_affinity",
    "next_view_probabilities",
    "EPOCH",
]

#: Unix time of day 0 of every simulated log (2015-05-03 00:00 UTC, when RetailRocket's log starts).
EPOCH = 1_430_611_200

#: Names of the categories, in order; the first ``num_consumable`` are consumables.
CATEGORY_NAMES = (
    "coffee", "shampoo", "vitamins", "pet food", "running shoes", "headphones", "backpacks",
    "desk lamps", "cookware", "board games", "jackets", "phone cases", "tea", "skin care",
    "notebooks", "water bottles",
)


@dataclass(frozen=True)
class ShopConfig:
    """Knobs of :func:`simulate_shop`; see the module docstring for the story they drive."""

    num_users: int = 500
    num_categories: int = 10
    num_consumable: int = 3
    brands_per_category: int = 3
    items_per_brand: int = 10
    num_days: int = 60
    sessions_per_user: int = 10
    session_length: tuple[int, int] = (2, 10)
    log_price_range: tuple[float, float] = (1.5, 5.0)
    taste_concentration: float = 0.3
    brand_taste_sd: float = 0.7
    quality_sd: float = 0.5
    price_sensitivity: float = 1.0
    same_category_prob: float = 0.6
    repeat_prob: float = 0.7
    repurchase_days: float = 12.0
    cart_bias: float = -2.0
    cart_slope: float = 0.8
    repeat_cart_prob: float = 0.6
    purchase_prob: float = 0.35
    drift: float = 0.5
    seed: int = 0

    def __post_init__(self):
        check_fields(
            self,
            positive_ints=("num_users", "num_categories", "brands_per_category", "items_per_brand", "num_days",
                           "sessions_per_user"),
            count_ranges=("session_length",),
            probabilities=("same_category_prob", "repeat_prob", "repeat_cart_prob", "purchase_prob", "drift"),
            positive=("taste_concentration", "repurchase_days"),
        )
        if not 0 <= self.num_consumable <= self.num_categories:
            raise ValueError(f"num_consumable must lie in [0, num_categories], got {self.num_consumable!r}")
        if self.num_categories > len(CATEGORY_NAMES):
            raise ValueError(f"num_categories must be at most {len(CATEGORY_NAMES)}, got {self.num_categories!r}")


@dataclass
class ShopWorld(World):
    """A simulated shop: catalogue, shoppers' planted tastes, and the event log.

    Attributes
    ----------
    config : ShopConfig
    items : DataFrame, one row per item in index order
        ``item_id`` (0..num_items-1), ``category_id``, ``category``, ``brand_id`` (global),
        ``brand``, ``price`` (currency units), ``price_level`` (standardized within the category),
        ``consumable`` (bool), ``quality``, ``title`` (e.g. "brand 4 coffee, 12.50").
    events : DataFrame, one row per event, sorted by user then time
        ``user_id``, ``session_id`` (global, increasing in time per user), ``position`` (0-based
        view number in the session), ``day``, ``hour``, ``timestamp`` (Unix seconds), ``item_id``,
        ``event`` (one of :data:`EVENT_TYPES`), ``transaction_id`` (-1 unless a transaction),
        ``repurchase_visit`` (bool: the view came from a due consumable).
    affinity_start, affinity_end : ndarray (num_users, num_items)
        Planted affinities on day 0 and at full drift (see :func:`true_affinity`).
    """

    config: ShopConfig
    items: pd.DataFrame
    events: pd.DataFrame
    affinity_start: np.ndarray
    affinity_end: np.ndarray

    @property
    def num_items(self) -> int:
        return len(self.items)


def true_affinity(world: ShopWorld, day: float | None = None, *, users=None) -> np.ndarray:
    """Planted affinity of users for every item on ``day`` (default: the last day).

    Parameters
    ----------
    world : ShopWorld
    day : float, optional
        Day in ``0..num_days-1``; category tastes drift linearly with it.
    users : array of int, optional
        Rows to return (default: all users).

    Returns
    -------
    ndarray of float64, shape (len(users), num_items)
        Higher = liked more, on a log scale: a difference of 1 multiplies the odds of a view drawn
        from the catalogue by e, and the odds of a cart by ``exp(cart_slope)``.

    Introduced in chapter 10 (E-commerce recommendation).
    """
    return affinity_on_day(world, day, users=users)


def _view_mixture(affinity: np.ndarray, category: np.ndarray, previous: np.ndarray, same_prob: float) -> np.ndarray:
    """Next-view distribution given the affinity rows and the previous item (-1: none)."""
    explore = softmax_rows(affinity)
    has_previous = previous >= 0
    if not has_previous.any():
        return explore
    rows = np.flatnonzero(has_previous)
    mask = category[None, :] == category[previous[rows]][:, None]
    mask[np.arange(len(rows)), previous[rows]] = False
    restricted = explore[rows] * mask
    total = restricted.sum(axis=1, keepdims=True)
    same = np.divide(restricted, total, out=np.zeros_like(restricted), where=total > 0)
    weight = np.where(total[:, 0] > 0, same_prob, 0.0)[:, None]
    out = explore.copy()
    out[rows] = weight * same + (1 - weight) * explore[rows]
    return out


def next_view_probabilities(world: ShopWorld, users, days, previous_items) -> np.ndarray:
    """The simulator's distribution of the next product viewed in a session: the oracle.

    Exact for every view after the first of a session (the first may be a repurchase visit, which
    depends on the whole purchase history).

    Parameters
    ----------
    world : ShopWorld
    users, days : arrays of shape (n,)
        Shopper index and day (0..num_days-1) of each next view.
    previous_items : array of int, shape (n,)
        The product viewed just before in the same session (-1 for none).

    Returns
    -------
    ndarray of float64, shape (n, num_items)
        Each row sums to 1.

    Introduced in chapter 10 (E-commerce recommendation).
    """
    users = np.asarray(users, dtype=np.int64)
    days = np.asarray(days, dtype=np.float64)
    previous = np.asarray(previous_items, dtype=np.int64)
    if not users.shape == days.shape == previous.shape:
        raise ValueError(f"users, days and previous_items differ in shape: {users.shape}, {days.shape}, "
                         f"{previous.shape}")
    affinity = affinity_per_row(world, users, days)
    category = world.items["category_id"].to_numpy()
    return _view_mixture(affinity, category, previous, world.config.same_category_prob)


def _catalogue(config: ShopConfig, rng: np.random.Generator) -> pd.DataFrame:
    num_brands = config.num_categories * config.brands_per_category
    brand_category = np.repeat(np.arange(config.num_categories), config.brands_per_category)
    item_brand = np.repeat(np.arange(num_brands), config.items_per_brand)
    item_category = brand_category[item_brand]
    category_price = rng.uniform(*config.log_price_range, config.num_categories)
    brand_premium = rng.normal(0.0, 0.3, num_brands)
    log_price = category_price[item_category] + brand_premium[item_brand]
    log_price = log_price + rng.normal(0.0, 0.2, len(item_brand))
    frame = pd.DataFrame({"category_id": item_category, "log_price": log_price})
    grouped = frame.groupby("category_id")["log_price"]
    level = (frame["log_price"] - grouped.transform("mean")) / grouped.transform("std").fillna(1.0)
    names = np.array(CATEGORY_NAMES[: config.num_categories])
    price = np.round(np.exp(log_price), 2)
    items = pd.DataFrame(
        {
            "item_id": np.arange(len(item_brand)),
            "category_id": item_category,
            "category": names[item_category],
            "brand_id": item_brand,
            "brand": [f"brand {b}" for b in item_brand],
            "price": price,
            "price_level": level.fillna(0.0).to_numpy(),
            "consumable": item_category < config.num_consumable,
            "quality": rng.normal(0.0, config.quality_sd, len(item_brand)),
        }
    )
    items["title"] = [f"{b} {c}, {p:.2f}" for b, c, p in zip(items["brand"], items["category"], price)]
    return items


def simulate_shop(config: ShopConfig | None = None, **overrides) -> ShopWorld:
    """Simulate a shop's catalogue and event log (see the module docstring).

    Parameters
    ----------
    config : ShopConfig, optional
        Default: ``ShopConfig()``.
    **overrides
        Fields of :class:`ShopConfig` to change, e.g. ``simulate_shop(num_users=50, seed=3)``.

    Returns
    -------
    ShopWorld
        Same config, same world: the log is a deterministic function of the config.

    Examples
    --------
    >>> world = simulate_shop(num_users=20, sessions_per_user=3, seed=1)
    >>> sorted(world.events["event"].unique())[:1]
    ['addtocart']
    >>> world.affinity_start.shape == (20, len(world.items))
    True

    Introduced in chapter 10 (E-commerce recommendation).
    """
    config = replace(config or ShopConfig(), **overrides)
    rng = np.random.default_rng(config.seed)
    items = _catalogue(config, rng)
    num_users, num_items = config.num_users, len(items)
    category = items["category_id"].to_numpy()
    brand = items["brand_id"].to_numpy()
    consumable = items["consumable"].to_numpy()
    # 2. shoppers
    concentration = np.full(config.num_categories, config.taste_concentration)
    theta_start = rng.dirichlet(concentration, size=num_users)
    theta_end = rng.dirichlet(concentration, size=num_users)
    brand_liking = rng.normal(0.0, config.brand_taste_sd, (num_users, brand.max() + 1))
    preferred_level = rng.normal(0.0, 1.0, num_users)
    price_fit = -0.5 * config.price_sensitivity * (
        items["price_level"].to_numpy()[None, :] - preferred_level[:, None]
    ) ** 2
    personal = brand_liking[:, brand] + items["quality"].to_numpy()[None, :] + price_fit
    affinity_start = np.log(theta_start[:, category] + 0.01) + personal
    affinity_end = np.log(theta_end[:, category] + 0.01) + personal
    world = ShopWorld(config, items, pd.DataFrame(), affinity_start, affinity_end)
    # 3. sessions
    num_sessions = config.sessions_per_user
    num_slots = config.num_days * 16  # distinct (day, hour) slots, hours 8..23
    if num_sessions > num_slots:
        raise ValueError(f"sessions_per_user={num_sessions} exceeds the {num_slots} hours of num_days")
    slots = np.sort(np.argsort(rng.random((num_users, num_slots)), axis=1)[:, :num_sessions], axis=1)
    session_day, session_hour = slots // 16, 8 + slots % 16
    low, high = config.session_length
    lengths = rng.integers(low, high + 1, (num_users, num_sessions))
    last_bought = np.full((num_users, num_items), -np.inf)
    records = []
    transaction = 0
    all_users = np.arange(num_users)
    for s in range(num_sessions):
        days = session_day[:, s]
        affinity = affinity_per_row(world, all_users, days)
        previous = np.full(num_users, -1)
        bought_now = []
        for position in range(high):
            rows = all_users[lengths[:, s] > position]
            if len(rows) == 0:
                break
            probs = _view_mixture(affinity[rows], category, previous[rows], config.same_category_prob)
            draws = rng.random(len(rows))[:, None]
            chosen = np.minimum((np.cumsum(probs, axis=1) < draws).sum(axis=1), num_items - 1)
            revisit = np.zeros(len(rows), dtype=bool)
            if position == 0:
                overdue = days[rows, None] - last_bought[rows]
                due = consumable[None, :] & (overdue >= config.repurchase_days) & np.isfinite(overdue)
                take = due.any(axis=1) & (rng.random(len(rows)) < config.repeat_prob)
                most_overdue = np.argmax(np.where(due, overdue, -np.inf), axis=1)
                chosen = np.where(take, most_overdue, chosen)
                revisit = take
            liking = affinity[rows, chosen]
            cart_p = 1 / (1 + np.exp(-(config.cart_bias + config.cart_slope * liking)))
            cart_p = np.where(revisit, config.repeat_cart_prob, cart_p)
            carted = rng.random(len(rows)) < cart_p
            bought = carted & (rng.random(len(rows)) < config.purchase_prob)
            ids = np.full(len(rows), -1)
            ids[bought] = transaction + np.arange(bought.sum())
            transaction += int(bought.sum())
            bought_now.append((rows[bought], chosen[bought]))
            for kind, flag in ((0, np.ones(len(rows), bool)), (1, carted), (2, bought)):
                records.append(np.column_stack([
                    rows[flag], np.full(flag.sum(), s), np.full(flag.sum(), position),
                    days[rows[flag]], session_hour[rows[flag], s], chosen[flag],
                    np.full(flag.sum(), kind), ids[flag] if kind == 2 else np.full(flag.sum(), -1),
                    revisit[flag],
                ]))
            previous[rows] = chosen
        for users_bought, items_bought in bought_now:
            last_bought[users_bought, items_bought] = days[users_bought]
    table = np.vstack(records)
    columns = ["user_id", "session", "position", "day", "hour", "item_id", "kind", "transaction_id",
               "repurchase_visit"]
    events = pd.DataFrame(table, columns=columns).astype("int64")
    events = events.sort_values(["user_id", "session", "position", "kind"], kind="stable").reset_index(drop=True)
    events["session_id"] = events["user_id"] * num_sessions + events["session"]
    events["timestamp"] = (EPOCH + events["day"] * 86_400 + events["hour"] * 3_600
                           + events["position"] * 60 + events["kind"] * 20)
    events["event"] = np.array(EVENT_TYPES)[events["kind"].to_numpy()]
    events["repurchase_visit"] = events["repurchase_visit"].astype(bool)
    world.events = events[["user_id", "session_id", "position", "day", "hour", "timestamp", "item_id", "event",
                           "transaction_id", "repurchase_visit"]]
    return world

