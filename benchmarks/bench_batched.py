"""Claim: K small models trained as one batched computation beat K lone fits.

Model-steps per second (one optimizer step of one model = one model-step) at K = 1, 10, 50
and 150 models, three ways, side by side in one run:

* batched: ``skae._batched.fit_batched``, the K models as one ``torch.func`` computation;
* sequential skae: K lone ``fit`` calls (its rate does not depend on K, so it is measured on
  at most 10 fits);
* hand-written: one model at a time in a plain PyTorch loop (``bench_fit.hand_loop``).

Softmax heads: 196 MNIST code features -> 10, Adam 1e-3, gradient-norm clipping 1.0, batch
16 (the seed-0 head). CNN: the seed-0 CNN on 28x28 images, SGD 0.1, dropout 0.2, batch 16.
Each model trains on its own 800 images (50 steps an epoch). Targets at K = 150 on 2 cores:
heads >= 25x and CNN >= 5x the sequential skae fits.

Run: ``SKAE_DATA=../shared/data python benchmarks/bench_batched.py [--quick]``
"""

import argparse
import time

import numpy as np
import torch
from _common import report
from bench_fit import hand_loop

from skae import CNNClassifier, SoftmaxClassifier
from skae._batched import fit_batched
from skae._modules import MLPHead, SmallCNN
from skae.datasets import fetch_mnist

N_IMAGES, BATCH = 800, 16
KINDS = {  # name -> (estimator, hand-written module, epochs, hand_loop settings)
    "softmax head": (
        lambda seed, epochs: SoftmaxClassifier(max_epochs=epochs, random_state=seed),
        lambda: MLPHead(196, 10),
        {"clip": 1.0},
    ),
    "CNN": (
        lambda seed, epochs: CNNClassifier(max_epochs=epochs, random_state=seed),
        lambda: SmallCNN(),
        {"sgd_lr": 0.1},
    ),
}


def model_steps(epochs, n_models=1):
    return n_models * epochs * -(-N_IMAGES // BATCH)


def rates(kind, X, y, ks, epochs):
    """Model-steps per second of the three contenders, one row per K."""
    make, make_module, settings = KINDS[kind]
    rows_of = [np.arange(k * N_IMAGES, (k + 1) * N_IMAGES) % len(X) for k in range(max(ks))]
    make(0, 1).fit(X[:N_IMAGES], y[:N_IMAGES])  # warm-up: first-call costs belong to no one
    lone = min(10, max(ks))
    start = time.perf_counter()
    for k in range(lone):
        make(k, epochs).fit(X[rows_of[k]], y[rows_of[k]])
    sequential = model_steps(epochs, lone) / (time.perf_counter() - start)
    start = time.perf_counter()
    hand_loop(make_module(), X[rows_of[0]], y[rows_of[0]], batch_size=BATCH, epochs=epochs,
              **settings)  # fmt: skip
    hand = model_steps(epochs) / (time.perf_counter() - start)
    rows = []
    for k in ks:
        start = time.perf_counter()
        fit_batched([make(seed, epochs) for seed in range(k)], X, y, rows_of[:k])
        batched = model_steps(epochs, k) / (time.perf_counter() - start)
        rows.append(
            {
                "model": kind,
                "K": k,
                "epochs": epochs,
                "batched_steps_per_s": round(batched),
                "sequential_skae_steps_per_s": round(sequential),
                "hand_written_steps_per_s": round(hand),
                "batched_vs_sequential": round(batched / sequential, 2),
                "batched_vs_hand_written": round(batched / hand, 2),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K up to 10, fewer epochs")
    args = parser.parse_args()
    X, y = fetch_mnist(return_X_y=True)
    X, y = X[: 150 * N_IMAGES // 2], y[: 150 * N_IMAGES // 2]  # models share half of it
    codes = np.random.default_rng(0).random((len(X), 196), dtype=np.float32)  # speed only
    ks = (1, 10) if args.quick else (1, 10, 50, 150)
    rows = rates("softmax head", codes, y, ks, epochs=2 if args.quick else 20)
    rows += rates("CNN", X, y, ks, epochs=1 if args.quick else 4)
    name = "batched_quick" if args.quick else "batched"
    report(name, __doc__.splitlines()[0], rows, {"torch_threads": torch.get_num_threads()})


if __name__ == "__main__":
    main()
