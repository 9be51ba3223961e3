"""Claim: skae's training loop costs (almost) nothing over a hand-written PyTorch loop.

Same module, data, batch size, optimizer and epochs; the hand-written loop shuffles with
``randperm``, slices tensors and logs the loss of every batch (``loss.item()``), as any
useful loop does. Rounds are interleaved; ratios of the medians and of the fastest rounds.

* AE pretraining: ``ConvAETransformer.fit`` at batch 32 (target ratio >= 0.95).
* Head training: ``SoftmaxClassifier.fit`` at batch 16 on 196 cached code features, with
  gradient-norm clipping at 1.0 (target ratio >= 0.9).

Run: ``SKAE_DATA=../shared/data python benchmarks/bench_fit.py [--quick]``
"""

import argparse
import statistics

import numpy as np
import torch
from _common import interleaved, report, speed_ratios
from torch.nn import functional as F

from skae import ConvAETransformer, SoftmaxClassifier
from skae._modules import ConvAE, MLPHead
from skae.datasets import fetch_mnist


def hand_loop(module, X, y, *, batch_size, epochs, clip=None, seed=0, sgd_lr=None):
    """The plain PyTorch training loop skae is measured against (Adam 1e-3, or SGD)."""
    torch.manual_seed(seed)
    parameters = [p for p in module.parameters() if p.requires_grad]
    if sgd_lr is None:
        optimizer = torch.optim.Adam(parameters, lr=1e-3)
    else:
        optimizer = torch.optim.SGD(parameters, lr=sgd_lr)
    X = torch.from_numpy(X)
    y = None if y is None else torch.from_numpy(y)
    for _ in range(epochs):
        total = 0.0
        for batch in torch.randperm(len(X)).split(batch_size):
            xb = X[batch]
            if y is None:
                loss = F.mse_loss(module(xb)[0], xb)
            else:
                loss = F.cross_entropy(module(xb), y[batch])
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(module.parameters(), clip)
            optimizer.step()
            total += loss.item()
    return module


def compare(name, skae_fit, hand_fit, n_images, epochs, repeats):
    times = interleaved({"skae": skae_fit, "hand-written": hand_fit}, repeats)
    skae_s, hand_s = statistics.median(times["skae"]), statistics.median(times["hand-written"])
    return {
        "benchmark": name,
        "images": n_images,
        "epochs": epochs,
        "skae_img/s": n_images * epochs / skae_s,
        "hand_img/s": n_images * epochs / hand_s,
        **speed_ratios(times),
        "skae_times": times["skae"],
        "hand_times": times["hand-written"],
    }


def main(quick):
    X, y = fetch_mnist(return_X_y=True)
    n_ae, n_head, repeats = (5_000, 1_000, 3) if quick else (20_000, 4_000, 9)
    X_ae = X[:n_ae]
    ae_epochs, head_epochs = 1, 5 if quick else 10
    rows = [
        compare(
            "AE fit, batch 32",
            lambda: ConvAETransformer(max_epochs=ae_epochs, random_state=0).fit(X_ae),
            lambda: hand_loop(ConvAE(), X_ae, None, batch_size=32, epochs=ae_epochs),
            n_ae,
            ae_epochs,
            repeats,
        )
    ]
    codes = ConvAETransformer(max_epochs=0, random_state=0).fit(X[:10]).transform(X[:n_head])
    labels = y[:n_head].astype(np.int64)
    rows.append(
        compare(
            "softmax head fit, batch 16",
            lambda: SoftmaxClassifier(max_epochs=head_epochs, random_state=0).fit(codes, labels),
            lambda: hand_loop(
                MLPHead(codes.shape[1], 10),
                codes,
                labels,
                batch_size=16,
                epochs=head_epochs,
                clip=1.0,
            ),
            n_head,
            head_epochs,
            repeats,
        )
    )
    table = [{k: v for k, v in row.items() if not k.endswith("_times")} for row in rows]
    report("fit_throughput", __doc__.split("\n")[0], table, {"raw": rows})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer rounds")
    main(parser.parse_args().quick)
