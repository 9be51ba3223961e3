"""
============================================
Pretrain an autoencoder, then probe its code
============================================

Pretrain the seed-0 sparse convolutional autoencoder on unlabeled MNIST images, freeze it
with :class:`~sklearn.frozen.FrozenEstimator`, and train a softmax head on a few hundred
labels. Logistic regression on the raw pixels is the baseline to beat.
"""

# %%
# Load data
# ---------
# 10 000 unlabeled training images for pretraining; 500 labeled ones for the head.
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skae import ConvAETransformer, SoftmaxClassifier
from skae.datasets import fetch_mnist
from skae.plots import plot_reconstructions

X, y = fetch_mnist(return_X_y=True)
X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
X_unlabeled, X_labeled, y_labeled = X[:10_000], X[10_000:10_500], y[10_000:10_500]

# %%
# Pretrain without labels
# -----------------------
ae = ConvAETransformer(sparsity=1e-3, max_epochs=2, random_state=0).fit(X_unlabeled)
print(f"reconstruction MSE per epoch: {[round(loss, 4) for loss in ae.loss_curve_]}")
_ = plot_reconstructions(ae, X_test, title="sparse AE")

# %%
# Probe the frozen code with a softmax head
# -----------------------------------------
probe = make_pipeline(FrozenEstimator(ae), SoftmaxClassifier(max_epochs=50, random_state=0))
probe.fit(X_labeled, y_labeled)
baseline = LogisticRegression(max_iter=1000).fit(X_labeled, y_labeled)
print(f"frozen sparse AE + softmax: {probe.score(X_test, y_test):.3f}")
print(f"raw pixels + logistic regression: {baseline.score(X_test, y_test):.3f}")
