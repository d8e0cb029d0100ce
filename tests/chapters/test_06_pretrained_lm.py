"""Chapter 06: the cold-start and warm comparisons hold, and the KG check is reproduced."""

from __future__ import annotations

import pytest

from recsys_helpers.datasets import load_movielens_100k, load_movielens_100k_kg

pytestmark = pytest.mark.chapters
CHAPTER = "06_pretrained_lm"


@pytest.fixture(scope="module")
def fig(figures):
    return figures(CHAPTER)


def test_encoder_and_cache(fig):
    assert fig["06_dim"] == 384
    assert fig["06_cached_seconds"] < fig["06_embed_seconds"]


def test_warm_items_favour_collaborative_models(fig, figures):
    assert fig["06_warm_ease"] == pytest.approx(figures("04_embeddings_ncf")["04_ndcg_ease"])  # same protocol and model
    assert fig["06_warm_profile"] < fig["06_warm_tfidf"] < fig["06_warm_textknn"] < fig["06_warm_pop"] < fig["06_warm_ease"]
    assert fig["06_hybrid_warm"] >= fig["06_warm_ease"] - 0.005  # "adds little", and does not hurt
    assert 0 < fig["06_best_alpha"] < 1


def test_new_items_need_text(fig):
    assert fig["06_cold_ease"] == pytest.approx(fig["06_cold_random"], abs=1e-12)  # constant scores, random ties
    assert fig["06_cold_textknn"] > fig["06_cold_tfidf"] > fig["06_cold_random"]
    assert fig["06_hybrid_cold"] == pytest.approx(fig["06_cold_textknn"], abs=1e-3)
    liked = load_movielens_100k().ratings.query("rating >= 4")["item_id"].nunique()
    assert fig["06_cold_items"] == round(0.2 * liked)  # a fifth of the items anyone liked


def test_new_users_do_not(fig):
    assert fig["06_user_cold_pop_1"] > fig["06_user_cold_text_1"] and fig["06_user_cold_ease_1"] > fig["06_user_cold_text_1"]
    assert fig["06_user_cold_ease_20"] > fig["06_user_cold_text_20"]


def test_knowledge_graph_check(fig):
    assert abs(fig["06_kg_cold"] - fig["06_cold_random"]) < 0.01
    triples, links = load_movielens_100k_kg()
    entity = dict(zip(links["item_id"], links["entity"]))

    def actors(item):
        rows = triples[(triples["head"] == entity[item]) & (triples["relation"] == "film.film.actor")]
        return set(rows["tail"])

    assert fig["06_kg_starwars_empire"] == len(actors(50) & actors(172)) == 0
    assert fig["06_kg_items"] == len(links)
