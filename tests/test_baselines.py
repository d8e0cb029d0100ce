"""Tests of the popularity, kNN and TF-IDF baselines and the shared Recommender interface."""

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_helpers.baselines import (
    ItemKNN,
    PopularityRecommender,
    TfidfContentRecommender,
    UserKNN,
    cosine_similarity_matrix,
)

# Two taste groups: users 0-2 like items 0-2, users 3-5 like items 3-5.
BLOCKS = sp.csr_matrix(np.kron(np.eye(2), np.ones((3, 3))))


def leave_one_out(matrix):
    """Hide one item per user, a different one for each user of a group, so every hidden item is
    still seen in training by the group's other users; return (train, hidden item per user)."""
    dense = matrix.toarray()
    hidden = np.array([3 * (user // 3) + user % 3 for user in range(len(dense))])
    dense[np.arange(len(dense)), hidden] = 0
    return sp.csr_matrix(dense), hidden


def test_popularity_scores_are_item_counts():
    train = sp.csr_matrix([[1, 1, 0], [1, 0, 0], [1, 0, 1], [0, 1, 0]])
    model = PopularityRecommender().fit(train)
    np.testing.assert_array_equal(model.score([0, 3]), [[3, 2, 1], [3, 2, 1]])
    assert model.recommend([1], k=2).tolist() == [[1, 2]]  # item 0 already seen
    assert model.recommend([1], k=2, exclude_seen=False).tolist() == [[0, 1]]


@pytest.mark.parametrize("model_class", [ItemKNN, UserKNN])
@pytest.mark.parametrize("similarity", ["cosine", "pearson"])
def test_knn_recovers_the_hidden_item_of_its_group(model_class, similarity):
    train, hidden = leave_one_out(BLOCKS)
    model = model_class(num_neighbors=3, similarity=similarity).fit(train)
    if similarity == "pearson":
        # constant binary ratings centre to zero: Pearson is undefined and every score is 0
        assert np.allclose(model.score(), 0)
        return
    assert model.recommend(k=1)[:, 0].tolist() == hidden.tolist()


def test_item_knn_score_is_the_weighted_sum_worked_by_hand():
    train = sp.csr_matrix([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    # item columns: a=(1,1), b=(0,1), c=(1,0); cos(a,b)=cos(a,c)=1/sqrt(2), cos(b,c)=0
    model = ItemKNN(num_neighbors=2).fit(train)
    s = 1 / np.sqrt(2)
    np.testing.assert_allclose(model.similarity_, [[0, s, s], [s, 0, 0], [s, 0, 0]])
    np.testing.assert_allclose(model.score([0]), [[s, s, s]])  # user 0 rated a and c


def test_pearson_differs_from_cosine_on_ratings():
    ratings = sp.csr_matrix([[5.0, 4.0, 1.0], [4.0, 5.0, 2.0], [1.0, 2.0, 5.0]])
    pearson = UserKNN(num_neighbors=3, similarity="pearson").fit(ratings).similarity_
    cosine = UserKNN(num_neighbors=3, similarity="cosine").fit(ratings).similarity_
    assert pearson[0, 2] < 0 < cosine[0, 2]  # opposite tastes: negative correlation, positive cosine
    centered = ratings.toarray() - ratings.toarray().mean(axis=1, keepdims=True)
    assert pearson[0, 1] == pytest.approx(np.corrcoef(centered[0], centered[1])[0, 1])


def test_neighbourhood_keeps_only_the_top_neighbours():
    rng = np.random.default_rng(0)
    similarity = cosine_similarity_matrix(rng.random((8, 5)), num_neighbors=3)
    assert ((similarity != 0).sum(axis=1) == 3).all()
    assert np.diag(similarity).tolist() == [0.0] * 8


def test_shrinkage_damps_similarity_built_on_little_overlap():
    vectors = sp.csr_matrix([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    plain = cosine_similarity_matrix(vectors)
    shrunk = cosine_similarity_matrix(vectors, shrink=2.0)
    assert shrunk[0, 1] == pytest.approx(plain[0, 1] * 2 / (2 + 2))


def test_tfidf_recommends_items_with_shared_words():
    texts = ["space war stars", "space stars saga", "romance paris", "paris love romance"]
    train = sp.csr_matrix([[1, 0, 0, 0], [0, 0, 1, 0]])
    model = TfidfContentRecommender(texts).fit(train)
    assert model.recommend(k=1)[:, 0].tolist() == [1, 3]
    with pytest.raises(ValueError, match="item_texts has 4 texts"):
        TfidfContentRecommender(texts).fit(sp.csr_matrix((2, 3)))


def test_knn_beats_popularity_on_planted_structure():
    from helpers import make_synthetic_interactions
    from recsys_helpers.evaluation import evaluate_full_ranking
    from recsys_helpers.preprocessing import encode_interactions, interaction_matrix
    from recsys_helpers.split import per_user_random_split

    data, _, _ = encode_interactions(make_synthetic_interactions(num_users=200, num_items=100, seed=1))
    train, test = per_user_random_split(data, test_fraction=0.3, seed=0)
    shape = (data["user_idx"].max() + 1, data["item_idx"].max() + 1)
    train_matrix = interaction_matrix(train, *shape)
    test_matrix = interaction_matrix(test, *shape)
    ndcg = {
        name: evaluate_full_ranking(model.fit(train_matrix).score(), train_matrix, test_matrix, k=10)["ndcg"]
        for name, model in {
            "pop": PopularityRecommender(), "item": ItemKNN(num_neighbors=20), "user": UserKNN(num_neighbors=20)
        }.items()
    }
    assert ndcg["item"] > ndcg["pop"] and ndcg["user"] > ndcg["pop"], ndcg


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (lambda: ItemKNN(similarity="jaccard"), ValueError, "similarity must be"),
        (lambda: PopularityRecommender().score(), RuntimeError, "not fitted"),
        (lambda: PopularityRecommender().fit(sp.csr_matrix([[-1.0]])), ValueError, "non-negative"),
        (lambda: PopularityRecommender().fit(sp.csr_matrix((2, 2))).score([5]), ValueError, "user indices"),
        (lambda: TfidfContentRecommender("one string"), ValueError, "sequence of strings"),
        (lambda: cosine_similarity_matrix(np.ones((3, 2)), num_neighbors=0), ValueError, "num_neighbors"),
    ],
)
def test_bad_input_is_named(action, error, message):
    with pytest.raises(error, match=message):
        action()
