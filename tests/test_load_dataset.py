"""load_dataset: every source in one layout, pixel for pixel, and one clear line for bad input."""

import numpy as np
import pytest
from PIL import Image

from skae.datasets import load_dataset


def write_folder(root, n_per_class=3, classes=("cat", "dog"), size=(5, 4), mode="RGB", seed=0):
    """An ImageFolder tree of random PNGs; returns {path: HWC uint8 pixels}."""
    rng = np.random.default_rng(seed)
    written = {}
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            path = root / name / f"{i}.png"
            Image.fromarray(pixels, mode).save(path)
            written[path] = pixels
    return written


def test_digits_is_bundled_and_in_unit_range():
    digits = load_dataset("digits")
    assert digits.data.shape == (1797, 64) and digits.data.dtype == np.float32
    assert digits.images.shape == (1797, 1, 8, 8) and digits.image_shape == (1, 8, 8)
    assert digits.data.min() == 0 and digits.data.max() == 1
    assert digits.target.dtype == np.int64 and digits.target_names[9] == "9"
    assert digits.data_test is None and digits.target_test is None


def test_mnist_keeps_fetch_mnists_numbers():
    mnist = load_dataset("mnist")
    assert mnist.image_shape == (1, 28, 28) and mnist.data.shape == (60_000, 784)
    assert mnist.data_test.shape == (10_000, 784) and mnist.target_test[:3].tolist() == [7, 2, 1]
    assert mnist.target_names[0] == "0 - zero"


def test_folder_is_chw_pixel_for_pixel(tmp_path):
    written = write_folder(tmp_path, size=(5, 4))  # W=5, H=4: a transposition would show
    (tmp_path / "unlabeled").mkdir()
    Image.fromarray(np.full((4, 5, 3), 7, np.uint8)).save(tmp_path / "unlabeled" / "u.png")
    data = load_dataset(tmp_path)
    assert data.image_shape == (3, 4, 5) and data.target_names == ["cat", "dog"]
    assert data.target.tolist() == [0, 0, 0, 1, 1, 1, -1]
    for i, pixels in enumerate(written.values()):  # sorted classes, sorted files
        np.testing.assert_array_equal(data.images[i], pixels.transpose(2, 0, 1) / np.float32(255))
        np.testing.assert_array_equal(data.data[i], data.images[i].ravel())
    assert data.images[-1].max() == np.float32(7 / 255) and data.name == tmp_path.name


def test_folder_train_test_split(tmp_path):
    write_folder(tmp_path / "train", mode="L")
    write_folder(tmp_path / "test", n_per_class=2, mode="L", seed=1)
    data = load_dataset(tmp_path)
    assert data.image_shape == (1, 4, 5)
    assert data.target.tolist() == [0, 0, 0, 1, 1, 1] and data.target_test.tolist() == [0, 0, 1, 1]
    assert data.images_test.shape == (4, 1, 4, 5)


def test_folder_mixed_sizes_and_modes_warn(tmp_path):
    write_folder(tmp_path, classes=("a",), size=(6, 6))
    write_folder(tmp_path, classes=("b",), n_per_class=1, size=(3, 2), mode="L")
    with pytest.warns(UserWarning) as record:
        data = load_dataset(tmp_path)
    messages = " ".join(str(w.message) for w in record)
    assert "converted to RGB" in messages and "resized to the most common, 6x6" in messages
    assert data.images.shape == (4, 3, 6, 6)
    assert load_dataset(tmp_path, image_size=(2, 3)).image_shape == (3, 2, 3)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda root: None, "No images under"),
        (lambda root: (root / "a").mkdir(), "has no image file"),
        (lambda root: write_folder(root, classes=("only",)), "at least 2"),
        (lambda root: (write_folder(root), (root / "dog" / "9.png").write_bytes(b"x")), "9.png"),
    ],
    ids=["empty", "class_without_images", "one_class", "unreadable"],
)
def test_bad_folder_is_one_clear_line(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(ValueError, match=message):
        load_dataset(tmp_path)


@pytest.mark.parametrize("layout", ["NHW", "NHWC", "NCHW"])
def test_npz_layouts_give_chw(tmp_path, layout):
    rng = np.random.default_rng(0)
    chw = rng.integers(0, 256, (6, 3 if layout != "NHW" else 1, 6, 5), dtype=np.uint8)
    X = {"NHW": chw[:, 0], "NHWC": chw.transpose(0, 2, 3, 1), "NCHW": chw}[layout]
    y = np.array([0, 1, 0, 1, -1, -1])
    np.savez(tmp_path / "set.npz", X=X, y=y, X_test=X[:2], y_test=y[:2])
    data = load_dataset(tmp_path / "set.npz")
    np.testing.assert_array_equal(data.images, chw / np.float32(255))
    assert data.target.tolist() == y.tolist() and data.name == "set"
    assert data.target_test.tolist() == [0, 1]


def test_npz_float_and_string_labels(tmp_path):
    X = np.random.default_rng(0).random((4, 3, 3)).astype(np.float64)
    np.savez(tmp_path / "f.npz", X=X, y=np.array(["b", "a", "b", "a"]))
    data = load_dataset(tmp_path / "f.npz")
    np.testing.assert_allclose(data.images[:, 0], X, rtol=1e-7)
    assert data.target_names == ["a", "b"] and data.target.tolist() == [1, 0, 1, 0]


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"y": np.zeros(3)}, "no array 'X'"),
        ({"X": np.zeros((3, 4, 4))}, "no array 'y'"),
        ({"X": np.zeros((3, 4, 4)), "y": np.array([0, 1])}, "one per image"),
        ({"X": np.full((2, 4, 4), 2.0), "y": np.array([0, 1])}, "outside"),
        ({"X": np.zeros((2, 4, 4)), "y": np.array([0, 1]), "X_test": np.zeros((1, 4, 4))}, "both"),
        ({"X": np.zeros((2, 4)), "y": np.array([0, 1])}, "expected"),
    ],
)
def test_bad_npz_is_one_clear_line(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        load_dataset(tmp_path / "bad.npz")


def test_unknown_name_lists_the_sources():
    with pytest.raises(ValueError, match="'mnist', 'fashion', 'digits'"):
        load_dataset("cifar")


def test_missing_mnist_names_the_offline_way(tmp_path, monkeypatch):
    monkeypatch.setattr("torchvision.datasets.MNIST.mirrors", [])  # no download attempt
    with pytest.raises(OSError, match="digits"):
        load_dataset("mnist", data_home=tmp_path)


def test_deep_images_and_misplaced_folders_are_refused(tmp_path):
    write_folder(tmp_path / "deep", mode="L")
    Image.fromarray(np.full((4, 5), 60000, np.uint16)).save(tmp_path / "deep" / "cat" / "16.png")
    with pytest.raises(ValueError, match="16-bit or float"):
        load_dataset(tmp_path / "deep")  # Pillow's 8-bit conversion would make it white
    write_folder(tmp_path / "only_test" / "test")
    with pytest.raises(ValueError, match="test/ folder but no train/"):
        load_dataset(tmp_path / "only_test")
    write_folder(tmp_path / "both" / "train")
    write_folder(tmp_path / "both", classes=("bird",))
    with pytest.raises(ValueError, match=r"also the folders \['bird'\]"):
        load_dataset(tmp_path / "both")


def test_npz_with_2_channels_first_is_chw(tmp_path):
    chw = np.random.default_rng(0).integers(0, 256, (4, 2, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "two.npz", X=chw, y=np.array([0, 1, 0, 1]))
    np.testing.assert_array_equal(load_dataset(tmp_path / "two.npz").images, chw / np.float32(255))


def test_a_folder_with_a_built_in_name_is_not_taken_for_it(tmp_path, monkeypatch):
    """A folder mnist/ of your own once got MNIST's title, pool order and published rows."""
    write_folder(tmp_path / "mnist")
    np.savez(tmp_path / "fashion_standardized.npz", X=np.zeros((4, 3, 3)), y=[0, 1, 0, 1])
    assert load_dataset(tmp_path / "mnist").name == "mnist_folder"
    assert load_dataset(tmp_path / "fashion_standardized.npz").name == "fashion_standardized_npz"
    assert load_dataset(tmp_path / "mnist" / "cat" / "..").name == "mnist_folder"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="pass './mnist' for yours"):
        load_dataset("mnist")
    assert load_dataset("./mnist").name == "mnist_folder"
    write_folder(tmp_path / "digits")
    with pytest.raises(ValueError, match="names a built-in data set and also"):
        load_dataset("digits")


def test_npz_labels_nan_and_string_minus_one(tmp_path):
    X = np.zeros((4, 3, 3), np.float32)
    np.savez(tmp_path / "nan.npz", X=X, y=np.array([0.0, 1.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match="NaN labels"):
        load_dataset(tmp_path / "nan.npz")
    for labels in (
        np.array(["cat", "dog", "-1", "cat"]),
        np.array([b"cat", b"dog", b"-1", b"cat"]),
    ):
        with open(tmp_path / "strings.NPZ", "wb") as file:  # an upper-case suffix too
            np.savez(file, X=X, y=labels)
        data = load_dataset(tmp_path / "strings.NPZ")
        assert data.target_names == ["cat", "dog"] and data.target.tolist() == [0, 1, -1, 0]


def test_npz_whose_channel_axis_is_ambiguous_warns_how_it_was_read(tmp_path):
    X = np.random.default_rng(0).integers(0, 256, (4, 1, 4, 4), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", X=X, y=[0, 1, 0, 1])
    with pytest.warns(UserWarning, match=r"4 channel\(s\) of 1x4. If it is \(n, C, H, W\)"):
        assert load_dataset(tmp_path / "a.npz").image_shape == (4, 1, 4)
    np.savez(tmp_path / "b.npz", X=X.transpose(0, 2, 3, 1), y=[0, 1, 0, 1])  # the way out
    np.testing.assert_array_equal(load_dataset(tmp_path / "b.npz").images, X / np.float32(255))


def test_hidden_folders_and_files_are_no_classes_or_images(tmp_path):
    write_folder(tmp_path / "set")
    write_folder(tmp_path / "set" / ".ipynb_checkpoints", classes=("x",))
    write_folder(tmp_path / "set" / "cat", classes=(".thumbs",))
    data = load_dataset(tmp_path / "set")
    assert data.target_names == ["cat", "dog"] and len(data.target) == 6
