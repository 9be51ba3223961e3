"""Slow end-to-end checks on the full MNIST data (run with ``pytest -m slow``)."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skae import ConvAETransformer, SoftmaxClassifier
from skae.datasets import fetch_mnist


@pytest.mark.slow
def test_sparse_ae_pretraining_helps_with_1000_labels():
    """Mean over 3 seeded draws of 1 000 labels; the first 1 000 images alone are harder."""
    X, y = fetch_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    ae = ConvAETransformer(sparsity=1e-3, max_epochs=3, random_state=0).fit(X)
    pretrained, raw_pixels = [], []
    for seed in range(3):
        labeled = np.random.default_rng(seed).permutation(len(X))[:1000]
        pipe = make_pipeline(FrozenEstimator(ae), SoftmaxClassifier(random_state=seed))
        pretrained.append(pipe.fit(X[labeled], y[labeled]).score(X_test, y_test))
        baseline = LogisticRegression(max_iter=2000).fit(X[labeled], y[labeled])
        raw_pixels.append(baseline.score(X_test, y_test))
    assert np.mean(pretrained) >= 0.88
    assert np.mean(pretrained) > np.mean(raw_pixels)
