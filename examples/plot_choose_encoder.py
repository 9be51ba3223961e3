"""
=====================================================
Choose the pretrained encoder by downstream accuracy
=====================================================

Nothing guarantees that the autoencoder with the lowest reconstruction error is the one
whose codes classify best. With a few labels, let the labels choose: ``GridSearchCV`` over
candidate encoders, each pretrained once on the unlabeled images and wrapped in
``FrozenEstimator`` so that the search never refits them, scored by cross-validated accuracy
on the labeled images.
"""

# %%
# Pretrain three candidates on 10 000 unlabeled images
# ----------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import ConvAETransformer
from skae.datasets import fetch_mnist

X, y = fetch_mnist(return_X_y=True)
X_unlabeled, X_check = X[:10_000], X[10_000:12_000]
settings = dict(lr=5.4e-3, batch_size=128, max_epochs=3, random_state=0)
candidates = {
    "seed-0 conv code (196)": ConvAETransformer(max_epochs=3, random_state=0),
    "dense code, 8": ConvAETransformer(latent_dim=8, **settings),
    "dense code, 33": ConvAETransformer(latent_dim=33, **settings),
}
for ae in candidates.values():
    ae.fit(X_unlabeled)

# %%
# Search with 200 labels
# ----------------------
labeled = np.concatenate([np.flatnonzero(y == digit)[:20] for digit in range(10)]) + 12_000
frozen = [FrozenEstimator(ae) for ae in candidates.values()]
pipe = Pipeline([("encoder", frozen[0]), ("scale", StandardScaler()), ("svc", SVC())])
search = GridSearchCV(pipe, {"encoder": frozen}, cv=StratifiedKFold(5))
search.fit(X[labeled], y[labeled])

accuracy = search.cv_results_["mean_test_score"]
reconstruction = [ae.score(X_check) for ae in candidates.values()]  # -MSE, no labels
for name, acc, score in zip(candidates, accuracy, reconstruction):
    print(f"{name:<24} CV accuracy {acc:.3f}   reconstruction MSE {-score:.4f}")
print("chosen:", list(candidates)[int(np.argmax(accuracy))])

# %%
# Reconstruction error and downstream accuracy
# --------------------------------------------
fig, ax = plt.subplots(figsize=(5.5, 4))
ax.scatter([-s for s in reconstruction], accuracy)
for name, acc, score in zip(candidates, accuracy, reconstruction):
    ax.annotate(name, (-score, acc), textcoords="offset points", xytext=(5, 5), fontsize=8)
ax.set_xlabel("reconstruction MSE on held-out images")
ax.set_ylabel("5-fold CV accuracy, 200 labels")
fig.tight_layout()
