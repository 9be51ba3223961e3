"""Claim: skae's training loop costs (almost) nothing over a hand-written PyTorch loop.

Same module, data, batch size, optimizer and epochs; the hand-written loop shuffles with
``randperm``, slices tensors and logs the loss of every batch (``loss.item()``), as any
useful loop does. Rounds are interleaved; ratios of the medians and of the fastest rounds.

* AE pretraining: ``ConvAETransformer.fit`` at batch 32 (target ratio >= 0.95).
* Head training: ``SoftmaxClassifier.fit`` at batch 16 on 196 cached code features, with
  gradient-norm clipping at 1.0 (target ratio >= 0.9): 10 epochs on 4 000 codes, and a
  short fit, one epoch on 12 000 codes, where any per-fit setup cost would show.
  A third contender is plain skorch: a ``NeuralNet`` of the same module as a skorch user
  writes it (``DataLoader``, ``GradientNormClipping``, no validation split).

Run: ``SKAE_DATA=../shared/data python benchmarks/bench_fit.py [--quick]``
"""

import argparse
import statistics

import numpy as np
import torch
from _common import interleaved, report, speed_ratios
from skorch import NeuralNet
from skorch.callbacks import GradientNormClipping
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


def plain_skorch_head(codes, labels, epochs):
    """The head as plain skorch trains it: the contender for skae's own skorch subclass."""
    torch.manual_seed(0)
    net = NeuralNet(
        MLPHead,
        module__n_features=codes.shape[1],
        module__n_classes=10,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=16,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        callbacks=[GradientNormClipping(1.0)],
        verbose=0,
    )
    return net.fit(codes, labels)


def compare(name, contenders, n_images, epochs, repeats):
    """Interleaved rounds of ``contenders`` (skae, hand-written, maybe plain skorch)."""
    times = interleaved(contenders, repeats)
    seconds = {name: statistics.median(t) for name, t in times.items()}
    row = {"benchmark": name, "images": n_images, "epochs": epochs}
    row |= {f"{name}_img/s": n_images * epochs / s for name, s in seconds.items()}
    row |= speed_ratios(times)
    if "plain skorch" in times:
        row["plain_skorch_ratio"] = seconds["hand-written"] / seconds["plain skorch"]
    return row | {f"{name}_times": t for name, t in times.items()}


def head_contenders(codes, labels, epochs):
    return {
        "skae": lambda: SoftmaxClassifier(max_epochs=epochs, random_state=0).fit(codes, labels),
        "hand-written": lambda: hand_loop(
            MLPHead(codes.shape[1], 10), codes, labels, batch_size=16, epochs=epochs, clip=1.0
        ),
        "plain skorch": lambda: plain_skorch_head(codes, labels, epochs),
    }


def main(quick):
    X, y = fetch_mnist(return_X_y=True)
    n_ae, n_head, repeats = (5_000, 1_000, 3) if quick else (20_000, 4_000, 9)
    X_ae = X[:n_ae]
    ae_epochs, head_epochs = 1, 5 if quick else 10
    ae_fit = {
        "skae": lambda: ConvAETransformer(max_epochs=ae_epochs, random_state=0).fit(X_ae),
        "hand-written": lambda: hand_loop(ConvAE(), X_ae, None, batch_size=32, epochs=ae_epochs),
    }
    rows = [compare("AE fit, batch 32", ae_fit, n_ae, ae_epochs, repeats)]
    n_short = 3_000 if quick else 12_000
    encoder = ConvAETransformer(max_epochs=0, random_state=0).fit(X[:10])
    codes, labels = encoder.transform(X[:n_short]), y[:n_short].astype(np.int64)
    for name, n, epochs in [
        ("softmax head fit, batch 16", n_head, head_epochs),
        ("softmax head, one short fit", n_short, 1),
    ]:
        contenders = head_contenders(codes[:n], labels[:n], epochs)
        rows.append(compare(name, contenders, n, epochs, repeats))
    table = [{k: v for k, v in row.items() if not k.endswith("_times")} for row in rows]
    report("fit_throughput", __doc__.split("\n")[0], table, {"raw": rows})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer rounds")
    main(parser.parse_args().quick)
