"""
=====================================
Tune an autoencoder without any label
=====================================

:meth:`skae.ConvAETransformer.score` is the negative reconstruction error, so
:class:`~sklearn.model_selection.GridSearchCV` can choose the learning rate and the sparsity
weight from unlabeled images alone.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.model_selection import GridSearchCV

from skae import ConvAETransformer
from skae.datasets import fetch_mnist

X = fetch_mnist(return_X_y=True)[0][:4000]
search = GridSearchCV(
    ConvAETransformer(max_epochs=1, random_state=0),
    {"lr": [1e-4, 1e-3, 1e-2], "sparsity": [0.0, 1e-2]},
    cv=2,
).fit(X)
print("best:", search.best_params_, f"MSE {-search.best_score_:.4f}")

# %%
# Reconstruction error of each setting
# ------------------------------------
fig, ax = plt.subplots(figsize=(6, 3.5))
results = search.cv_results_
for sparsity in (0.0, 1e-2):
    rows = [i for i, p in enumerate(results["params"]) if p["sparsity"] == sparsity]
    lrs = [results["params"][i]["lr"] for i in rows]
    ax.plot(lrs, [-results["mean_test_score"][i] for i in rows], "o-", label=f"{sparsity=}")
ax.set(xscale="log", xlabel="learning rate", ylabel="validation MSE")
ax.legend()
