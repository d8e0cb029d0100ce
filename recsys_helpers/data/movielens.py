"""MovieLens-100k (Harper and Konstan, 2015) from local files; nothing is downloaded.

:func:`load_movielens_100k` looks for the data in this order:

1. ``path`` or the environment variable ``RECSYS_ML100K_PATH``: a folder with the GroupLens files
   (``u.data``, ``u.item``, ``u.user``), a folder with RecBole's atomic files (``ml-100k.inter``,
   ``ml-100k.item``, ``ml-100k.user``), or the GroupLens ``ml-100k.zip`` archive itself;
2. the copy shipped inside the ``recbole`` wheel (``recbole/dataset_example/ml-100k/``), read as
   plain files without importing recbole.

:func:`load_movielens_100k_kg` reads the knowledge graph RecBole ships beside it (chapter 06), and
:func:`load_ratings_file_order` the ratings in the row order of ``u.data``, which the Microsoft
Recommenders benchmark splits (chapter 09).

Introduced in chapter 01 (Recommender systems basics).
"""

from __future__ import annotations

import importlib.util
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = [
    "MovieLens100K",
    "GENRES",
    "load_movielens_100k",
    "load_movielens_100k_kg",
    "load_ratings_file_order",
    "recbole_copy",
]

PATH_VARIABLE = "RECSYS_ML100K_PATH"

#: The 19 genre flags of ``u.item``, in file order.
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)


@dataclass(frozen=True)
class MovieLens100K:
    """The three tables of MovieLens-100k.

    Attributes
    ----------
    ratings : DataFrame, 100,000 rows
        ``user_id`` (int64, 1..943), ``item_id`` (int64, 1..1682), ``rating`` (int64, 1..5),
        ``timestamp`` (int64, Unix seconds).
    items : DataFrame, 1,682 rows
        ``item_id`` (int64), ``title`` (str, year stripped), ``year`` (Int64, missing for a few
        items), ``genres`` (tuple of str from :data:`GENRES`).
    users : DataFrame, 943 rows
        ``user_id`` (int64), ``age`` (int64), ``gender`` (str, "M"/"F"), ``occupation`` (str),
        ``zip_code`` (str).
    source : str
        Where the files were read from.
    """

    ratings: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame
    source: str


# --------------------------------------------------------------------------- readers
def _split_title(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'Toy Story (1995)' -> ('Toy Story', 1995); titles without a year keep a missing year."""
    parts = raw.str.extract(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")
    title = parts["title"].fillna(raw).str.strip()
    return title, pd.to_numeric(parts["year"]).astype("Int64")


def _finish(ratings: pd.DataFrame, items: pd.DataFrame, users: pd.DataFrame, source: str) -> MovieLens100K:
    ratings = ratings.astype({"user_id": "int64", "item_id": "int64", "rating": "int64", "timestamp": "int64"})
    ratings = ratings.sort_values(["timestamp", "user_id", "item_id"], kind="stable").reset_index(drop=True)
    items = items.astype({"item_id": "int64"}).sort_values("item_id").reset_index(drop=True)
    users = users.astype({"user_id": "int64", "age": "int64"}).sort_values("user_id").reset_index(drop=True)
    for column in ("gender", "occupation", "zip_code"):
        users[column] = users[column].astype(str)
    unknown = set(ratings["item_id"]) - set(items["item_id"])
    if unknown or set(ratings["user_id"]) - set(users["user_id"]):
        raise ValueError(f"{source}: ratings refer to items or users missing from the other tables")
    return MovieLens100K(ratings=ratings, items=items, users=users, source=source)


def _read_grouplens(open_file, source: str) -> MovieLens100K:
    """Read ``u.data``, ``u.item``, ``u.user``; ``open_file(name)`` returns a binary file object."""
    with open_file("u.data") as f:
        ratings = pd.read_csv(f, sep="\t", header=None, names=["user_id", "item_id", "rating", "timestamp"])
    with open_file("u.item") as f:
        raw = pd.read_csv(f, sep="|", header=None, encoding="latin-1",
                          names=["item_id", "raw_title", "release_date", "video_date", "url", *GENRES])
    flags = raw[list(GENRES)].to_numpy(dtype=bool)
    title, year = _split_title(raw["raw_title"])
    items = pd.DataFrame({
        "item_id": raw["item_id"],
        "title": title,
        "year": year,
        "genres": [tuple(g for g, on in zip(GENRES, row) if on) for row in flags],
    })
    with open_file("u.user") as f:
        users = pd.read_csv(f, sep="|", header=None, names=["user_id", "age", "gender", "occupation", "zip_code"],
                            dtype={"zip_code": str})
    return _finish(ratings, items, users, source)


def _read_atomic(folder: Path) -> MovieLens100K:
    """Read RecBole's atomic files ``ml-100k.{inter,item,user}`` (tab-separated, typed headers)."""

    def table(suffix: str, **kwargs) -> pd.DataFrame:
        frame = pd.read_csv(folder / f"ml-100k.{suffix}", sep="\t", **kwargs)
        frame.columns = [c.split(":")[0] for c in frame.columns]
        return frame

    ratings = table("inter")
    raw = table("item", dtype={"release_year": str}, keep_default_na=False)
    items = pd.DataFrame({
        "item_id": raw["item_id"],
        # RecBole spells the title of item 267 "unkonwn"; GroupLens has "unknown".
        "title": raw["movie_title"].str.strip().replace("unkonwn", "unknown"),
        "year": pd.to_numeric(raw["release_year"].where(raw["release_year"].str.fullmatch(r"\d{4}"))).astype("Int64"),
        "genres": [tuple(g.split()) if g else () for g in raw["class"]],
    })
    users = table("user", dtype={"zip_code": str})
    return _finish(ratings, items, users, str(folder))


def _read_path(path: Path) -> MovieLens100K:
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = {Path(n).name: n for n in archive.namelist()}
            missing = {"u.data", "u.item", "u.user"} - set(names)
            if missing:
                raise FileNotFoundError(f"{path} lacks {', '.join(sorted(missing))}")
            return _read_grouplens(lambda name: io.BytesIO(archive.read(names[name])), str(path))
    if (path / "u.data").exists():
        return _read_grouplens(lambda name: open(path / name, "rb"), str(path))
    if (path / "ml-100k.inter").exists():
        return _read_atomic(path)
    if (path / "ml-100k" / "u.data").exists():
        return _read_path(path / "ml-100k")
    raise FileNotFoundError(
        f"{path} holds no MovieLens-100k data: expected u.data/u.item/u.user, "
        "ml-100k.inter/.item/.user, or the ml-100k.zip archive"
    )


def recbole_copy() -> Path | None:
    """The folder of the MovieLens-100k copy inside an installed ``recbole`` wheel, if any.

    The package is located without importing it (importing recbole pulls heavy dependencies).
    """
    spec = importlib.util.find_spec("recbole")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "dataset_example" / "ml-100k"
    return folder if (folder / "ml-100k.inter").exists() else None


def load_movielens_100k(path: str | os.PathLike | None = None) -> MovieLens100K:
    """Load MovieLens-100k (Harper and Konstan, 2015) as three DataFrames.

    Parameters
    ----------
    path : path-like, optional
        Folder or ``ml-100k.zip`` to read; defaults to ``$RECSYS_ML100K_PATH``, then the copy inside
        the ``recbole`` wheel.

    Returns
    -------
    MovieLens100K
        ``ratings``, ``items``, ``users`` and ``source``; dtypes as documented on the class.

    Introduced in chapter 01 (Recommender systems basics).
    """
    if path is None and os.environ.get(PATH_VARIABLE):
        path = os.environ[PATH_VARIABLE]
    if path is not None:
        path = Path(path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"MovieLens-100k path {path} does not exist")
        return _read_path(path)
    folder = recbole_copy()
    if folder is not None:
        return _read_atomic(folder)
    raise FileNotFoundError(
        "MovieLens-100k not found: install the pinned requirements (the recbole wheel carries a "
        f"copy), or set {PATH_VARIABLE} to a local copy (GroupLens' ml-100k folder or archive)"
    )


def load_movielens_100k_kg(path: str | os.PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The knowledge graph that RecBole ships with MovieLens-100k (Freebase facts about the films).

    GroupLens' archive has no such file; it comes from the ``recbole`` wheel (or ``path``, a folder
    holding ``ml-100k.kg`` and ``ml-100k.link`` in RecBole's atomic format).

    Returns
    -------
    triples : DataFrame
        ``head``, ``relation``, ``tail`` (str): Freebase entity ids (``m.0...``) and relation names
        such as ``film.film.directed_by``; 91,631 rows for the shipped copy.
    links : DataFrame
        ``item_id`` (int64, a MovieLens item id) and ``entity`` (str): the film's Freebase entity;
        1,598 rows (84 films have no entity).

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    folder = Path(path).expanduser() if path is not None else recbole_copy()
    if folder is None or not (folder / "ml-100k.kg").exists() or not (folder / "ml-100k.link").exists():
        raise FileNotFoundError(
            f"no ml-100k.kg and ml-100k.link in {folder}: install the pinned requirements (the recbole "
            "wheel ships them) or pass the folder that holds them"
        )
    triples = pd.read_csv(folder / "ml-100k.kg", sep="\t", dtype=str)
    triples.columns = ["head", "relation", "tail"]
    links = pd.read_csv(folder / "ml-100k.link", sep="\t", dtype={"item_id:token": "int64", "entity_id:token": str})
    links.columns = ["item_id", "entity"]
    if links["item_id"].duplicated().any():
        raise ValueError(f"{folder / 'ml-100k.link'} links an item to more than one entity")
    return triples, links


def load_ratings_file_order(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """MovieLens-100k ratings in the row order of GroupLens' ``u.data``.

    Parameters
    ----------
    path : path-like, optional
        A ``u.data`` file or RecBole's ``ml-100k.inter``; defaults to the copy in the recbole wheel,
        whose 100,000 rows were checked, row by row, to equal a public copy of ``u.data``
        (chapter 09 says how).

    Returns
    -------
    DataFrame of 100,000 rows: ``user_id``, ``item_id``, ``rating``, ``timestamp`` (int64), in file
    order (index 0..99,999).

    Introduced in chapter 09 (Hyperparameter tuning).
    """
    if path is None:
        folder = recbole_copy()
        if folder is None:
            raise FileNotFoundError("the recbole wheel is not installed; pass the path of u.data")
        path = folder / "ml-100k.inter"
    path = Path(path)
    header = 0 if path.suffix == ".inter" else None
    frame = pd.read_csv(path, sep="\t", header=header,
                        names=["user_id", "item_id", "rating", "timestamp"])
    return frame.astype("int64")
