"""Claim: the seed-0 study costs a fraction of the seed's way of running it, at equal accuracy.

The seed trained each frozen-encoder pipeline as one network, so the encoder ran again on
every mini-batch of every epoch. skae's ``Pipeline(FrozenEstimator(ae), SoftmaxClassifier())``
encodes the labeled images once per fit and trains the head on the codes: the same head,
loss, optimizer, batch size and epochs. Both ways are timed at one size, side by side, and
extrapolated to the ``paper`` profile (50 sizes 160-8000, 3 repeats, 100 epochs: fit time is
linear in size x epochs). Accuracy of both ways is compared at a few sizes on all 10 000 test
images, over several initial weights. The CNN has no encoder: its "seed's way" is a
hand-written loop of the same model.

Needs the paper profile's autoencoders (``skae learning-curve --profile paper``); with
``--profile quick`` it uses (and if needed trains) the quick ones.

Run: ``SKAE_DATA=../shared/data python benchmarks/bench_study.py [--size 960] [--epochs 100]``
"""

import argparse
import time

import numpy as np
import torch
from _common import RESULTS, report, rst_table
from bench_fit import hand_loop
from torch import nn

from skae._modules import MLPHead, SmallCNN
from skae.datasets import fetch_mnist
from skae.studies import PROFILES, make_pipelines, pretrain_autoencoders

WORKERS = 2  # the study's --n-jobs on this 2-core machine


def seed_way(pipeline, X, y, epochs, seed=0):
    """The frozen encoder and the head as one network, trained by a plain loop."""
    torch.manual_seed(seed)  # the head's initial weights
    steps = dict(pipeline.steps)
    if "cnn" in steps:
        module, sgd_lr, clip = SmallCNN(), 0.1, None
    else:
        encoder = steps["encoder"].estimator.net_.module_
        for p in encoder.parameters():
            p.requires_grad_(False)
        module = nn.Sequential(Encoder(encoder), MLPHead(196, 10))
        sgd_lr, clip = None, 1.0
    return hand_loop(
        module,
        X,
        y.astype(np.int64),
        batch_size=16,
        epochs=epochs,
        clip=clip,
        sgd_lr=sgd_lr,
        seed=seed,
    )


class Encoder(nn.Module):
    def __init__(self, autoencoder):
        super().__init__()
        self.autoencoder = autoencoder.eval()

    def forward(self, x):
        return self.autoencoder.encode(x).flatten(1)


@torch.inference_mode()
def accuracy(module, X, y):
    module.eval()
    return float((module(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


def main(profile_name, size, epochs, accuracy_sizes, seeds):
    profile = PROFILES[profile_name]
    out = RESULTS / profile_name
    autoencoders = pretrain_autoencoders(profile, out=out)
    pipelines = make_pipelines(autoencoders, profile)
    X, y = fetch_mnist(return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    draw = np.random.default_rng(0).permutation(len(X))
    paper = PROFILES["paper"]
    paper_images = paper.n_repeats * sum(paper.train_sizes) * paper.head_epochs
    rows, total = [], {"skae": 0.0, "seed's way": 0.0}
    for name, pipeline in pipelines.items():
        train = draw[:size]
        start = time.perf_counter()
        head_name, head = pipeline.steps[-1]
        if "max_epochs" in head.get_params():
            pipeline.set_params(
                **{f"{head_name}__max_epochs": epochs, f"{head_name}__random_state": 0}
            )
        pipeline.fit(X[train], y[train])
        skae_s = time.perf_counter() - start
        row = {"pipeline": name, "skae_s": skae_s}
        extrapolated = {"skae": skae_s * paper_images / (size * epochs)}
        if name.endswith("logreg"):  # no epochs: one cell per size and repeat
            extrapolated["skae"] = skae_s * paper.n_repeats * sum(paper.train_sizes) / size
        else:
            start = time.perf_counter()
            seed_way(pipeline, X[train], y[train], epochs)
            seed_s = time.perf_counter() - start
            row.update({"seed_way_s": seed_s, "speed-up": seed_s / skae_s})
            extrapolated["seed's way"] = seed_s * paper_images / (size * epochs)
        for way, seconds in extrapolated.items():
            total[way] += seconds
            row[f"paper {way} h"] = seconds / 3600
        rows.append(row)
    rows.append(
        {
            "pipeline": f"paper profile, {WORKERS} workers",
            "speed-up": total["seed's way"] / total["skae"],
            **{f"paper {way} h": seconds / WORKERS / 3600 for way, seconds in total.items()},
        }
    )
    agreement = []
    for n in accuracy_sizes:
        for name in ("sparse_ae_mnist", "random_encoder", "cnn"):
            train, pipeline = draw[:n], pipelines[name]
            head_name = pipeline.steps[-1][0]
            skae_acc, seed_acc = [], []
            for seed in range(seeds):  # at few labels the initial weights move accuracy
                pipeline.set_params(**{f"{head_name}__random_state": seed})
                pipeline.fit(X[train], y[train])
                skae_acc.append(float(pipeline.score(X_test, y_test)))
                module = seed_way(pipeline, X[train], y[train], epochs, seed)
                seed_acc.append(accuracy(module, X_test, y_test))
            agreement.append(
                {
                    "pipeline": name,
                    "size": n,
                    "skae_acc": skae_acc,
                    "seed_way_acc": seed_acc,
                    "mean_difference": float(np.mean(skae_acc) - np.mean(seed_acc)),
                }
            )
    report(
        "study_time",
        __doc__.split("\n")[0],
        rows,
        {"profile": profile_name, "size": size, "epochs": epochs, "accuracy": agreement},
    )
    write_rst(rows, agreement)
    print(f"\naccuracy on the 10 000 test images, mean ± std over {seeds} seeds")
    for a in agreement:
        skae_acc, seed_acc = np.array(a["skae_acc"]), np.array(a["seed_way_acc"])
        print(
            f"{a['pipeline']:<16} n={a['size']:<5} skae {skae_acc.mean():.3f} ± "
            f"{skae_acc.std():.3f}  seed's way {seed_acc.mean():.3f} ± {seed_acc.std():.3f}"
        )


def write_rst(rows, agreement):
    """The two tables of the docs' performance page, as reStructuredText."""
    columns = ["skae_s", "seed_way_s", "speed-up", "paper skae h", "paper seed's way h"]
    timing = [[r["pipeline"], *(f"{r[c]:.2f}" if c in r else "-" for c in columns)] for r in rows]
    header = ["pipeline", "skae s", "seed's way s", "speed-up", "paper: skae h", "seed's way h"]
    accuracy = [
        [
            a["pipeline"],
            a["size"],
            f"{100 * np.mean(a['skae_acc']):.1f} ± {100 * np.std(a['skae_acc']):.1f}",
            f"{100 * np.mean(a['seed_way_acc']):.1f} ± {100 * np.std(a['seed_way_acc']):.1f}",
            f"{100 * a['mean_difference']:+.1f}",
        ]
        for a in agreement
    ]
    (RESULTS / "study_time.rst").write_text(
        rst_table(header, timing)
        + "\n"
        + rst_table(["pipeline", "labels", "skae %", "seed's way %", "difference"], accuracy)
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="paper", help="whose autoencoders (paper|quick)")
    parser.add_argument("--size", type=int, default=960, help="labeled images of the timed fit")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--accuracy-sizes", type=int, nargs="*", default=[160, 960])
    parser.add_argument("--seeds", type=int, default=3, help="initial weights per accuracy cell")
    args = parser.parse_args()
    main(args.profile, args.size, args.epochs, args.accuracy_sizes, args.seeds)
