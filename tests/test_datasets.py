import os
import shutil

import numpy as np
import pytest

from skae.datasets import fetch_fashion_mnist, fetch_mnist, get_skae_data_home


@pytest.mark.parametrize(
    "fetch, n_train, first_name",
    [(fetch_mnist, 60_000, "0 - zero"), (fetch_fashion_mnist, 60_000, "T-shirt/top")],
)
def test_bunch_layout(fetch, n_train, first_name):
    bunch = fetch(subset="train")
    assert bunch.data.shape == (n_train, 784) and bunch.data.dtype == np.float32
    assert bunch.images.shape == (n_train, 28, 28)
    np.testing.assert_array_equal(bunch.images[0].ravel(), bunch.data[0])
    assert 0.0 == bunch.data.min() and bunch.data.max() == 1.0
    assert bunch.target.dtype == np.int64 and set(np.unique(bunch.target)) == set(range(10))
    assert bunch.target_names[0] == first_name
    assert "28x28" in bunch.DESCR


def test_data_home_argument_beats_environment(monkeypatch, tmp_path):
    real_home = get_skae_data_home()
    monkeypatch.setenv("SKAE_DATA", str(tmp_path))  # empty folder
    X, y = fetch_mnist(data_home=real_home, subset="test", return_X_y=True)
    assert X.shape == (10_000, 784) and len(y) == 10_000
    assert get_skae_data_home() == tmp_path


def test_missing_files_error_says_where_and_how(tmp_path):
    with pytest.raises(OSError, match=f"{tmp_path}.*MNIST.*raw(.|\n)*SKAE_DATA"):
        fetch_mnist(data_home=tmp_path, download_if_missing=False)


def test_corrupt_file_is_a_clear_error(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(get_skae_data_home() / "MNIST" / "raw", raw)
    images = raw / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[: os.path.getsize(images) // 2])
    with pytest.raises(OSError, match="Could not load MNIST"):
        fetch_mnist(data_home=tmp_path, subset="test", download_if_missing=False)


def test_bad_magic_number_says_what_is_wrong(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(get_skae_data_home() / "MNIST" / "raw", raw)
    images = raw / "t10k-images-idx3-ubyte"
    header = bytearray(images.read_bytes())
    header[2] = 99  # the IDX magic number's type byte
    images.write_bytes(bytes(header))
    with pytest.raises(OSError, match="not a valid IDX file"):
        fetch_mnist(data_home=tmp_path, subset="test", download_if_missing=False)


def test_unknown_subset():
    with pytest.raises(ValueError, match="subset"):
        fetch_mnist(subset="validation")
