"""Claim: the seed-0 random encoder's accuracy depends on the input scaling, not on its weights.

The paper standardised its inputs (mean 0.1307, std 0.3081); skae feeds [0, 1] pixels. A
frozen random encoder passes the input's scale on to its codes, and the softmax head (Adam
1e-3, gradient clipping at 1.0, batch 16, 100 epochs) learns more slowly on small codes. Same
random weights, same labeled draw, same head seed; only the input scaling differs. Accuracy on
all 10 000 test images.

Run: ``SKAE_DATA=../shared/data python benchmarks/random_encoder_inputs.py``
"""

import numpy as np
from _common import report
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skae import ConvAETransformer, SoftmaxClassifier
from skae.datasets import fetch_mnist


def standardise(X):
    return ((X - 0.1307) / 0.3081).astype(np.float32)


def main(sizes=(160, 960, 8000)):
    X, y = fetch_mnist(return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    draw = np.random.default_rng(0).permutation(len(X))
    scalings = {"[0, 1]": "passthrough", "standardised": FunctionTransformer(standardise)}
    rows = []
    for n in sizes:
        for name, scaling in scalings.items():
            pipe = make_pipeline(
                scaling,
                ConvAETransformer(max_epochs=0, random_state=0),  # random frozen weights
                SoftmaxClassifier(max_epochs=100, random_state=0),
            ).fit(X[draw[:n]], y[draw[:n]])
            codes = pipe[:-1].transform(X[:2000])
            rows.append(
                {
                    "labels": n,
                    "inputs": name,
                    "code_std": float(codes.std()),
                    "test_accuracy": float(pipe.score(X_test, y_test)),
                }
            )
    report("random_encoder_inputs", __doc__.split("\n")[0], rows)


if __name__ == "__main__":
    main()
