"""Claim: ``ConvAETransformer.transform`` encodes as fast as a hand-written inference loop.

Encodes the 60 000 MNIST training images with the seed-0 encoder, ``transform`` vs a plain
``torch.inference_mode`` loop over batches of the same size (1 024), interleaved rounds,
ratios of the medians and of the fastest rounds (target >= 0.95). Each contender's peak
memory is measured in a fresh process (peak RSS above the RSS after loading the data): both
are batched, so it stays far below the 60 000 x 8 x 28 x 28 floats (1.5 GB) of the first
layer's activations at once.

Run: ``SKAE_DATA=../shared/data python benchmarks/bench_encoding.py [--quick]``
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
from functools import partial

import numpy as np
import torch
from _common import interleaved, report, speed_ratios

from skae import ConvAETransformer
from skae._base import INFERENCE_BATCH_SIZE
from skae.datasets import fetch_mnist


def hand_encode(module, X):
    """The plain PyTorch inference loop skae is measured against."""
    module.eval()
    with torch.inference_mode():
        batches = torch.from_numpy(X).split(INFERENCE_BATCH_SIZE)
        return torch.cat([module.encode(b).flatten(1) for b in batches]).numpy()


def peak_memory_mb(which):
    """Peak RSS growth (MB) while encoding the 60 000 images, in a fresh process."""
    code = f"import bench_encoding as b, json; print(json.dumps(b._measure_peak({which!r})))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=sys.path[0],
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _measure_peak(which):
    """RSS growth while encoding, sampled every millisecond (Linux)."""
    X = fetch_mnist(return_X_y=True)[0]
    ae = ConvAETransformer(max_epochs=0, random_state=0).fit(X[:10])
    encode = ae.transform if which == "skae" else partial(hand_encode, ae.net_.module_)
    baseline, peak, done = _rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.wait(0.001):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample)
    sampler.start()
    encode(X)
    done.set()
    sampler.join()
    return max(peak[0], _rss_mb()) - baseline


def main(quick):
    X = fetch_mnist(return_X_y=True)[0]
    X = X[:10_000] if quick else X
    ae = ConvAETransformer(max_epochs=0, random_state=0).fit(X[:10])
    np.testing.assert_array_equal(ae.transform(X[:100]), hand_encode(ae.net_.module_, X[:100]))
    times = interleaved(
        {"skae": lambda: ae.transform(X), "hand-written": lambda: hand_encode(ae.net_.module_, X)},
        3 if quick else 9,
    )
    skae_s, hand_s = statistics.median(times["skae"]), statistics.median(times["hand-written"])
    row = {
        "images": len(X),
        "skae_img/s": len(X) / skae_s,
        "hand_img/s": len(X) / hand_s,
        **speed_ratios(times),
        "skae_peak_MB": peak_memory_mb("skae"),
        "hand_peak_MB": peak_memory_mb("hand"),
    }
    report("encoding_throughput", __doc__.split("\n")[0], [row], {"raw": times})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 000 images, 3 rounds")
    main(parser.parse_args().quick)
