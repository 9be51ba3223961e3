"""Slow end-to-end checks on the full MNIST data (run with ``pytest -m slow``)."""

import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline

from skae import ConvAETransformer, SoftmaxClassifier
from skae.datasets import fetch_mnist


@pytest.mark.slow
def test_sparse_ae_pretraining_helps_with_1000_labels():
    X, y = fetch_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    ae = ConvAETransformer(sparsity=1e-3, max_epochs=3, random_state=0).fit(X)
    pipe = make_pipeline(FrozenEstimator(ae), SoftmaxClassifier(random_state=0))
    pipe.fit(X[:1000], y[:1000])
    assert pipe.score(X_test, y_test) >= 0.88
