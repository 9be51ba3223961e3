"""
=========================================
Anomaly scores from reconstruction errors
=========================================

``score_samples`` gives each image the negative error of its reconstruction, higher meaning
more like the training images: the convention of scikit-learn's outlier detectors. An
autoencoder trained on handwritten digits only reconstructs clothes (FashionMNIST) badly,
so their scores are low, and the score separates the two without any label.
"""

# %%
# Train an autoencoder on 6 000 digits, score digits and clothes it never saw
# ----------------------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

from skae import ConvAETransformer
from skae.datasets import fetch_fashion_mnist, fetch_mnist

X = fetch_mnist(return_X_y=True)[0][:6000]
digits = fetch_mnist(subset="test", return_X_y=True)[0][:1000]
clothes = fetch_fashion_mnist(subset="test", return_X_y=True)[0][:1000]

ae = ConvAETransformer(max_epochs=3, random_state=0).fit(X)
scores = {"MNIST digits": ae.score_samples(digits), "FashionMNIST": ae.score_samples(clothes)}

# %%
# How well does the score tell them apart?
# ----------------------------------------
# The area under the ROC curve of "digit" against the score: 1.0 separates perfectly,
# 0.5 is chance.
is_digit = np.r_[np.ones(1000), np.zeros(1000)]
auc = roc_auc_score(is_digit, np.r_[scores["MNIST digits"], scores["FashionMNIST"]])
print(f"ROC AUC, digits vs clothes: {auc:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, values in scores.items():
    ax.hist(-values, bins=50, alpha=0.6, label=name)
ax.set_xscale("log")
ax.set_xlabel("mean squared reconstruction error (-score_samples)")
ax.set_ylabel("images")
ax.set_title(f"An MNIST autoencoder's errors (ROC AUC {auc:.3f})")
ax.legend()
fig.tight_layout()
