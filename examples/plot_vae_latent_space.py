"""
============================================
VAE: latent space, samples and interpolation
============================================

A :class:`skae.VAETransformer` with a 2-D latent space, trained briefly on unlabeled digits:
its codes coloured by digit (the labels are only used for the colours), new digits sampled
from the prior, and a walk between the codes of a 0 and a 9.
"""

# %%
from skae import VAETransformer
from skae.datasets import fetch_mnist
from skae.plots import plot_interpolation, plot_latent_space

X, y = fetch_mnist(return_X_y=True)
vae = VAETransformer(latent_dim=2, batch_size=64, max_epochs=4, random_state=0).fit(X[:5000])

# %%
# Latent space
# ------------
_ = plot_latent_space(vae.transform(X[8000:10000]), y[8000:10000], method=None, title="2-D VAE")

# %%
# Interpolation from a 0 to a 9, and samples from the prior
# ---------------------------------------------------------
_ = plot_interpolation(vae, X[y == 0][0], X[y == 9][0], steps=8)
print(vae.sample(4, random_state=0).shape)
