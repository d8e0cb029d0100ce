"""recsys_helpers.serving: the LRU cache, exact top-k, the service and the load generator."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from recsys_helpers.evaluation import top_k_items
from recsys_helpers.serving import LRUCache, ServingModel, exact_top_k, load_test, open_loop_test


def test_lru_evicts_least_recently_used_and_counts():
    cache = LRUCache(2)
    cache.put(1, "a")
    cache.put(2, "b")
    assert cache.get(1) == "a"  # 1 is now the most recent
    cache.put(3, "c")  # evicts 2, not 1
    assert cache.get(2) is None and cache.get(1) == "a" and cache.get(3) == "c"
    assert (cache.hits, cache.misses, len(cache)) == (3, 1, 2)
    cache.clear()
    assert (cache.hits, cache.misses, len(cache)) == (0, 0, 0)


def test_lru_capacity_zero_and_bad_capacity():
    cache = LRUCache(0)
    cache.put("x", 1)
    assert cache.get("x") is None and len(cache) == 0
    with pytest.raises(ValueError):
        LRUCache(-1)


def test_exact_top_k_matches_argsort_with_ties_to_lower_index():
    rng = np.random.default_rng(0)
    items = rng.normal(size=(200, 8)).astype(np.float32)
    query = rng.normal(size=8).astype(np.float32)
    expected = np.argsort(-(items @ query), kind="stable")[:10]
    assert exact_top_k(query, items, 10).tolist() == expected.tolist()
    tied = np.ones((5, 2), dtype=np.float32)
    assert exact_top_k(np.ones(2, dtype=np.float32), tied, 3).tolist() == [0, 1, 2]
    for seed in range(20):  # ties at the k-th place too: a partition alone picks any of them
        coarse = np.random.default_rng(seed).integers(0, 3, size=(300, 2)).astype(np.float32)
        expected = top_k_items((coarse @ np.ones(2, dtype=np.float32))[None, :], 10)[0]
        assert exact_top_k(np.ones(2, dtype=np.float32), coarse, 10).tolist() == expected.tolist()


def test_serving_model_caches_per_index():
    rng = np.random.default_rng(1)
    service = ServingModel(rng.normal(size=(4, 3)), rng.normal(size=(30, 3)), k=5, cache_size=2)
    first, cached = service.recommend(2, "exact", cache=True)
    again, cached_again = service.recommend(2, "exact", cache=True)
    assert (cached, cached_again) == (False, True) and first == again
    with pytest.raises(ValueError):
        service.recommend(0, "ann")  # no index given
    with pytest.raises(KeyError):
        service.recommend(9, "exact")


def test_service_answers_on_loopback(tmp_path):
    rng = np.random.default_rng(2)
    users, items = rng.normal(size=(6, 4)).astype(np.float32), rng.normal(size=(50, 4)).astype(np.float32)
    np.savez(tmp_path / "data.npz", users=users, items=items)
    server = subprocess.Popen([sys.executable, "-m", "recsys_helpers.serving", str(tmp_path / "data.npz")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        paths = [f"/recommend?user={u % 6}&cache=1" for u in range(12)]
        latencies = load_test(port, paths, concurrency=3)
        assert latencies.shape == (12,) and (latencies > 0).all()
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/recommend?user=3")
        answer = json.loads(connection.getresponse().read())
        connection.close()
        assert answer["items"] == exact_top_k(users[3], items, 10).tolist()
        with pytest.raises(RuntimeError):
            load_test(port, ["/recommend?user=99"], concurrency=1)
        open_latencies = open_loop_test(port, paths, rate=200.0, seed=1)
        assert open_latencies.shape == (12,) and (open_latencies > 0).all()
        with pytest.raises(RuntimeError):
            open_loop_test(port, ["/recommend?user=99"], rate=10.0)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
        server.stderr.close()


def test_the_open_loop_charges_a_slow_server_for_every_request_that_was_due():
    """A server that needs 40 ms a request, asked for 100 a second: the queue grows in an open loop,
    while a closed loop, waiting for each answer, sees 40 ms every time (coordinated omission)."""
    import http.server
    import threading
    import time

    class Slow(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            time.sleep(0.04)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Slow)  # one request at a time
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        closed = load_test(port, ["/"] * 15, concurrency=1)
        opened = open_loop_test(port, ["/"] * 15, rate=100.0, seed=0, workers=1)
        assert closed.max() < 0.2
        assert opened.max() > 0.3 and opened[-5:].mean() > 3 * closed.mean()
        with pytest.raises(ValueError, match="rate"):
            open_loop_test(port, ["/"], rate=0.0)
        with pytest.raises(ValueError, match="workers"):
            open_loop_test(port, ["/"], rate=1.0, workers=0)
    finally:
        server.shutdown()
        server.server_close()
