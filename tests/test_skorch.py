"""skae's skorch net against plain skorch: a skorch change to what SkaeNet overrides fails here."""

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from skorch.callbacks import GradientNormClipping

from skae._modules import MLPHead
from skae._skorch import InMemoryLoader, SkaeNet


@pytest.mark.parametrize("clip", [None, 0.5])
def test_skae_net_trains_like_a_plain_skorch_net(clip):
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.random((64, 20), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 3, 64))
    common = dict(
        module=MLPHead,
        module__n_features=20,
        module__n_classes=3,
        module__hidden_units=(8,),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-2,
        batch_size=16,
        max_epochs=2,
        train_split=None,
        iterator_train=InMemoryLoader,
        iterator_train__shuffle=True,
        verbose=0,
    )
    plain_callbacks = [] if clip is None else [GradientNormClipping(clip)]
    nets = [NeuralNet(**common, callbacks=plain_callbacks), SkaeNet(**common, clip_grad_norm=clip)]
    for net in nets:
        torch.manual_seed(0)
        net.fit(X, y)
    plain, skae = (net.module_.state_dict() for net in nets)
    for name in plain:
        torch.testing.assert_close(skae[name], plain[name], rtol=0, atol=1e-6)
    assert nets[1].history[:, "train_loss"] == pytest.approx(nets[0].history[:, "train_loss"])
