"""
==================================================
Ladder network: learn from 100 labels and the rest
==================================================

:class:`~skae.semi_supervised.LadderClassifier` is the ladder network of Rasmus et al.
(2015): a classifier trained jointly with a denoising autoencoder whose decoder cleans up
every layer of a noisy encoder pass. The labeled samples drive the cross-entropy, every
sample drives the denoising costs; unlabeled samples are marked ``-1``, scikit-learn's
semi-supervised convention. Setting every denoising weight to 0 gives the same network
trained on the labels only (with the same noise): the paper's supervised baseline.

The paper trains 784-1000-500-250-250-250-10 for 150 epochs on 60 000 images; here a
smaller network sees 5 000 images for 8 epochs (under a minute on one core), enough to see
the unlabeled images help.
"""

# %%
# 5 000 training images, 100 of them labeled
# ------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from skae.datasets import load_dataset
from skae.semi_supervised import LadderClassifier

mnist = load_dataset("mnist")  # data_home: the SKAE_DATA folder
X, y_true = mnist.data[:5000], mnist.target[:5000]
X_test, y_test = mnist.data_test[:2000], mnist.target_test[:2000]
labeled = np.concatenate([np.flatnonzero(y_true == digit)[:10] for digit in range(10)])
y = np.full_like(y_true, -1)  # -1: unlabeled
y[labeled] = y_true[labeled]

# %%
# The ladder and its supervised baseline, epoch by epoch
# ------------------------------------------------------
# ``partial_fit`` trains one epoch at a constant learning rate (``fit`` would anneal it
# over its last third). Each batch joins 100 of all the images to the 100 labeled ones.
# ``denoising_costs`` weighs each layer's denoising cost, the input's first: the paper's
# values for 100 labels are 1000 for the pixels, 10 for the first hidden layer, 0.1 above.
params = {"hidden_units": (500, 250), "lr": 0.005, "random_state": 0}
models = {
    "ladder": LadderClassifier(denoising_costs=(1000, 10, 0.1, 0.1), **params),
    "labels only": LadderClassifier(denoising_costs=(0, 0, 0, 0), **params),
}
accuracy = {name: [] for name in models}
for epoch in range(8):
    for name, model in models.items():
        model.partial_fit(X, y)
        accuracy[name].append(model.score(X_test, y_test))
for name, scores in accuracy.items():
    print(f"{name}: test accuracy {scores[-1]:.3f} after {len(scores)} epochs")

# %%
# Plot the test accuracy
# ----------------------
fig, ax = plt.subplots(figsize=(6, 4))
for name, scores in accuracy.items():
    ax.plot(range(1, len(scores) + 1), scores, marker="o", label=name)
ax.set(xlabel="epoch (passes over the 5 000 images)", ylabel="test accuracy")
ax.set_title("100 MNIST labels: the ladder network against its supervised baseline")
ax.legend()
fig.tight_layout()

# %%
# The convolutional Gamma-model
# -----------------------------
# ``architecture="conv"`` is the paper's Conv-Small with a denoising cost on the top layer
# only (99.11 % on MNIST with 100 labels after 150 epochs of 60 000 images). It takes images
# as they are, ``(n, H, W)`` or ``(n, C, H, W)``. A convolutional step costs about ten fully
# connected ones on a CPU: two epochs of narrower maps here, far from converged; the real
# thing is for a GPU (``device="cuda"``) or a long run.
conv = LadderClassifier(
    architecture="conv", channels=(8, 16, 16, 32), lr=0.005, max_epochs=2, random_state=0
)
conv.fit(X.reshape(-1, 28, 28), y)
print(f"Gamma-model after 2 epochs: {conv.score(X_test.reshape(-1, 28, 28), y_test):.3f}")
