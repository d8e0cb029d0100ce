"""recsys_helpers.data.movielens: MovieLens-100k from every supported source, its knowledge graph, file order."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from recsys_helpers.data import GENRES, load_movielens_100k, load_movielens_100k_kg, movielens

U_DATA = "1\t10\t5\t881250949\n2\t20\t3\t891717742\n1\t20\t4\t878887116\n"
U_ITEM = (
    "10|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "20|Unknown Film|||http://y|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
)
U_USER = "1|24|M|technician|85711\n2|53|F|other|01940\n"


@pytest.fixture
def grouplens_folder(tmp_path) -> Path:
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for name, text in {"u.data": U_DATA, "u.item": U_ITEM, "u.user": U_USER}.items():
        (folder / name).write_text(text, encoding="latin-1")
    return folder


@pytest.fixture
def archive(grouplens_folder, tmp_path) -> Path:
    path = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name in ("u.data", "u.item", "u.user"):
            zf.write(grouplens_folder / name, f"ml-100k/{name}")
    return path


def check_tiny(data):
    assert list(data.ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert all(data.ratings.dtypes == "int64")
    assert data.ratings["timestamp"].is_monotonic_increasing
    toy = data.items.set_index("item_id").loc[10]
    assert toy["title"] == "Toy Story" and toy["year"] == 1995
    assert toy["genres"] == ("Animation", "Children's", "Comedy")
    unknown = data.items.set_index("item_id").loc[20]
    assert unknown["title"] == "Unknown Film" and pd.isna(unknown["year"])
    assert str(data.items["year"].dtype) == "Int64"
    assert data.users.set_index("user_id").loc[2, "zip_code"] == "01940"  # leading zero kept


def test_reads_grouplens_folder_and_zip(grouplens_folder, archive):
    check_tiny(load_movielens_100k(grouplens_folder))
    check_tiny(load_movielens_100k(archive))
    check_tiny(load_movielens_100k(grouplens_folder.parent))  # the folder holding ml-100k/


def test_environment_variable_wins(grouplens_folder, monkeypatch):
    monkeypatch.setenv("RECSYS_ML100K_PATH", str(grouplens_folder))
    assert load_movielens_100k().source == str(grouplens_folder)


def test_bad_paths_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_movielens_100k(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="holds no MovieLens-100k"):
        load_movielens_100k(tmp_path)


def test_no_local_copy_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("RECSYS_ML100K_PATH", raising=False)
    monkeypatch.setattr(movielens, "recbole_copy", lambda: None)
    with pytest.raises(FileNotFoundError, match="RECSYS_ML100K_PATH"):
        load_movielens_100k()


def test_recbole_copy_is_the_full_dataset_and_matches_its_documented_shape(monkeypatch):
    monkeypatch.delenv("RECSYS_ML100K_PATH", raising=False)
    data = load_movielens_100k()
    assert "recbole" in data.source
    assert data.ratings.shape == (100_000, 4)
    assert data.items.shape == (1682, 4) and data.users.shape == (943, 5)
    assert data.ratings["user_id"].nunique() == 943 and data.ratings["item_id"].nunique() == 1682
    assert set(data.ratings["rating"].unique()) == {1, 2, 3, 4, 5}
    assert data.ratings.groupby("user_id").size().min() == 20  # every ML-100k user rated >= 20 films
    assert not data.ratings.duplicated(["user_id", "item_id"]).any()
    assert set().union(*data.items["genres"]) <= set(GENRES)
    assert data.items.set_index("item_id").loc[1, "title"] == "Toy Story"


def test_recbole_copy_agrees_with_the_grouplens_format(tmp_path, monkeypatch):
    """Write the RecBole copy back out in GroupLens format and read it again: same tables."""
    monkeypatch.delenv("RECSYS_ML100K_PATH", raising=False)
    data = load_movielens_100k()
    folder = tmp_path / "gl"
    folder.mkdir()
    data.ratings.to_csv(folder / "u.data", sep="\t", header=False, index=False)
    flags = pd.DataFrame([[int(g in row) for g in GENRES] for row in data.items["genres"]])
    titles = [f"{t} ({int(y)})" if pd.notna(y) else t for t, y in zip(data.items["title"], data.items["year"])]
    blanks = pd.DataFrame({"release": "", "video": "", "url": ""}, index=data.items.index)
    item_file = pd.concat([data.items[["item_id"]], pd.Series(titles, name="title"), blanks, flags], axis=1)
    item_file.to_csv(folder / "u.item", sep="|", header=False, index=False, encoding="latin-1")
    data.users.to_csv(folder / "u.user", sep="|", header=False, index=False)
    again = load_movielens_100k(folder)
    pd.testing.assert_frame_equal(again.ratings, data.ratings)
    pd.testing.assert_frame_equal(again.users, data.users)
    # one RecBole title keeps a year inside it ("... Great Giving (1995)"), which the GroupLens
    # reader takes for the release year; every other row must agree exactly
    quirk = data.items["title"].str.contains(r"\(\d{4}\)$")
    assert quirk.sum() == 1
    pd.testing.assert_frame_equal(again.items[~quirk], data.items[~quirk])


def test_knowledge_graph_from_local_atomic_files(tmp_path):
    (tmp_path / "ml-100k.kg").write_text(
        "head_id:token\trelation_id:token\ttail_id:token\nm.01\tfilm.film.directed_by\tm.09\n"
        "m.01\tfilm.film.genre\tm.07\n"
    )
    (tmp_path / "ml-100k.link").write_text("item_id:token\tentity_id:token\n10\tm.01\n")
    triples, links = load_movielens_100k_kg(tmp_path)
    assert list(triples.columns) == ["head", "relation", "tail"] and len(triples) == 2
    assert links.to_dict("records") == [{"item_id": 10, "entity": "m.01"}]
    with pytest.raises(FileNotFoundError, match="ml-100k.kg"):
        load_movielens_100k_kg(tmp_path / "missing")


def test_shipped_knowledge_graph_links_most_films():
    triples, links = load_movielens_100k_kg()
    assert len(triples) == 91_631 and len(links) == 1_598
    assert links["item_id"].between(1, 1682).all() and links["entity"].is_unique
    assert triples["relation"].str.startswith("film.").all()
    assert links["entity"].isin(triples["head"]).mean() > 0.95
