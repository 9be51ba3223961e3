import numpy as np
import pytest
import torch

from skae.datasets import fetch_mnist


@pytest.fixture(autouse=True)
def _seed_everything():
    """Tests that forget a random_state still run the same way every time."""
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def mnist_small():
    """600 training and 300 test MNIST images (data_home from the SKAE_DATA variable)."""
    X, y = fetch_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    return X[:600], y[:600], X_test[:300], y_test[:300]


@pytest.fixture(scope="session")
def fitted_ae(mnist_small):
    from skae import ConvAETransformer

    X = mnist_small[0]
    return ConvAETransformer(max_epochs=5, random_state=0).fit(X)
