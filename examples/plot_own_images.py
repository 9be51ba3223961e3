"""
======================================
Run the study on your own images
======================================

A folder of images, one subfolder per class and an ``unlabeled/`` subfolder, is all the
few-label study needs. Here the folder is made from scikit-learn's bundled 8x8 digits (so the
example runs anywhere, offline); point :func:`skae.datasets.load_dataset` and
:func:`skae.studies.run_few_labels` (or ``skae few-labels --dataset PATH``) at your own.

A small profile of its own keeps this page quick (5 and 20 labels per class, 2 draws, 4 of
the study's methods); the ``quick`` and ``paper`` profiles are the real runs.
"""

# %%
# Write a folder of PNG images
# ----------------------------
# ``my_digits/<class>/*.png`` holds the labeled images, ``my_digits/unlabeled/*.png`` the rest:
# a third of the images here, as a camera or a scanner would add them without labels.
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

from skae.datasets import load_dataset
from skae.studies import FewLabelsProfile, answer_few_labels, format_few_labels, run_few_labels

root = Path(tempfile.mkdtemp()) / "my_digits"
digits = load_digits()
for i, (image, label) in enumerate(zip(digits.images, digits.target)):
    folder = root / ("unlabeled" if i % 3 == 0 else f"digit_{label}")
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray((image * 255 / 16).astype(np.uint8)).save(folder / f"{i:04d}.png")

# %%
# Load it: one layout whatever the source
# ---------------------------------------
# ``data`` is (n, C*H*W) float32 in [0, 1], ``images`` (n, C, H, W), ``target`` -1 for the
# unlabeled images. The folder has no ``test/`` split, so the study will hold out a
# stratified 20 % of the labeled images.
data = load_dataset(root)
print(data.DESCR)
fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
for ax, image, label in zip(axes, data.images[::150], data.target[::150]):
    ax.imshow(image[0], cmap="gray")
    ax.set_title(data.target_names[label] if label >= 0 else "unlabeled", fontsize=7)
    ax.axis("off")

# %%
# Run the study
# -------------
# A profile is a dataclass: label budgets per class, draws, epochs (the autoencoder's 200
# epochs over the 1 557 pool images, unlabeled and labeled: about 15 s on 2 idle cores).
# From the shell: ``skae few-labels --dataset my_digits --profile quick --out results/mine``.
profile = FewLabelsProfile(
    labels_per_class=(5, 20), n_draws=2, ae_epochs=200, ae_pixels=0, epochs=30
)
out = root.parent / "results"
methods = ["cnn", "frozen_svc", "poisson_inductive", "poisson_transductive"]
rows = run_few_labels(profile, out=out, datasets=[root], methods=methods, verbose=0)

# %%
# Read the result
# ---------------
# The table (also ``summary_my_digits.rst`` and ``summary.csv``), one line per budget that
# answers the question, and the figure ``figures/few_labels.png``.
described = json.loads((out / "datasets.json").read_text())["my_digits"]
print(format_few_labels(rows, "my_digits", described))
print(answer_few_labels(rows, "my_digits"))

fig, ax = plt.subplots(figsize=(8, 6))
ax.imshow(plt.imread(out / "figures" / "few_labels.png"))
ax.axis("off")
