"""Data-parallel training of BPR matrix factorization with torch.distributed (chapter 13, System performance).

The model is the one :class:`recsys_helpers.models.mf.BPRMF` trains
(:class:`~recsys_helpers.models.mf.EmbeddingDot`), wrapped with its BPR loss in :class:`BPRLoss`
so that DistributedDataParallel can wrap one module whose forward returns the loss.

``python -m recsys_helpers.distributed DATA.npz OUT.npz --world-size W`` trains the same model
with ``W`` processes on this machine (gloo backend, loopback only) and prints one JSON line with
the training seconds. ``DATA.npz`` holds int64 arrays ``users``, ``positives``, ``negatives``
(training triples) and the ints ``num_users``, ``num_items``; ``OUT.npz`` receives the trained
``user`` and ``item`` embeddings of rank 0.

Each global batch of ``batch_size`` triples is split between the ranks (rank ``r`` takes rows
``r, r + W, ...``); each rank averages its loss, and DistributedDataParallel averages the
gradients, so with plain SGD the run follows the single-process run with the same global batch
up to floating-point summation order.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recsys_helpers.models.mf import EmbeddingDot

__all__ = ["BPRLoss", "train_rank", "run"]


class BPRLoss(nn.Module):
    """BPR-MF with its loss: ``model`` is an :class:`~recsys_helpers.models.mf.EmbeddingDot`
    (``init_std`` 0.1) and ``forward`` returns the mean BPR loss of a batch of triples.

    The user rows are looked up once and shared by both scores (:class:`~recsys_helpers.models.mf.BPRMF`
    looks them up per score: the same loss, with gradients summed in another order, so other last
    bits). Chapter 13 also trains it in a plain loop, to continue from the current weights.
    """

    def __init__(self, num_users: int, num_items: int, dim: int):
        super().__init__()
        self.model = EmbeddingDot(num_users, num_items, dim, init_std=0.1)

    def forward(self, users, positives, negatives):
        u = self.model.user(users)
        margin = (u * self.model.item(positives)).sum(-1) - (u * self.model.item(negatives)).sum(-1)
        return -F.logsigmoid(margin).mean()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def train_rank(rank: int, world_size: int, data_path: str, out_path: str, dim: int, epochs: int,
               batch_size: int, lr: float, seed: int, port: int, result_path: str) -> None:
    """One rank's training loop (``world_size == 1``: plain single-process training)."""
    torch.set_num_threads(1)
    data = np.load(data_path)
    triples = [torch.from_numpy(data[name]) for name in ("users", "positives", "negatives")]
    torch.manual_seed(seed)
    net = BPRLoss(int(data["num_users"]), int(data["num_items"]), dim)
    if world_size > 1:
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world_size)
        net = DistributedDataParallel(net)
        dist.barrier()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    num_triples = len(triples[0])
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.from_numpy(np.random.default_rng(seed + epoch).permutation(num_triples))
        for first in range(0, num_triples - batch_size + 1, batch_size):  # drop the last partial batch
            rows = order[first : first + batch_size][rank::world_size]
            loss = net(*(t[rows] for t in triples))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    if world_size > 1:
        dist.barrier()
        dist.destroy_process_group()
        net = net.module
    if rank == 0:
        model = net.model
        np.savez(out_path, user=model.user.weight.detach().numpy(), item=model.item.weight.detach().numpy())
        with open(result_path, "w") as handle:
            json.dump({"world_size": world_size, "seconds": seconds, "final_loss": loss.item()}, handle)


def run(data_path: str, out_path: str, *, world_size: int = 1, dim: int = 64, epochs: int = 2,
        batch_size: int = 1024, lr: float = 0.5, seed: int = 0) -> dict:
    """Train with ``world_size`` processes; returns ``{"world_size", "seconds", "final_loss"}``."""
    if world_size < 1 or batch_size % world_size:
        raise ValueError(f"need world_size >= 1 dividing batch_size, got {world_size}, {batch_size}")
    result_path = out_path + ".json"
    args = (world_size, data_path, out_path, dim, epochs, batch_size, lr, seed, free_port(), result_path)
    if world_size == 1:
        threads = torch.get_num_threads()
        try:
            train_rank(0, *args)
        finally:
            torch.set_num_threads(threads)  # train_rank() pins one thread, as each rank does
    else:
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        torch.multiprocessing.spawn(train_rank, args=args, nprocs=world_size, join=True)
    with open(result_path) as handle:
        return json.load(handle)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--world-size", type=int, default=1)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = run(args.data, args.out, world_size=args.world_size, dim=args.dim, epochs=args.epochs,
                 batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
