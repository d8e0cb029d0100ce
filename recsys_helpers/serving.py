"""A small HTTP recommendation service and two bounded load generators (chapter 13, System performance).

The service answers ``GET /recommend?user=U&index=exact|ann&cache=0|1`` with JSON
``{"user": U, "items": [k item indices, best first], "cached": bool}``. It scores a user's vector
against an item catalogue either exactly (one matrix-vector product and a partial sort) or with a
prebuilt FAISS index, and can keep answers in an LRU cache. ``GET /clear`` empties the caches.
It listens on the loopback interface only.

Run it as ``python -m recsys_helpers.serving DATA.npz [--ann INDEX.faiss] [--cache-size N]``:
``DATA.npz`` holds ``users`` (num_users, dim) and ``items`` (num_items, dim) as float32; the
process prints the port it bound (chosen by the system) on its first line of output.
"""

from __future__ import annotations

import argparse
import http.client
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

LOOPBACK = "127.0.0.1"


class LRUCache:
    """Least-recently-used cache of at most ``capacity`` entries, counting hits and misses.

    ``get(key)`` returns the value or ``None`` (a miss) and marks the key as most recently used;
    ``put(key, value)`` inserts or refreshes it and evicts the least recently used entry when the
    cache is full. A capacity of 0 stores nothing.

    >>> cache = LRUCache(1); cache.put("a", 1); cache.get("a"), cache.get("b"), cache.hits
    (1, None, 1)
    """

    def __init__(self, capacity: int):
        if int(capacity) != capacity or capacity < 0:
            raise ValueError(f"capacity must be a non-negative integer, got {capacity!r}")
        self.capacity = int(capacity)
        self._entries: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return self._entries[key]
        self.misses += 1
        return None

    def put(self, key, value) -> None:
        if self.capacity == 0:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


def exact_top_k(query: np.ndarray, items: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` items with the largest inner product with ``query``, best first.

    ``query``: shape (dim,); ``items``: shape (num_items, dim). The contract of
    :func:`recsys_helpers.evaluation.top_k_items` for one row (ties go to the lower index, also
    at the k-th place), found in O(num_items) by a partition instead of a full sort.
    """
    scores = items @ query
    kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
    candidates = np.flatnonzero(scores >= kth)  # the top k and every item tied with the k-th
    return candidates[np.lexsort((candidates, -scores[candidates]))][:k]


class ServingModel:
    """What the service computes: top-k items per user, exact or from an index, maybe cached."""

    def __init__(self, users: np.ndarray, items: np.ndarray, *, k: int = 10, ann=None,
                 cache_size: int = 1000):
        self.users = np.ascontiguousarray(users, dtype=np.float32)
        self.items = np.ascontiguousarray(items, dtype=np.float32)
        self.k = int(k)
        self.ann = ann
        self.caches = {"exact": LRUCache(cache_size), "ann": LRUCache(cache_size)}

    def compute(self, user: int, index: str) -> list[int]:
        query = self.users[user]
        if index == "exact":
            return exact_top_k(query, self.items, self.k).tolist()
        if self.ann is None:
            raise ValueError("the service was started without an ANN index")
        _, ids = self.ann.search(query[None, :], self.k)
        return ids[0].tolist()

    def recommend(self, user: int, index: str = "exact", cache: bool = False) -> tuple[list[int], bool]:
        if not 0 <= user < len(self.users):
            raise KeyError(user)
        if cache:
            hit = self.caches[index].get(user)
            if hit is not None:
                return hit, True
        items = self.compute(user, index)
        if cache:
            self.caches[index].put(user, items)
        return items, False


def make_app(model: ServingModel):
    """A tornado application serving ``/recommend`` and ``/clear`` for ``model``."""
    import tornado.web

    class RecommendHandler(tornado.web.RequestHandler):
        def get(self):
            try:
                user = int(self.get_argument("user"))
                index = self.get_argument("index", "exact")
                cache = self.get_argument("cache", "0") == "1"
                items, cached = model.recommend(user, index, cache)
            except (KeyError, ValueError) as error:
                self.set_status(400)
                self.write({"error": str(error)})
                return
            self.write({"user": user, "items": items, "cached": cached})

    class ClearHandler(tornado.web.RequestHandler):
        def get(self):
            for cache in model.caches.values():
                cache.clear()
            self.write({"cleared": True})

    return tornado.web.Application(
        [(r"/recommend", RecommendHandler), (r"/clear", ClearHandler)], log_function=lambda handler: None
    )


def load_test(port: int, paths: list[str], *, concurrency: int = 4, timeout: float = 10.0) -> np.ndarray:
    """GET each path from ``127.0.0.1:port`` with ``concurrency`` keep-alive connections.

    Returns the latency of each request in seconds (shape ``(len(paths),)``, request order);
    raises ``RuntimeError`` on a non-200 answer. The request count is bounded by ``paths``.
    """
    shards = [list(range(w, len(paths), concurrency)) for w in range(concurrency)]
    latencies = np.zeros(len(paths))

    def worker(positions):
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
        try:
            for position in positions:
                start = time.perf_counter()
                connection.request("GET", paths[position])
                response = connection.getresponse()
                body = response.read()
                latencies[position] = time.perf_counter() - start
                if response.status != 200:
                    raise RuntimeError(f"{paths[position]} -> {response.status}: {body[:200]!r}")
        finally:
            connection.close()

    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker, shard) for shard in shards if shard]:
            future.result()
    return latencies


def open_loop_test(
    port: int, paths: list[str], *, rate: float, seed: int = 0, workers: int = 4, timeout: float = 10.0
) -> np.ndarray:
    """GET each path from ``127.0.0.1:port`` at random (Poisson) arrival times, ``rate`` per second.

    An open loop: the send times are fixed in advance and do not wait for answers, and each latency
    is measured from the request's **scheduled** send time. A server that stalls is charged for every
    request that was due meanwhile, which a closed loop (:func:`load_test`) omits. ``workers``
    threads, each with one keep-alive connection, send the requests; when all are busy a due request
    waits, and the wait is part of its latency. Keep ``workers`` small on a small machine: the
    client's threads share the cores with the server, and dozens of them slow it down.

    Returns the latencies in seconds (shape ``(len(paths),)``, request order); raises
    ``ValueError`` for a rate or worker count that is not positive and ``RuntimeError`` on a
    non-200 answer. The request count is bounded by ``paths``.
    """
    if not rate > 0:
        raise ValueError(f"rate must be a positive number of requests per second, got {rate!r}")
    if int(workers) != workers or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    due = np.cumsum(np.random.default_rng(seed).exponential(1 / rate, len(paths)))
    latencies = np.zeros(len(paths))
    local, connections = threading.local(), []

    def send(position: int, start: float) -> None:
        scheduled = start + due[position]
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
            connections.append(local.connection)
        local.connection.request("GET", paths[position])
        response = local.connection.getresponse()
        body = response.read()
        latencies[position] = time.perf_counter() - scheduled
        if response.status != 200:
            raise RuntimeError(f"{paths[position]} -> {response.status}: {body[:200]!r}")

    try:
        with ThreadPoolExecutor(int(workers)) as pool:
            start = time.perf_counter()
            for future in [pool.submit(send, position, start) for position in range(len(paths))]:
                future.result()
    finally:
        for connection in connections:
            connection.close()
    return latencies


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--ann", default=None, help="a FAISS index file over the same items")
    parser.add_argument("--cache-size", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    import asyncio

    import tornado.httpserver
    import tornado.netutil

    arrays = np.load(args.data)
    ann = None
    if args.ann:
        import faiss

        faiss.omp_set_num_threads(args.threads)
        ann = faiss.read_index(args.ann)
    model = ServingModel(arrays["users"], arrays["items"], k=args.k, ann=ann, cache_size=args.cache_size)

    async def serve():
        sockets = tornado.netutil.bind_sockets(0, LOOPBACK)
        server = tornado.httpserver.HTTPServer(make_app(model))
        server.add_sockets(sockets)
        print(sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
