"""Claim: on 2 cores, the seed-0 study pretrains its autoencoders faster two at a time.

The study's ``_pretrain`` hands its autoencoders to ``joblib.Parallel(n_jobs)``; loky gives
each of ``n_jobs`` workers ``cores // n_jobs`` torch threads. Here the seed-0 study's two MNIST
autoencoders (plain and sparse; seed-0 settings, batch 32), one epoch each, are fitted

* one after another in this process with 2 torch threads (``n_jobs=1``), and
* concurrently, one per loky worker with 1 thread each (``n_jobs=2``),

in float32 and in bfloat16, rounds interleaved; ratio = sequential seconds / concurrent
seconds (median and fastest round). Both ways produce the same models (same seeds), so the
test checks equality of the reconstruction errors too.

Run: ``SKAE_DATA=../shared/data python benchmarks/concurrent_pretraining.py [--quick]``;
writes ``results/concurrent_pretraining.json``. Needs both cores idle.
"""

import argparse
import statistics

import joblib
import numpy as np
import torch
from _common import interleaved, report

from skae.studies import PROFILES, seed0_design, study_data
from skae.studies._learning_curve import study_autoencoder


def fits(data, n_images, precision):
    """The two unfitted autoencoders of the seed-0 study and their pool images."""
    autoencoders, _ = seed0_design("mnist")
    models = [
        study_autoencoder(name, sparsity, PROFILES["paper"], data, precision=precision)[0]
        for name, (source, sparsity) in autoencoders.items()
        if source == "mnist" and name != "random_encoder"
    ]
    return [ae.set_params(max_epochs=1) for ae in models], data.X[:n_images]


def fit(ae, X):
    return ae.fit(X)


def run(models, X, n_jobs):
    fitted = joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(fit)(ae, X) for ae in models)
    return [float(ae.score(X[:500])) for ae in fitted]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 500 images, 2 rounds")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = study_data("mnist")
    n_images, repeats = (1500, 2) if args.quick else (6000, args.repeats)
    torch.set_num_threads(2)
    rows = []
    for precision in ("float32", "bfloat16"):
        models, X = fits(data, n_images, precision)
        scores = {n_jobs: run(models, X, n_jobs) for n_jobs in (1, 2)}  # warm-up, workers up
        times = interleaved(
            {n_jobs: (lambda n_jobs=n_jobs: run(models, X, n_jobs)) for n_jobs in (1, 2)},
            repeats,
        )
        rows.append({
            "precision": precision, "images": n_images, "epochs": 1, "models": len(models),
            "sequential_2_threads_s": statistics.median(times[1]),
            "concurrent_1_thread_each_s": statistics.median(times[2]),
            "speedup": statistics.median(times[1]) / statistics.median(times[2]),
            "speedup_fastest": min(times[1]) / min(times[2]),
            "same_models": bool(np.allclose(scores[1], scores[2], rtol=1e-4)),
        })  # fmt: skip
        print(rows[-1], flush=True)
    report(
        "concurrent_pretraining",
        "seed-0 pretraining: two 1-thread fits at once vs one after another with 2 threads",
        rows,
    )


if __name__ == "__main__":
    main()
