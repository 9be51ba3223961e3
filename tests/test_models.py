"""Seed-1 models: dense-latent AE, denoising noise, VAE, transfer head (tiny data)."""

import numpy as np
import pytest
import torch
from scipy.stats import norm
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline

from skae import ConvAETransformer, InputRangeWarning, SoftmaxClassifier, VAETransformer
from skae._autoencoder import AutoencoderNet
from skae.noise import add_noise, corrupt


@pytest.fixture(scope="module")
def digits(mnist_small):
    return mnist_small[0][:300], mnist_small[1][:300]


def test_dense_latent_autoencoder(digits):
    X, _ = digits
    ae = ConvAETransformer(latent_dim=33, dropout=0.1, max_epochs=3, lr=3e-3, random_state=0)
    ae.fit(X)
    assert ae.transform(X).shape == (300, 33)
    reconstruction = ae.reconstruct(X)
    assert reconstruction.min() >= 0 and reconstruction.max() <= 1  # sigmoid output
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]
    with pytest.raises(ValueError, match="dropout needs the dense-latent network"):
        ConvAETransformer(dropout=0.2, max_epochs=1).fit(X)


def test_gaussian_noise_adds_n_05_03():
    noisy = add_noise(np.zeros((200, 784), np.float32), "gaussian", random_state=0)
    # 0 + N(0.5, 0.3) clipped to [0, 1]: symmetric clipping at c = 0.5 / 0.3 sigmas
    c = 0.5 / 0.3
    clipped_var = (2 * norm.cdf(c) - 1) - 2 * c * norm.pdf(c) + 2 * c**2 * norm.sf(c)
    assert noisy.mean() == pytest.approx(0.5, abs=0.002)
    assert noisy.std() == pytest.approx(0.3 * np.sqrt(clipped_var), abs=0.002)


def test_salt_and_pepper_hits_1_pixel_in_20():
    noisy = add_noise(np.full((200, 784), 0.5, np.float32), "salt_pepper", random_state=0)
    hit = noisy != 0.5
    assert hit.mean() == pytest.approx(1 / 20, abs=0.003)
    assert set(np.unique(noisy[hit])) == {0.0, 1.0}
    assert (noisy[hit] == 1).mean() == pytest.approx(0.5, abs=0.03)


def test_speckle_scales_with_the_image():
    X = np.zeros((10, 784), np.float32)
    X[:, :392] = 0.4
    noisy = add_noise(X, "speckle", random_state=0)
    assert (noisy[:, 392:] == 0).all()  # black pixels stay black: x + x * N(0, 0.5)
    assert noisy[:, :392].std() == pytest.approx(0.4 * 0.5, abs=0.01)


def test_noise_is_seeded_and_validated():
    X = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(
        add_noise(X, "speckle", random_state=1), add_noise(X, "speckle", random_state=1)
    )
    with pytest.raises(ValueError, match="kind must be one of"):
        add_noise(X, "poisson")


def test_noise_refuses_or_warns_on_what_it_is_not_defined_for():
    X = np.random.default_rng(0).random((5, 64), dtype=np.float32)
    with pytest.warns(InputRangeWarning, match="Divide by 255"):  # was 99 % white, silently
        add_noise((X * 255).astype(np.uint8), "gaussian", random_state=0)
    for value in (np.nan, np.inf):
        with pytest.raises(ValueError, match="NaN or infinity"):
            add_noise(np.where(X > 0.5, value, X), "speckle", random_state=0)
    for text in (np.array([["0.5", "0.2"]]), np.array([["2020-01-01"]], dtype="datetime64[D]")):
        with pytest.raises(ValueError, match="strings|datetime64"):
            add_noise(text, "gaussian", random_state=0)
    generator = np.random.default_rng(3)
    assert add_noise(X, "gaussian", random_state=generator).shape == X.shape
    tensor = torch.as_tensor(X).requires_grad_()
    np.testing.assert_array_equal(
        add_noise(tensor, "speckle", random_state=0), add_noise(X, "speckle", random_state=0)
    )
    for x in (torch.zeros(2, 3, dtype=torch.uint8), X):
        with pytest.raises(TypeError, match="floating-point torch tensor"):
            corrupt(x, "gaussian")


class _Identity(torch.nn.Module):
    """Returns its input as reconstruction and code: the loss is then input vs target."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x + 0 * self.unused, x


@pytest.mark.parametrize("noise, positive", [(None, False), ("salt_pepper", True)])
def test_denoising_loss_compares_noisy_input_with_clean_image(noise, positive):
    X = torch.full((64, 16), 0.5)
    net = AutoencoderNet(
        _Identity, criterion=torch.nn.MSELoss, noise=noise, max_epochs=1, train_split=None
    ).initialize()
    loss = net.train_step_single((X, None))["loss"].item()
    assert (loss > 0) is positive


def test_vae_transform_is_deterministic_and_generates(digits):
    X, _ = digits
    vae = VAETransformer(latent_dim=4, max_epochs=2, lr=3e-3, random_state=0).fit(X)
    np.testing.assert_array_equal(vae.transform(X), vae.transform(X))
    assert vae.loss_curve_[-1] < vae.loss_curve_[0]
    samples = vae.sample(6, random_state=0)
    assert samples.shape == (6, 784) and 0 <= samples.min() and samples.max() <= 1
    np.testing.assert_array_equal(samples, vae.sample(6, random_state=0))
    np.testing.assert_array_equal(vae.sample(6), samples)  # the estimator's random_state
    path = vae.interpolate(X[0], X[1], steps=5)
    assert path.shape == (5, 784)
    np.testing.assert_allclose(path[[0, -1]], vae.reconstruct(X[:2]), atol=1e-5)


def test_beta_pulls_codes_to_the_prior(digits):
    X, _ = digits
    codes = [
        VAETransformer(latent_dim=4, beta=beta, max_epochs=2, lr=3e-3, random_state=0)
        .fit(X)
        .transform(X)
        for beta in (0.01, 50.0)
    ]
    assert np.abs(codes[1]).mean() < np.abs(codes[0]).mean()


def test_transfer_head_has_few_parameters(digits):
    X, y = digits
    ae = ConvAETransformer(latent_dim=33, max_epochs=1, random_state=0).fit(X)
    head = SoftmaxClassifier(hidden_units=(128,), lr=5e-3, max_epochs=2, random_state=0)
    make_pipeline(FrozenEstimator(ae), head).fit(X, y)
    trainable = sum(p.numel() for p in head.net_.module_.parameters())
    assert trainable == 33 * 128 + 128 + 128 * 10 + 10 < 10_000


def test_deterministic_autoencoder_interpolates_too(digits):
    X, _ = digits
    ae = ConvAETransformer(latent_dim=4, max_epochs=1, random_state=0).fit(X)
    path = ae.interpolate(X[0], X[1], steps=3)
    np.testing.assert_allclose(path[[0, -1]], ae.reconstruct(X[:2]), atol=1e-5)
