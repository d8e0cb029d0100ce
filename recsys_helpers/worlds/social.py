"""A seeded social network with a known ground truth, for the social-media case study.

:func:`simulate_social` builds a small social platform: users with topic interests, a follow
graph in which like follows like (homophily), posts whose English text is generated from their
topic (so a sentence encoder has something real to read), and like / comment / share events that
depend on topic affinity, author ties and freshness. Because every probability is known, a chapter
can measure how much of the planted preference its models recover (:func:`true_utility`) and how
well the best possible model would do (the same utility ranks the feed; and
:func:`interaction_type_probabilities` is the oracle for the kind of interaction).

The generative story, in the order the code follows it (every knob is a field of
:class:`SocialConfig`):

1. **Users.** Each user has topic interests ``theta`` ~ Dirichlet(``topic_concentration``) over
   ``num_topics`` topics (a small concentration gives focused users), an activity level
   ~ LogNormal(0, ``activity_sd``) (how many posts they write), a *chattiness* and a *sharing
   habit* ~ Normal(0, ``type_habit_sd``) (their own leaning towards comments and shares).
2. **Follow graph.** Each user follows ``follows_per_user`` distinct others, drawn without
   replacement with weights ``exp(homophily * cos(theta_u, theta_v) + celebrity_v)``, celebrity
   ~ Normal(0, ``celebrity_sd``): similar users and a few celebrities gather followers.
3. **Posts.** User v writes Poisson(``posts_per_user * activity_v / mean activity``) posts at
   times uniform over ``num_days`` days. A post's topic is drawn from its author's ``theta``; its
   text fills a template with two or three words of that topic, each replaced by a word of another
   topic with probability ``off_topic_word_prob``. A post has a quality ~ Normal(0, ``quality_sd``).
4. **Visits and engagement.** Each user opens the app ``visits_per_user`` times, at times uniform
   over the days. The feed at a visit holds the posts published in the last ``feed_window_days``
   days by others, that the user has not engaged with yet. The user engages with k posts, k
   uniform on ``actions_per_visit``, drawn without replacement (Plackett-Luce) with probabilities
   proportional to ``exp(utility)``, where the planted **utility** of post p for user u at time t is

   ``topic_weight * log(theta[u, topic(p)] + 0.01) + tie_strength * follows(u, author(p))
   + quality[p] - log(2) * age_days(p, t) / half_life_days``

   (posts lose half their appeal every ``half_life_days``: freshness).
5. **Interaction type.** With probability ``type_persistence`` the user repeats the type of their
   previous interaction (habit); otherwise the type is drawn from a softmax over like (logit 0),
   comment (``comment_bias + comment_tie * follows + chattiness``) and share (``share_bias +
   share_affinity * relative topic interest + sharing habit``), where the relative topic interest
   is ``log(theta[u, topic] + 0.01)`` minus its mean over topics: people comment on friends and
   share what they care about.

Everything is deterministic given ``seed``. The real log it imitates, Higgs Twitter's, is read by
:func:`recsys_helpers.data.load_higgs_activity`.

Introduced in chapter 11 (Social media recommendation).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_helpers.worlds.core import World, check_fields, softmax_rows

__all__ = [
    "INTERACTION_TYPES",
    "TOPIC_WORDS",
    "SocialConfig",
    "SocialWorld",
    "simulate_social",
    "true_utility",
    "interaction_type_probabilities",
    "EPOCH",
]

#: Unix time of day 0 of every simulated log (2012-07-01 00:00 UTC, the week of the Higgs data).
EPOCH = 1_341_100_800

#: The simulator's interaction types, in the order of :func:`interaction_type_probabilities`.
INTERACTION_TYPES = ("like", "comment", "share")

#: Words of each topic; post texts are built from them.
TOPIC_WORDS = {
    "football": ["goal", "striker", "league", "penalty", "coach", "stadium", "transfer window",
                 "midfield", "derby", "goalkeeper"],
    "cooking": ["recipe", "sourdough", "pasta", "spices", "oven", "dumplings", "curry", "garlic",
                "dessert", "broth"],
    "programming": ["python", "compiler", "bug", "database", "API", "refactoring", "kubernetes",
                    "rust", "unit tests", "git"],
    "music": ["album", "guitar", "concert", "playlist", "drummer", "vinyl", "chorus", "festival",
              "synth", "lyrics"],
    "travel": ["flight", "hostel", "passport", "beach", "itinerary", "museum", "train ride",
               "backpack", "island", "visa"],
    "climate": ["emissions", "solar panels", "heatwave", "carbon tax", "wildfire", "glaciers",
                "wind farm", "recycling", "drought", "electric cars"],
    "movies": ["director", "sequel", "trailer", "screenplay", "box office", "cinema", "actor",
               "soundtrack", "premiere", "plot twist"],
    "fitness": ["marathon", "squats", "protein", "workout", "yoga", "treadmill", "stretching",
                "deadlift", "cycling", "rest day"],
    "finance": ["stocks", "inflation", "interest rates", "crypto", "budget", "dividends",
                "mortgage", "index fund", "savings", "earnings"],
    "gardening": ["tomatoes", "compost", "seedlings", "pruning", "roses", "soil", "greenhouse",
                  "mulch", "herbs", "watering"],
}

_TEMPLATES = [
    "Just tried {a} with {b} and it changed my whole week",
    "Hot take: {a} is underrated, and {b} proves it",
    "Anyone else following the {a} news? The {b} part surprised me",
    "Thread: what I learned about {a}, {b} and {c} this year",
    "Can't believe how good the {a} was today, especially the {b}",
    "Looking for tips on {a} and {b}, any recommendations?",
    "Big day for {a}: everyone is talking about {b}",
    "Weekend notes: {a}, {b} and a lot of {c}",
    "Unpopular opinion about {a}: the {b} matters more than the {c}",
    "Finally a good explainer on {a} and {b}",
]


@dataclass(frozen=True)
class SocialConfig:
    """Knobs of :func:`simulate_social`; see the module docstring for the story they drive."""

    num_users: int = 250
    num_topics: int = 8
    num_days: int = 14
    topic_concentration: float = 0.3
    activity_sd: float = 0.8
    follows_per_user: int = 15
    homophily: float = 4.0
    celebrity_sd: float = 1.0
    posts_per_user: float = 2.0
    off_topic_word_prob: float = 0.15
    quality_sd: float = 0.5
    visits_per_user: int = 20
    actions_per_visit: tuple[int, int] = (1, 3)
    feed_window_days: float = 3.0
    topic_weight: float = 1.0
    tie_strength: float = 1.5
    half_life_days: float = 1.0
    type_habit_sd: float = 0.7
    comment_bias: float = -1.5
    comment_tie: float = 1.5
    share_bias: float = -2.5
    share_affinity: float = 0.6
    type_persistence: float = 0.3
    seed: int = 0

    def __post_init__(self):
        check_fields(
            self,
            positive_ints=("num_users", "num_topics", "num_days", "visits_per_user"),
            count_ranges=("actions_per_visit",),
            probabilities=("off_topic_word_prob", "type_persistence"),
            positive=("topic_concentration", "half_life_days", "feed_window_days"),
            non_negative=("posts_per_user",),
        )
        if self.num_topics > len(TOPIC_WORDS):
            raise ValueError(f"num_topics must lie in [1, {len(TOPIC_WORDS)}], got {self.num_topics!r}")
        if not 0 <= self.follows_per_user < self.num_users:
            raise ValueError(f"follows_per_user must lie in [0, num_users - 1], got {self.follows_per_user!r}")


@dataclass
class SocialWorld(World):
    """A simulated social platform: users, follow graph, posts, and the engagement log.

    Attributes
    ----------
    config : SocialConfig
    users : DataFrame, one row per user in index order
        ``user_id``, ``activity``, ``chattiness``, ``sharing`` (the type habits of step 5).
    follows : DataFrame
        ``follower_id``, ``followee_id``: one row per edge.
    follow_matrix : csr_matrix of float64, shape (num_users, num_users)
        1 where the row user follows the column user.
    posts : DataFrame, one row per post in index order (sorted by creation time)
        ``post_id``, ``author_id``, ``topic_id``, ``topic``, ``created`` (Unix seconds), ``day``
        (float days since day 0), ``quality``, ``text``.
    events : DataFrame, one row per interaction, sorted by time
        ``user_id``, ``visit_id`` (global, increasing in time per user), ``post_id``,
        ``author_id``, ``topic_id``, ``type`` (like / comment / share), ``timestamp`` (Unix
        seconds), ``day`` (float), ``follows_author`` (bool), ``age_hours`` of the post.
    visits : DataFrame, one row per visit
        ``visit_id``, ``user_id``, ``timestamp``, ``day``, ``num_actions``.
    theta : ndarray (num_users, num_topics)
        Planted topic interests; rows sum to 1.
    """

    config: SocialConfig
    users: pd.DataFrame
    follows: pd.DataFrame
    follow_matrix: sp.csr_matrix
    posts: pd.DataFrame
    events: pd.DataFrame
    visits: pd.DataFrame
    theta: np.ndarray

    @property
    def num_posts(self) -> int:
        return len(self.posts)


def _post_text(rng: np.random.Generator, topic: int, num_topics: int, off_prob: float) -> str:
    names = list(TOPIC_WORDS)[:num_topics]
    template = _TEMPLATES[rng.integers(len(_TEMPLATES))]
    words = []
    for _ in range(3):
        source = topic
        if num_topics > 1 and rng.random() < off_prob:
            source = int(rng.choice([t for t in range(num_topics) if t != topic]))
        pool = [w for w in TOPIC_WORDS[names[source]] if w not in words]
        words.append(pool[rng.integers(len(pool))])
    return template.format(a=words[0], b=words[1], c=words[2])


def true_utility(world: SocialWorld, users, posts=None, *, at_time=None) -> np.ndarray:
    """Planted utility of posts for users (step 4 of the story), optionally with freshness.

    Parameters
    ----------
    world : SocialWorld
    users : array of int, shape (n,)
    posts : array of int, shape (m,), optional
        Default: every post.
    at_time : float or array of shape (n,), optional
        Unix seconds. When given, the freshness term ``-log(2) * age_days / half_life_days`` is
        included (negative ages, i.e. posts not yet published, get -inf); otherwise it is left out.

    Returns
    -------
    ndarray of float64, shape (n, m)
        Higher = likelier to be engaged with; a difference of 1 multiplies the odds by e.

    Introduced in chapter 11 (Social media recommendation).
    """
    config = world.config
    users = np.asarray(users, dtype=np.int64)
    posts = np.arange(world.num_posts) if posts is None else np.asarray(posts, dtype=np.int64)
    topic = world.posts["topic_id"].to_numpy()[posts]
    author = world.posts["author_id"].to_numpy()[posts]
    utility = config.topic_weight * np.log(world.theta[users][:, topic] + 0.01)
    ties = world.follow_matrix[users][:, author].toarray()
    utility = utility + config.tie_strength * ties + world.posts["quality"].to_numpy()[posts][None, :]
    if at_time is not None:
        at_time = np.broadcast_to(np.asarray(at_time, dtype=np.float64), (len(users),))
        age_days = (at_time[:, None] - world.posts["created"].to_numpy()[posts][None, :]) / 86_400
        fresh = -np.log(2) * age_days / config.half_life_days
        utility = np.where(age_days >= 0, utility + fresh, -np.inf)
    return utility


def _type_logits(world: SocialWorld, users: np.ndarray, posts: np.ndarray) -> np.ndarray:
    config = world.config
    topic = world.posts["topic_id"].to_numpy()[posts]
    author = world.posts["author_id"].to_numpy()[posts]
    log_theta = np.log(world.theta + 0.01)
    relative = log_theta[users, topic] - log_theta[users].mean(axis=1)
    ties = np.asarray(world.follow_matrix[users, author]).ravel()
    chat = world.users["chattiness"].to_numpy()[users]
    share = world.users["sharing"].to_numpy()[users]
    return np.column_stack([
        np.zeros(len(users)),
        config.comment_bias + config.comment_tie * ties + chat,
        config.share_bias + config.share_affinity * relative + share,
    ])


def interaction_type_probabilities(world: SocialWorld, users, posts, previous_types) -> np.ndarray:
    """The simulator's own distribution of the interaction type: the oracle of case 2.

    Parameters
    ----------
    world : SocialWorld
    users, posts : arrays of int, shape (n,)
        Who interacts with which post.
    previous_types : array of int, shape (n,)
        Index into :data:`INTERACTION_TYPES` of the user's previous interaction, or -1 if none.

    Returns
    -------
    ndarray of float64, shape (n, 3)
        Probabilities of like, comment, share; rows sum to 1.

    Introduced in chapter 11 (Social media recommendation).
    """
    users = np.asarray(users, dtype=np.int64)
    posts = np.asarray(posts, dtype=np.int64)
    previous_types = np.asarray(previous_types, dtype=np.int64)
    if not users.shape == posts.shape == previous_types.shape:
        raise ValueError(f"users, posts and previous_types differ in shape: {users.shape}, {posts.shape}, "
                         f"{previous_types.shape}")
    probs = softmax_rows(_type_logits(world, users, posts))
    has_previous = previous_types >= 0
    habit = np.zeros_like(probs)
    habit[np.flatnonzero(has_previous), previous_types[has_previous]] = 1.0
    persistence = world.config.type_persistence * has_previous[:, None]
    return persistence * habit + (1 - persistence) * probs


def simulate_social(config: SocialConfig | None = None, **overrides) -> SocialWorld:
    """Simulate a social platform's users, follow graph, posts and engagement log.

    Parameters
    ----------
    config : SocialConfig, optional
        Default: ``SocialConfig()``.
    **overrides
        Fields of :class:`SocialConfig` to change, e.g. ``simulate_social(num_users=50, seed=3)``.

    Returns
    -------
    SocialWorld
        Same config, same world: the log is a deterministic function of the config.

    Examples
    --------
    >>> world = simulate_social(num_users=30, follows_per_user=5, visits_per_user=4, seed=1)
    >>> int(world.follow_matrix.sum()) == 30 * 5
    True
    >>> sorted(world.events["type"].unique()) <= ["comment", "like", "share"]
    True

    Introduced in chapter 11 (Social media recommendation).
    """
    config = replace(config or SocialConfig(), **overrides)
    rng = np.random.default_rng(config.seed)
    n, num_topics = config.num_users, config.num_topics
    seconds = config.num_days * 86_400
    # 1. users
    theta = rng.dirichlet(np.full(num_topics, config.topic_concentration), size=n)
    activity = rng.lognormal(0.0, config.activity_sd, n)
    chattiness = rng.normal(0.0, config.type_habit_sd, n)
    sharing = rng.normal(0.0, config.type_habit_sd, n)
    users = pd.DataFrame({"user_id": np.arange(n), "activity": activity,
                          "chattiness": chattiness, "sharing": sharing})
    # 2. follow graph (Gumbel top-k: weighted sampling without replacement)
    unit = theta / np.linalg.norm(theta, axis=1, keepdims=True)
    celebrity = rng.normal(0.0, config.celebrity_sd, n)
    keys = config.homophily * (unit @ unit.T) + celebrity[None, :] + rng.gumbel(size=(n, n))
    np.fill_diagonal(keys, -np.inf)
    k = config.follows_per_user
    followees = np.argpartition(-keys, k - 1, axis=1)[:, :k] if k else np.zeros((n, 0), dtype=int)
    follower = np.repeat(np.arange(n), k)
    followee = np.sort(followees, axis=1).ravel()
    follows = pd.DataFrame({"follower_id": follower, "followee_id": followee})
    follow_matrix = sp.csr_matrix((np.ones(len(follower)), (follower, followee)), shape=(n, n))
    # 3. posts
    rates = config.posts_per_user * activity / activity.mean()
    counts = rng.poisson(rates)
    author = np.repeat(np.arange(n), counts)
    created = rng.uniform(0, seconds, len(author))
    order = np.argsort(created, kind="stable")
    author, created = author[order], created[order]
    topic = np.array([rng.choice(num_topics, p=theta[a]) for a in author], dtype=np.int64)
    texts = [_post_text(rng, int(t), num_topics, config.off_topic_word_prob) for t in topic]
    names = np.array(list(TOPIC_WORDS)[:num_topics])
    posts = pd.DataFrame({
        "post_id": np.arange(len(author)), "author_id": author, "topic_id": topic,
        "topic": names[topic] if len(topic) else np.array([], dtype=str),
        "created": EPOCH + np.floor(created).astype(np.int64), "day": np.floor(created) / 86_400,
        "quality": rng.normal(0.0, config.quality_sd, len(author)), "text": texts,
    })
    world = SocialWorld(config, users, follows, follow_matrix, posts, pd.DataFrame(), pd.DataFrame(), theta)
    # 4-5. visits, engagement and interaction types, one user at a time
    low, high = config.actions_per_visit
    window = config.feed_window_days * 86_400
    post_created = posts["created"].to_numpy().astype(np.float64)
    records, visit_rows = [], []
    visit_id = 0
    for user in range(n):
        times = np.sort(EPOCH + np.floor(rng.uniform(0, seconds, config.visits_per_user)))
        base = true_utility(world, [user])[0]
        engaged = np.zeros(len(posts), dtype=bool)
        engaged[author == user] = True  # never one's own posts
        previous_type = -1
        for when in times:
            age = when - post_created
            available = (age >= 0) & (age <= window) & ~engaged
            num_actions = min(int(rng.integers(low, high + 1)), int(available.sum()))
            visit_rows.append((visit_id, user, when, num_actions))
            if num_actions:
                utility = base - np.log(2) * age / 86_400 / config.half_life_days
                keys = np.where(available, utility + rng.gumbel(size=len(posts)), -np.inf)
                chosen = np.argsort(-keys, kind="stable")[:num_actions]
                engaged[chosen] = True
                probs = interaction_type_probabilities(
                    world, np.full(num_actions, user), chosen, np.full(num_actions, -1))
                for post, prob in zip(chosen, probs):
                    if previous_type >= 0 and rng.random() < config.type_persistence:
                        kind = previous_type
                    else:
                        kind = int(rng.choice(3, p=prob))
                    records.append((user, visit_id, int(post), kind, when))
                    previous_type = kind
            visit_id += 1
    table = np.array(records, dtype=np.float64).reshape(-1, 5)
    events = pd.DataFrame({
        "user_id": table[:, 0].astype(np.int64), "visit_id": table[:, 1].astype(np.int64),
        "post_id": table[:, 2].astype(np.int64),
        "type": np.array(INTERACTION_TYPES)[table[:, 3].astype(np.int64)],
        "timestamp": table[:, 4].astype(np.int64),
    })
    post_ids = events["post_id"].to_numpy()
    events["author_id"] = author[post_ids]
    events["topic_id"] = topic[post_ids]
    events["day"] = (events["timestamp"] - EPOCH) / 86_400
    events["follows_author"] = np.asarray(follow_matrix[events["user_id"], events["author_id"]]).ravel() > 0
    events["age_hours"] = (events["timestamp"] - post_created[post_ids]) / 3_600
    events = events.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    world.events = events[["user_id", "visit_id", "post_id", "author_id", "topic_id", "type",
                           "timestamp", "day", "follows_author", "age_hours"]]
    visits = pd.DataFrame(visit_rows, columns=["visit_id", "user_id", "timestamp", "num_actions"])
    visits = visits.astype({"visit_id": np.int64, "user_id": np.int64, "timestamp": np.int64,
                            "num_actions": np.int64})
    visits["day"] = (visits["timestamp"] - EPOCH) / 86_400
    world.visits = visits[["visit_id", "user_id", "timestamp", "day", "num_actions"]]
    return world

