"""Bad inputs and unwritable outputs raise the right spec2x error; nothing is left half-written."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from spec2x.errors import InputFileError, OutputError
from spec2x.io import open_exposure, open_product, open_zarr, to_zarr, write_fits

sys.path.insert(0, str(Path(__file__).parent))
import products  # noqa: E402


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_not_a_fits_file(tmp_path):
    path = tmp_path / "notes_rate.fits"
    path.write_text("this is not FITS\n" * 100)
    before = _digest(path)
    with pytest.raises(InputFileError, match=r"notes_rate\.fits.*not a readable FITS file"):
        open_exposure(path)
    assert _digest(path) == before


def test_missing_file():
    with pytest.raises(InputFileError, match="no such file"):
        open_exposure("/nonexistent/x_rate.fits")


@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_truncated_file(tmp_path, keep):
    path = write_fits(products.rateints(nint=2, ny=16, nx=32), tmp_path / "t_rateints.fits")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    before = _digest(path)
    with pytest.raises(InputFileError, match=r"t_rateints\.fits.*(truncated|not a readable)"):
        open_exposure(path)
    assert _digest(path) == before


def test_gzipped_file_says_decompress(tmp_path):
    import gzip

    plain = write_fits(products.rateints(nint=2, ny=16, nx=32), tmp_path / "g_rateints.fits")
    path = tmp_path / "g_rateints.fits.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    before = _digest(path)
    with pytest.raises(InputFileError, match=r"g_rateints\.fits\.gz: a compressed file.*gunzip"):
        open_exposure(path)
    assert _digest(path) == before


def test_no_sci_extension(tmp_path):
    path = tmp_path / "nosci.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 2)), name="ERR")]).writeto(path)
    with pytest.raises(InputFileError, match=r"nosci\.fits: no SCI extension"):
        open_exposure(path)


@pytest.mark.parametrize("shape", [(5,), (2, 2, 2, 2)])
def test_sci_of_wrong_dimensionality(tmp_path, shape):
    path = tmp_path / "bad.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros(shape), name="SCI")]).writeto(path)
    with pytest.raises(InputFileError, match=rf"bad\.fits: SCI has {len(shape)} dimensions"):
        open_exposure(path)


def _rateints(path: Path, nint: int, **keywords: int) -> Path:
    primary = fits.PrimaryHDU()
    primary.header.update(keywords)
    sci = fits.ImageHDU(np.ones((nint, 3, 4), np.float32), name="SCI")
    fits.HDUList([primary, sci]).writeto(path)
    return path


@pytest.mark.parametrize(
    "keywords",
    [
        {"INTSTART": 1, "INTEND": 5, "NINTS": 10},  # 5 named, 4 held
        {"INTSTART": 8, "INTEND": 11, "NINTS": 10},  # past the exposure's last
        {"INTSTART": 0, "INTEND": 3, "NINTS": 10},  # before its first
        {"INTSTART": 4, "INTEND": 1, "NINTS": 10},  # backwards
    ],
)
def test_an_integration_range_that_does_not_exist_is_one_clear_error(tmp_path, keywords):
    path = _rateints(tmp_path / "seg_rateints.fits", 4, **keywords)
    expected = rf"seg_rateints\.fits: INTSTART={keywords['INTSTART']}, INTEND={keywords['INTEND']}"
    with pytest.raises(InputFileError, match=expected + r".*does not exist in this file"):
        open_exposure(path)


@pytest.mark.parametrize(
    "keywords",
    [{"INTSTART": 7, "INTEND": 10, "NINTS": 10}, {"INTSTART": 1, "INTEND": 4}, {"NINTS": 10}],
)
def test_a_segment_holding_its_integration_range_opens(tmp_path, keywords):
    ds = open_exposure(_rateints(tmp_path / "seg_rateints.fits", 4, **keywords))
    assert ds.sizes["integration"] == 4


def test_asdf_extension_of_a_malformed_column_names_the_file(tmp_path):
    """astropy asserts on a column name that is not a string: one InputFileError instead."""
    path = write_fits(products.cube(), tmp_path / "bad_s3d.fits")
    with fits.open(path, mode="update") as hdul:
        hdul["ASDF"].header["TTYPE1"] = True
    with pytest.raises(InputFileError, match=r"bad_s3d\.fits.*ASDF extension: malformed table"):
        open_product(path)


def test_missing_exp_type_is_allowed_at_open(tmp_path):
    path = tmp_path / "plain.fits"
    hdus = [fits.PrimaryHDU(), fits.ImageHDU(np.ones((3, 4), np.float32), name="SCI")]
    fits.HDUList(hdus).writeto(path)
    ds = open_exposure(path)
    assert "EXP_TYPE" not in ds.attrs
    assert ds["sci"].shape == (3, 4)
    np.testing.assert_array_equal(ds["x"].values, np.arange(4))


def test_output_folder_missing_or_not_a_folder(tmp_path):
    ds = products.rateints(nint=1, ny=4, nx=4)
    with pytest.raises(OutputError, match=str(tmp_path / "nowhere")):
        write_fits(ds, tmp_path / "nowhere" / "x_rate.fits")
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(OutputError, match="afile"):
        write_fits(ds, afile / "x_rate.fits")
    with pytest.raises(OutputError, match="nowhere"):
        to_zarr(ds, tmp_path / "nowhere" / "x.zarr")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_output_folder_not_writable(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="ro is not writable"):
            write_fits(products.rateints(nint=1, ny=4, nx=4), folder / "x_rate.fits")
    finally:
        folder.chmod(0o700)


def test_existing_output_kept_without_overwrite(tmp_path):
    ds = products.rateints(nint=1, ny=4, nx=4)
    path = write_fits(ds, tmp_path / "x_rateints.fits")
    before = _digest(path)
    with pytest.raises(OutputError, match="exists"):
        write_fits(ds, path, overwrite=False)
    assert _digest(path) == before
    to_zarr(ds, tmp_path / "x.zarr")
    with pytest.raises(OutputError, match="exists"):
        to_zarr(ds, tmp_path / "x.zarr")


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    ds = products.rateints(nint=1, ny=4, nx=4)
    path = write_fits(ds, tmp_path / "x_rateints.fits")
    before = _digest(path)

    def broken(hdus, out):
        out.write(b"SIMPLE  =  T" + b" " * 100)
        raise OSError("disk full")

    monkeypatch.setattr("spec2x.io.fits_layout.write_hdus", broken)
    with pytest.raises(OutputError, match="disk full"):
        write_fits(ds, path)
    assert _digest(path) == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_rateints.fits"]


def test_failed_zarr_write_leaves_nothing(tmp_path, monkeypatch):
    ds = products.rateints(nint=1, ny=4, nx=4)
    from spec2x.io import zarr_store

    def broken(ds, store, mode):
        Path(store).mkdir()
        (Path(store) / "zarr.json").write_text("{}")
        raise OSError("disk full")

    monkeypatch.setattr(zarr_store, "_write", broken)
    with pytest.raises(OutputError, match="disk full"):
        to_zarr(ds, tmp_path / "x.zarr")
    assert list(tmp_path.iterdir()) == []


def test_open_zarr_of_nothing(tmp_path):
    with pytest.raises(InputFileError, match="not a readable Zarr store"):
        open_zarr(tmp_path / "missing.zarr")
