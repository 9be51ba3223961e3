"""
==============================
Denoising autoencoder in brief
==============================

``ConvAETransformer(noise=...)`` trains on corrupted images and is scored against the clean
ones. :func:`skae.noise.add_noise` makes a noisy test set with the same definitions.
"""

# %%
# Train a dense-latent denoising autoencoder on 6 000 unlabeled digits
# ---------------------------------------------------------------------
import numpy as np

from skae import ConvAETransformer
from skae.datasets import fetch_mnist
from skae.noise import add_noise
from skae.plots import plot_denoising, plot_noise_examples

X = fetch_mnist(return_X_y=True)[0][:6000]
X_test = fetch_mnist(subset="test", return_X_y=True)[0][:1000]
_ = plot_noise_examples(X_test)

denoiser = ConvAETransformer(
    latent_dim=33, noise="gaussian", lr=5.4e-3, batch_size=128, max_epochs=4, random_state=0
).fit(X)

# %%
# Reconstruct noisy test images
# -----------------------------
noisy = add_noise(X_test, "gaussian", random_state=0)
mse_noisy = np.mean((noisy - X_test) ** 2)
mse_denoised = np.mean((denoiser.reconstruct(noisy) - X_test) ** 2)
print(f"MSE to the clean images: noisy {mse_noisy:.4f}, denoised {mse_denoised:.4f}")
_ = plot_denoising(denoiser, X_test, "gaussian")
