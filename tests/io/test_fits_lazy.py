"""Images read where indexed (spec2x.io.fits_lazy) give astropy's values."""

from __future__ import annotations

import pickle

import numpy as np
from astropy.io import fits

from spec2x.io.fits_lazy import lazy_image


def _write(path, data, **cards):
    hdu = fits.ImageHDU(data, name="SCI")
    for key, value in cards.items():
        hdu.header[key] = value
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def test_float_cube_and_unsigned_dq_as_astropy_reads_them(tmp_path):
    rng = np.random.default_rng(1)
    cube = rng.normal(size=(3, 20, 30)).astype(np.float32)
    dq = rng.integers(0, 2**32, size=(20, 30), dtype=np.uint64).astype(np.uint32)
    for data, dtype in ((cube, np.float32), (dq, np.uint32)):
        path = _write(tmp_path / f"{data.dtype}.fits", data)
        with fits.open(path) as hdul:
            whole = hdul["SCI"].data
            lazy = lazy_image(hdul["SCI"], dtype)
        assert lazy is not None
        assert lazy.shape == data.shape
        assert lazy.ndim == data.ndim
        k, y, x = rng.integers(0, 3, 50), rng.integers(0, 20, 50), rng.integers(0, 30, 50)
        key = (k, y, x) if data.ndim == 3 else (y, x)
        got = lazy[key]
        assert got.dtype == np.dtype(dtype)
        assert got.dtype.isnative
        np.testing.assert_array_equal(got, whole[key])
        flat_index = np.ravel_multi_index(key, data.shape)
        taken = lazy.take(flat_index)
        assert taken.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(taken, whole[key])
        np.testing.assert_array_equal(np.asarray(lazy), whole)
        np.testing.assert_array_equal(pickle.loads(pickle.dumps(lazy))[key], whole[key])


def test_scaled_or_compressed_images_are_left_to_the_caller(tmp_path):
    data = np.arange(12, dtype=np.int16).reshape(3, 4)
    scaled = _write(tmp_path / "scaled.fits", data, BSCALE=2.0)
    with fits.open(scaled) as hdul:
        assert lazy_image(hdul["SCI"], np.float32) is None
    packed = tmp_path / "packed.fits.gz"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data.astype(np.float32), name="SCI")]).writeto(
        packed
    )
    with fits.open(packed) as hdul:
        assert lazy_image(hdul["SCI"], np.float32) is None
