"""Claim: bfloat16 autocast trains skae's models faster on an AMX CPU, to the same accuracy.

Speed (``--part speed``): the same fit in float32 and in bfloat16, rounds interleaved in one
process, at 1 and 2 torch threads; ratio = float32 seconds / bfloat16 seconds (median, and
fastest round). Targets (issue #24): seed-0 AE at batch 32 >= 1.3x, the few-label study's
pseudo-label CNN (32/64 filters, batch 128) >= 1.4x.

Parity (``--part parity``): each model trained once per precision, same seed, same data;
test reconstruction MSE (target: within 2 %), per-image MSE correlation, downstream accuracy
of a softmax head on the codes and of the CNN (target: within 0.3 points), and the share of
test images whose predicted class agrees.

Run: ``SKAE_DATA=../shared/data python benchmarks/precision.py [--part speed|parity]
[--quick]``; writes ``results/precision_speed.json`` / ``results/precision_parity.json``.
"""

import argparse
import statistics
import time

import numpy as np
import torch
from _common import interleaved, report

from skae import CNNClassifier, ConvAETransformer, SoftmaxClassifier
from skae.datasets import fetch_mnist
from skae.studies._few_labels import PSEUDO_LABEL_CNN

PRECISIONS = ("float32", "bfloat16")


def speed_cases(X, y, quick):
    """name -> (precision -> a fit), each a few seconds long."""
    n = 1000 if quick else 4000
    cases = {
        "seed-0 AE, batch 32": lambda p: ConvAETransformer(
            max_epochs=1, batch_size=32, precision=p, random_state=0
        ).fit(X[:n]),
        "seed-0 AE, batch 256": lambda p: ConvAETransformer(
            max_epochs=2, batch_size=256, precision=p, random_state=0
        ).fit(X[: 2 * n]),
        "dense AE (33), batch 128": lambda p: ConvAETransformer(
            latent_dim=33,
            dropout=0.012,
            lr=5.4e-3,
            max_epochs=1,
            batch_size=128,
            precision=p,
            random_state=0,
        ).fit(X[: 2 * n]),  # fmt: skip
        "pseudo-label CNN, batch 128": lambda p: CNNClassifier(
            **PSEUDO_LABEL_CNN, max_epochs=1, precision=p, random_state=0
        ).fit(X[:n], y[:n]),
        "seed-0 CNN, batch 16": lambda p: CNNClassifier(
            max_epochs=1, precision=p, random_state=0
        ).fit(X[:n], y[:n]),
    }
    return cases


def run_speed(args, X, y):
    rows = []
    for threads in args.speed_threads:
        torch.set_num_threads(threads)
        for name, fit in speed_cases(X, y, args.quick).items():
            if args.cases and not any(case in name for case in args.cases):
                continue
            fit("float32"), fit("bfloat16")  # warm-up: kernels chosen, caches filled
            times = interleaved({p: (lambda p=p: fit(p)) for p in PRECISIONS}, args.repeats)
            fp32, bf16 = times["float32"], times["bfloat16"]
            rows.append({
                "model": name, "threads": threads,
                "float32_s": statistics.median(fp32), "bfloat16_s": statistics.median(bf16),
                "speedup": statistics.median(fp32) / statistics.median(bf16),
                "speedup_fastest": min(fp32) / min(bf16),
            })  # fmt: skip
            print(rows[-1], flush=True)
    claim = "float32 / bfloat16 fit time, same process, interleaved"
    report(args.name or "precision_speed", claim, rows)


def mse_parity(name, make, X, X_test, y_train, y_test, n_labels, seeds):
    """Train ``make(precision, seed)`` both ways; reconstruction and downstream figures.

    Several seeds tell the precision's effect from the seed's: the MSE of two float32 fits
    that differ only in their seed differs too.
    """
    row, errors, preds, mses, accs = {"model": name}, {}, {}, {}, {}
    for p in PRECISIONS:
        start, mses[p], accs[p] = time.perf_counter(), [], []
        for seed in seeds:
            ae = make(p, seed).fit(X)
            errors[p, seed] = -ae.score_samples(X_test)
            mses[p].append(float(errors[p, seed].mean()))
            head = SoftmaxClassifier(max_epochs=50, random_state=0)
            head.fit(ae.transform(X[:n_labels]), y_train[:n_labels])
            preds[p, seed] = head.predict(ae.transform(X_test))
            accs[p].append(float((preds[p, seed] == y_test).mean() * 100))
        row[f"{p}_fit_s"] = (time.perf_counter() - start) / len(seeds)
        row[f"{p}_test_mse"] = statistics.mean(mses[p])
        row[f"{p}_head_acc"] = statistics.mean(accs[p])
    row["mse_rel_diff_%"] = 100 * (row["bfloat16_test_mse"] / row["float32_test_mse"] - 1)
    if len(seeds) > 1:  # how far float32 fits of different seeds are from each other
        row["float32_mse_seed_spread_%"] = (
            100 * statistics.stdev(mses["float32"]) / statistics.mean(mses["float32"])
        )
        row["float32_acc_seed_std"] = statistics.stdev(accs["float32"])
    row["acc_diff_points"] = row["bfloat16_head_acc"] - row["float32_head_acc"]
    first = seeds[0]
    row["per_image_mse_corr"] = float(
        np.corrcoef(errors["float32", first], errors["bfloat16", first])[0, 1]
    )
    row["same_prediction_%"] = float(
        (preds["float32", first] == preds["bfloat16", first]).mean() * 100
    )
    return row


def cnn_parity(X, y, X_test, y_test, epochs):
    row, preds = {"model": f"pseudo-label CNN, {epochs} epochs on {len(X)} labels"}, {}
    for p in PRECISIONS:
        start = time.perf_counter()
        cnn = CNNClassifier(**PSEUDO_LABEL_CNN, max_epochs=epochs, precision=p, random_state=0)
        cnn.fit(X, y)
        row[f"{p}_fit_s"] = time.perf_counter() - start
        preds[p] = cnn.predict(X_test)
        row[f"{p}_acc"] = float((preds[p] == y_test).mean() * 100)
    row["acc_diff_points"] = row["bfloat16_acc"] - row["float32_acc"]
    row["same_prediction_%"] = float((preds["float32"] == preds["bfloat16"]).mean() * 100)
    return row


def run_parity(args, X, y, X_test, y_test):
    torch.set_num_threads(args.threads)
    n, epochs = (5000, 3) if args.quick else (args.n_images, args.epochs)
    X_ae, n_labels = X[:n], 1000
    seed0 = dict(batch_size=32, max_epochs=epochs)
    makers = {
        "seed-0 AE": lambda p, s: ConvAETransformer(**seed0, precision=p, random_state=s),
        "seed-0 sparse AE": lambda p, s: ConvAETransformer(
            **seed0, sparsity=1e-3, precision=p, random_state=s
        ),
        "dense AE (33)": lambda p, s: ConvAETransformer(
            latent_dim=33,
            dropout=0.012,
            lr=5.4e-3,
            batch_size=128,
            max_epochs=epochs,
            precision=p,
            random_state=s,
        ),  # fmt: skip
    }
    rows, seeds = [], list(range(args.seeds))
    for name in args.models or makers:
        label = f"{name}, {epochs} epochs on {n}, {len(seeds)} seeds"
        rows.append(mse_parity(label, makers[name], X_ae, X_test, y[:n], y_test, n_labels, seeds))
        print(rows[-1], flush=True)
    if args.cnn_epochs:
        n_cnn = 5000 if args.quick else len(X)
        rows.append(cnn_parity(X[:n_cnn], y[:n_cnn], X_test, y_test, args.cnn_epochs))
        print(rows[-1], flush=True)
    claim = (
        f"float32 vs bfloat16, same seeds, {args.threads} threads, full 10 000-image MNIST test "
        f"set; heads: softmax on the codes of {n_labels} labeled images"
    )
    report(args.name or "precision_parity", claim, rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["speed", "parity"], default="speed")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-images", type=int, default=59000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=1, help="seeds per model and precision")
    parser.add_argument("--models", nargs="+", help="subset of the autoencoders")
    parser.add_argument("--cnn-epochs", type=int, default=3, help="0: no CNN row")
    parser.add_argument(
        "--name", help="results file name (default precision_speed / precision_parity)"
    )
    parser.add_argument("--speed-threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cases", nargs="+", help="speed: cases whose name contains one")
    args = parser.parse_args()
    X, y = fetch_mnist(return_X_y=True)
    if args.part == "speed":
        run_speed(args, X, y)
    else:
        X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
        run_parity(args, X, y, X_test, y_test)


if __name__ == "__main__":
    main()
