"""Claim: on the same trial budget, TPE (seed-1's sampler) finds a lower reconstruction MSE than
random search, and median pruning stops bad trials early, saving time without losing the best.

Each trial is the study's own (``skae seed1 --search optuna``, :mod:`skae.studies._optuna`):
a ``ConvAETransformer`` with seed-1's search space (latent size 2-50, Adam or SGD, learning
rate 1e-5-1e-2 log, batch 64/128/256, dropout 0-1) trained on 80 % of the first 1 500 MNIST
training images for 3 epochs, scored by its validation MSE on the other 300 images. Three
searches per seed, 50 trials each, 3 seeds:

* ``tpe``: TPE + ``MedianPruner`` (what the study runs);
* ``random``: Optuna's ``RandomSampler`` + the same pruner;
* ``tpe_unpruned``: TPE, no pruner: the time and the best MSE pruning is compared with.

Best MSE after 10, 25, 50 trials is the lowest validation MSE among the completed trials so
far (mean over the seeds, and each seed's at 50). TPE's first 10 trials are random draws
with the same seed as ``random``'s, so the searches share them. Time: CPU seconds of each
search (one thread; wall time on a shared machine grows with the load) and the duration of
a pruned trial over a completed one's, within each search. About 9 minutes of one core.

Run: ``SKAE_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/optuna_search.py``
(``--table`` rewrites the table from ``results/optuna_search.json`` without training).
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import optuna
import torch
from _common import RESULTS, report, rst_table

from skae.datasets import fetch_mnist
from skae.studies._optuna import open_study, run_trials, trial_records

IMAGES, EPOCHS, TRIALS, SEEDS, CHECKPOINTS = 1_500, 3, 50, (0, 1, 2), (10, 25, 50)
SEARCHES = {  # name -> (sampler, pruned)
    "tpe": (optuna.samplers.TPESampler, True),
    "random": (optuna.samplers.RandomSampler, True),
    "tpe_unpruned": (optuna.samplers.TPESampler, False),
}


def search(X, name, seed, folder):
    """One search of TRIALS trials; its trial records, wall and CPU seconds.

    On a shared machine the wall time (and each trial's, Optuna's) grows with the load; the
    CPU time of this one-thread process does not.
    """
    sampler, pruned = SEARCHES[name]
    study = open_study(f"sqlite:///{folder / f'{name}-{seed}.db'}", images=IMAGES, epochs=EPOCHS)
    study.sampler = sampler(seed=seed)
    if not pruned:
        study.pruner = optuna.pruners.NopPruner()
    start, cpu = time.perf_counter(), time.process_time()
    run_trials(study, X, n_trials=TRIALS, max_epochs=EPOCHS, random_state=seed)
    seconds = {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu}
    return trial_records(study), seconds


def best_after(records, k):
    values = [r["value"] for r in records[:k] if r["state"] == "COMPLETE"]
    return min(values) if values else float("nan")


def summary_row(name, runs):
    """Best MSE at each checkpoint, pruning counts and time, over the seeds' runs."""
    row = {"search": name}
    for k in CHECKPOINTS:
        row[f"best_mse_{k}"] = round(statistics.mean(best_after(r["trials"], k) for r in runs), 4)
    row["best_mse_50_per_seed"] = [round(best_after(r["trials"], 50), 4) for r in runs]
    pruned = [[t for t in r["trials"] if t["state"] == "PRUNED"] for r in runs]
    row["pruned"] = round(statistics.mean(map(len, pruned)), 1)
    row["pruned_early"] = round(  # stopped before their last epoch: the ones that saved time
        statistics.mean(sum(t["epochs"] < EPOCHS for t in p) for p in pruned), 1
    )
    epochs = statistics.mean(sum(t["epochs"] for t in r["trials"]) for r in runs)
    row["epochs_run_%"] = round(100 * epochs / TRIALS / EPOCHS)
    ratios = [_pruned_time_ratio(r["trials"]) for r in runs]
    row["pruned_trial_time"] = round(statistics.mean(ratios), 2) if all(ratios) else None
    row["cpu_s"] = round(statistics.mean(r["seconds"]["cpu"] for r in runs))
    row["wall_s"] = round(statistics.mean(r["seconds"]["wall"] for r in runs))
    return row


def _pruned_time_ratio(trials):
    """Mean duration of a pruned trial over a completed one's (0 when none was pruned)."""
    seconds = {
        state: [t["seconds"] for t in trials if t["state"] == state]
        for state in ("PRUNED", "COMPLETE")
    }
    if not seconds["PRUNED"]:
        return 0
    return statistics.mean(seconds["PRUNED"]) / statistics.mean(seconds["COMPLETE"])


def run_all():
    """Every search of every seed: ``{name: [{"seed", "seconds", "trials"}, ...]}``."""
    torch.manual_seed(0)
    X = fetch_mnist(subset="train", return_X_y=True)[0][:IMAGES]
    runs = {name: [] for name in SEARCHES}
    with tempfile.TemporaryDirectory() as folder:
        for seed in SEEDS:
            for name in SEARCHES:
                trials, seconds = search(X, name, seed, Path(folder))
                runs[name].append({"seed": seed, "seconds": seconds, "trials": trials})
                print(f"{name} seed {seed}: {seconds}", file=sys.stderr, flush=True)
    return runs


def main(table_only=False):
    if table_only:
        runs = json.loads((RESULTS / "optuna_search.json").read_text())["runs"]
    else:
        runs = run_all()
    rows = [summary_row(name, runs[name]) for name in SEARCHES]
    sizes = {
        "images": IMAGES,
        "train_validation": [int(IMAGES * 0.8), IMAGES - int(IMAGES * 0.8)],
        "epochs_per_trial": EPOCHS,
        "trials": TRIALS,
        "seeds": list(SEEDS),
        "pruner": "MedianPruner(n_startup_trials=5) on the per-epoch validation MSE",
    }
    print(f"sizes: {sizes}")
    claim = __doc__.split("\n\n")[0].replace("\n", " ")
    report("optuna_search", claim, rows, extra={"sizes": sizes, "runs": runs})
    header = [
        "search", "best MSE @10", "@25", "@50", "@50 per seed", "pruned (early)",
        "epochs run", "pruned / complete trial time", "CPU s",
    ]  # fmt: skip
    body = [
        [
            row["search"],
            *(f"{row[f'best_mse_{k}']:.4f}" for k in CHECKPOINTS),
            " / ".join(f"{v:.4f}" for v in row["best_mse_50_per_seed"]),
            f"{row['pruned']:g} ({row['pruned_early']:g})",
            f"{row['epochs_run_%']} %",
            "-" if row["pruned_trial_time"] is None else f"{row['pruned_trial_time']:.2f}",
            row["cpu_s"],
        ]
        for row in rows
    ]
    (RESULTS / "optuna_search.rst").write_text(rst_table(header, body))


if __name__ == "__main__":
    main(table_only="--table" in sys.argv[1:])
