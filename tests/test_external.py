"""The adapters that run cornac and implicit models on the course's matrices."""

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_helpers.external import FitResult, cornac_dataset, fit_cornac, fit_implicit

TRAIN = sp.csr_matrix(
    np.array(
        [
            [1, 1, 0, 0, 0],
            [1, 0, 1, 0, 0],
            [0, 1, 1, 0, 0],
            [1, 1, 1, 0, 0],
            [0, 0, 0, 0, 0],  # a user with no training item
        ],
        dtype=np.float64,
    )
)


def test_cornac_dataset_holds_every_positive_under_its_course_index():
    dataset = cornac_dataset(TRAIN)
    assert dataset.num_users == 4 and dataset.num_items == 3
    assert set(dataset.uid_map) == {"0", "1", "2", "3"}
    assert set(dataset.iid_map) == {"0", "1", "2"}


def test_fit_cornac_returns_course_order_scores_and_ranks_unknown_cells_last():
    import cornac

    result = fit_cornac(cornac.models.MostPop(), TRAIN)
    assert isinstance(result, FitResult) and result.fit_seconds >= 0
    scores = result.scores
    assert scores.shape == (5, 5) and scores.dtype == np.float64
    assert np.isfinite(scores).all()
    # popularity: items 0, 1, 2 were each chosen three times; items 3, 4 never (unknown to cornac)
    assert np.allclose(scores[0, :3], scores[0, 0])
    assert (scores[:, 3:] < scores[:4, :3].min()).all()
    assert (scores[4] < scores[:4, :3].min()).all()  # the unknown user scores lowest everywhere


def test_fit_cornac_ease_matches_the_course_ease():
    import cornac

    from recsys_helpers.models.ease import EASE

    ours = EASE(l2=1.0).fit(TRAIN).score()
    theirs = fit_cornac(cornac.models.EASE(lamb=1.0, posB=False, verbose=False), TRAIN).scores
    assert np.allclose(theirs[:4, :3], ours[:4, :3], atol=1e-5)


def test_fit_implicit_factor_and_neighbour_models():
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import CosineRecommender
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        als = fit_implicit(
            AlternatingLeastSquares(factors=2, iterations=2, num_threads=1, random_state=0),
            TRAIN,
        )
    assert als.scores.shape == (5, 5) and als.scores.dtype == np.float64
    knn = fit_implicit(CosineRecommender(K=5, num_threads=1), TRAIN).scores
    assert knn.shape == (5, 5)
    # user 0 chose items 0 and 1; item 2 shares users with both, items 3 and 4 with nobody
    assert knn[0, 2] > 0 and np.allclose(knn[:, 3:], 0) and np.allclose(knn[4], 0)


def test_fit_implicit_warns_nothing(recwarn):
    from implicit.nearest_neighbours import CosineRecommender

    fit_implicit(CosineRecommender(K=5, num_threads=1), TRAIN)
    assert not [w for w in recwarn if "CSR" in str(w.message)]


def test_empty_matrix_is_rejected():
    with pytest.raises(ValueError):
        fit_implicit(None, sp.csr_matrix((0, 3)))
