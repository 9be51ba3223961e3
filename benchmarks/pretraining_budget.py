"""Claim: the few-label study's codes beat pixels only once the autoencoder has seen enough.

The quick profile once pretrained the dense AE 5 epochs on 10 000 MNIST images and its codes
lost to PCA-50 pixels at 100 labels (Poisson learning 71-77 % on codes, 89.9-91.6 % on the
PCAs); the paper profile (30 epochs on 60 000) shows codes beating pixels. This measures
where between the two the codes start to win.

For each pool (MNIST's first ``n`` training images, as the study keeps them) the study's
dense AE (seed-1's best: latent 33, lr 5.4e-3, batch 128, seed 0) trains budget after
budget: ``--epochs`` 5, 10, ... are one training continued (``warm_start``, each fit
seeded by the epochs already run), so budget ``e`` has seen ``pool x e x 784`` pixels.
The 60 000 x 30 point is the paper profile's cached autoencoder
(``results/few_labels/autoencoders``); its time is that of its own epochs, as recorded.

Each budget is scored at 100 labels (10 per class) on the full 10 000-image test set,
mean over 3 labeled draws (the study's ``labeled_draw``, draws 0-2), by the study's own
cells (``_run``): SVC on standardized codes (``frozen_svc``) and inductive Poisson
learning on the codes (``poisson_inductive``), and the same two on the top 50 principal
components of the same pool's pixels (the reference: no pretraining).

Run: ``SKAE_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/pretraining_budget.py``
(about 20 minutes on one core); writes ``results/pretraining_budget.json`` and
``results/pretraining_budget.png``.
"""

import argparse
import time

import numpy as np
import torch
from _common import RESULTS, cached_model, report
from sklearn.decomposition import PCA

from skae import ConvAETransformer
from skae.studies._data import study_data
from skae.studies._few_labels import FEW_LABELS_PROFILES, _run
from skae.studies._profiles import SEED1_BEST

METHODS = {"frozen_svc": "svc", "poisson_inductive": "poisson"}
N_LABELS = 100
PAPER = (60_000, 30)  # the paper profile's pretraining, cached by its run


def autoencoder(image_shape, max_epochs):
    """The study's dense AE (``_few_labels._representations``), unfitted, warm-startable."""
    return ConvAETransformer(
        image_shape=image_shape,
        latent_dim=SEED1_BEST["latent_dim"],
        lr=SEED1_BEST["lr"],
        batch_size=SEED1_BEST["batch_size"],
        max_epochs=max_epochs,
        random_state=0,
        warm_start=True,
    )


def scores(data, encoder, representation, n_draws):
    """Accuracy (%) of each method on ``encoder``'s features, one per labeled draw."""
    profile = FEW_LABELS_PROFILES["paper"]  # frozen_svc and Poisson use none of its fields
    encoders = {representation: encoder}
    return {
        short: [
            100 * _run(cell, data, encoders, profile, "cpu")["accuracy"]
            for cell in (
                {"dataset": data.name, "n_labels": N_LABELS, "draw": draw,
                 "representation": representation, "method": method}
                for draw in range(n_draws)
            )
        ]
        for method, short in METHODS.items()
    }  # fmt: skip


def measure_pool(pool, epochs, n_draws, data_home):
    """One row per epoch budget of ``pool`` images, with the PCA-50 reference beside."""
    data = study_data("mnist", data_home=data_home, n_pool=pool, n_test=10_000)
    pca = PCA(n_components=50, random_state=0).fit(data.X)
    reference = scores(data, pca, "pixels_pca50", n_draws)
    ae, seconds, rows = autoencoder(data.image_shape, 0), 0.0, []
    for budget in epochs:
        if (pool, budget) == PAPER:
            model = cached_model("few_labels/autoencoders", "dense_ae_mnist")
            spent, source = float(sum(model.net_.history[:, "dur"])), "paper profile's cache"
        else:
            ae.set_params(max_epochs=budget - ae.n_epochs_ if hasattr(ae, "net_") else budget)
            start = time.perf_counter()
            ae.fit(data.X)
            seconds += time.perf_counter() - start
            model, spent, source = ae, seconds, "trained here"
        codes = scores(data, model, "dense_ae", n_draws)
        rows.append(
            {
                "pool": pool,
                "epochs": budget,
                "pixels_seen": pool * budget * data.X.shape[1],
                "pretrain_s": round(spent, 1),
                "svc_codes": _mean(codes["svc"]),
                "svc_pca50": _mean(reference["svc"]),
                "poisson_codes": _mean(codes["poisson"]),
                "poisson_pca50": _mean(reference["poisson"]),
                "poisson_gain": _mean(codes["poisson"]) - _mean(reference["poisson"]),
                "poisson_codes_std": round(float(np.std(codes["poisson"])), 2),
                "ae_source": source,
            }
        )
        print(rows[-1], flush=True)
    return rows


def _mean(values):
    return round(float(np.mean(values)), 2)


def plot(rows):
    """Accuracy against pixels seen (log x), one panel per method; dashed: PCA-50 pixels."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    pools = sorted({row["pool"] for row in rows})
    for ax, (short, title) in zip(
        axes, [("poisson", "Poisson learning (inductive)"), ("svc", "SVC, standardized")]
    ):
        for color, pool in zip(plt.cm.viridis(np.linspace(0, 0.8, len(pools))), pools):
            mine = sorted((r for r in rows if r["pool"] == pool), key=lambda r: r["epochs"])
            x = [r["pixels_seen"] for r in mine]
            images = f"{pool:,}".replace(",", " ")
            ax.plot(x, [r[f"{short}_codes"] for r in mine], "o-", color=color,
                    label=f"codes, pool {images}")  # fmt: skip
            for r in mine:
                ax.annotate(f"{r['epochs']}", (r["pixels_seen"], r[f"{short}_codes"]),
                            textcoords="offset points", xytext=(3, -10), fontsize=7)  # fmt: skip
            ax.axhline(mine[0][f"{short}_pca50"], color=color, ls="--", lw=1,
                       label=f"PCA-50 pixels, pool {images}")  # fmt: skip
        ax.set(xscale="log", xlabel="pixels seen in pretraining (pool x epochs x 784)",
               ylabel="test accuracy (%)", title=f"MNIST, 100 labels: {title}")  # fmt: skip
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    figure.suptitle("Dense-AE codes against pixels by pretraining budget (numbers: epochs)")
    return figure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, nargs="+", default=[10_000, 20_000, 60_000])
    parser.add_argument("--epochs", type=int, nargs="+", default=[5, 10, 20, 30, 60])
    parser.add_argument(
        "--max-pixels",
        type=float,
        default=2 * 60_000 * 784 * 30,
        help="skip budgets above this many pixels (default: twice the paper's)",
    )
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--data-home")
    args = parser.parse_args()
    rows = []
    for pool in args.pools:
        epochs = [e for e in sorted(args.epochs) if pool * e * 784 <= args.max_pixels]
        rows += measure_pool(pool, epochs, args.draws, args.data_home)
    claim = (
        f"MNIST, {N_LABELS} labels, full test set, mean of {args.draws} draws: accuracy (%) of "
        "dense-AE codes vs PCA-50 pixels of the same pool, by pretraining budget "
        f"({torch.get_num_threads()} torch thread(s))"
    )
    report("pretraining_budget", claim, rows)
    plot(rows).savefig(RESULTS / "pretraining_budget.png", dpi=120)
    print(f"wrote {RESULTS / 'pretraining_budget.png'}")


if __name__ == "__main__":
    main()
