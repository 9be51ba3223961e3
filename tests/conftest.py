import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

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


class CtrlCAt(Callback):
    """Simulates Ctrl-C after the first batch of the given epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


@pytest.fixture
def ctrl_c(monkeypatch):
    """``ctrl_c(EstimatorClass, epoch)``: every fit of that class gets a Ctrl-C in ``epoch``."""

    def inject(estimator_class, epoch):
        make_net = estimator_class._net

        def net_with_ctrl_c(self, *args, **kwargs):
            net = make_net(self, *args, **kwargs)
            net.callbacks.append(("ctrl_c", CtrlCAt(epoch)))
            return net

        monkeypatch.setattr(estimator_class, "_net", net_with_ctrl_c)

    return inject
