"""
============================================================
Few labels: frozen codes, fine-tuning, graphs, pseudo-labels
============================================================

Four ways to use an autoencoder pretrained on unlabeled images when only 100 images are
labeled, against the same networks trained on the labels alone:

* a frozen encoder and a softmax head (the seed-0 study's way);
* :class:`skae.EncoderClassifier`: the encoder fine-tuned with the head, after a few epochs
  of training the head alone; ``EncoderClassifier(None)`` is the same network from scratch;
* scikit-learn's ``LabelSpreading`` and Poisson learning
  (:class:`skae.semi_supervised.GraphClassifier`) on the frozen codes of all training
  images, the unlabeled ones marked ``-1`` (they predict new images by their neighbours in
  the graph);
* :class:`skae.semi_supervised.PseudoLabelClassifier`: a CNN trained on the pixels of all
  training images with the labels Poisson learning gives them.

Small and quick (10 000 training images, a few epochs): the numbers illustrate, the
few-label study measures.
"""

# %%
# Pretrain on 10 000 unlabeled images; label 10 of each digit
# ------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading

from skae import CNNClassifier, ConvAETransformer, EncoderClassifier, SoftmaxClassifier
from skae.datasets import fetch_mnist
from skae.semi_supervised import GraphClassifier, PseudoLabelClassifier

X, y = fetch_mnist(return_X_y=True)
X, y = X[:10_000], y[:10_000]
X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
labeled = np.concatenate([np.flatnonzero(y == digit)[:10] for digit in range(10)])
y_partial = np.full_like(y, -1)
y_partial[labeled] = y[labeled]

ae = ConvAETransformer(max_epochs=5, random_state=0).fit(X)  # no labels used

# %%
# Train each method
# -----------------
head = dict(lr=1e-2, max_epochs=60, random_state=0)
network = dict(lr=1e-3, max_epochs=100, random_state=0)  # lr 1e-2 kills the new ReLUs
poisson = make_pipeline(FrozenEstimator(ae), StandardScaler(), GraphClassifier())
wide_cnn = CNNClassifier(
    channels=(32, 64), optimizer="adam", lr=1e-3, batch_size=128, max_epochs=3, random_state=0
)
supervised = {  # trained on the 100 labeled images alone
    "frozen codes + softmax": make_pipeline(
        FrozenEstimator(ae), StandardScaler(), SoftmaxClassifier(**head)
    ),
    "fine-tuned encoder": EncoderClassifier(ae, freeze_epochs=30, **network),
    "same network, from scratch": EncoderClassifier(None, **network),
}
semi_supervised = {  # trained on all 10 000 images, 100 of them labeled
    "label spreading on codes": make_pipeline(
        FrozenEstimator(ae), StandardScaler(), LabelSpreading(kernel="knn", n_neighbors=10)
    ),
    "Poisson learning on codes": poisson,
    "CNN on Poisson's labels": PseudoLabelClassifier(poisson, wide_cnn),
}
accuracy = {}
training_sets = [(supervised, X[labeled], y[labeled]), (semi_supervised, X, y_partial)]
for methods, X_fit, y_fit in training_sets:
    for name, model in methods.items():
        accuracy[name] = model.fit(X_fit, y_fit).score(X_test, y_test)
        print(f"{name:<28} {accuracy[name]:.3f} on the 10 000 test images")

# %%
# Compare
# -------
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.barh(list(accuracy), list(accuracy.values()), color=["C0", "C1", "C7", "C2", "C3", "C4"])
ax.invert_yaxis()
ax.set_xlim(0, 1)
ax.set_xlabel("test accuracy, 100 labels")
for i, value in enumerate(accuracy.values()):
    ax.text(value + 0.01, i, f"{value:.3f}", va="center")
fig.tight_layout()
