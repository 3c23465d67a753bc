"""FITS images written slab by slab: a Dask-backed product (and a NumPy one larger than a
slab) gives the file a NumPy product gives, byte for byte but for the DATE card."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from spec2x.io import fits_raw, open_exposure, write_fits

sys.path.insert(0, str(Path(__file__).parent))
import products  # noqa: E402


def _blocks_but_date(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    blocks = [raw[i : i + 2880] for i in range(0, len(raw), 2880)]
    return [b for b in blocks if b"DATE    =" not in b]


def test_dask_and_slabbed_writes_equal_the_whole_write(tmp_path, monkeypatch):
    ds = products.rateints(nint=5, ny=8, nx=6)
    ds["dq"] = ds["dq"] | np.uint32(2**31)  # the BZERO shift of unsigned data, slab by slab
    for folder in ("whole", "lazy", "slab"):
        (tmp_path / folder).mkdir()
    name = "x_rateints.fits"
    whole = write_fits(ds, tmp_path / "whole" / name)
    lazy = write_fits(ds.chunk({"integration": 2}), tmp_path / "lazy" / name)
    monkeypatch.setattr(fits_raw, "_SLAB_BYTES", 8 * 6 * 4 * 2)  # two integrations a slab
    slabbed = write_fits(ds, tmp_path / "slab" / name)
    reference = _blocks_but_date(whole)
    assert _blocks_but_date(lazy) == reference
    assert _blocks_but_date(slabbed) == reference
    back = open_exposure(lazy)
    for var in ("sci", "err", "dq", "var_poisson"):
        np.testing.assert_array_equal(back[var].values, ds[var].values, err_msg=var)


@pytest.mark.parametrize("fmt", ["fits", "zarr"])
def test_streamed_products_log_their_progress(tmp_path, monkeypatch, caplog, fmt):
    from spec2x.io import streaming

    lazy = products.rateints(nint=6, ny=8, nx=6).chunk({"integration": 2})
    monkeypatch.setattr(streaming, "PROGRESS_EVERY", 0.0)
    with caplog.at_level(logging.INFO, logger="spec2x.io.streaming"):
        streaming.write_products({"calints": lazy}, tmp_path, "jw01", fmt)
    lines = [r.getMessage() for r in caplog.records]
    assert lines
    assert all(line.startswith("jw01: ") for line in lines)
    assert lines[-1] == "jw01: 100% streamed"
    assert [p.name for p in tmp_path.iterdir()] == [f"jw01_calints.{fmt}"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="spec2x.io.streaming"):  # --quiet
        streaming.write_products({"calints": lazy}, tmp_path, "jw02", fmt)
    assert caplog.records == []


def test_x1dints_rows_written_slab_by_slab_equal_astropys_table(tmp_path, monkeypatch):
    from astropy.io import fits

    from spec2x.io import fits_spectra

    ds = products.x1dints(nint=7)
    ds["dq"] = ds["dq"] | np.uint32(2**31)  # unsigned bits kept as astropy keeps them
    hdus = fits_spectra.spectra_hdus(ds.chunk({"integration": 3}), "TSOMultiSpecModel", "x.fits")
    assert any(isinstance(h, fits_raw.RawTableHDU) for h in hdus)
    monkeypatch.setattr(fits_raw, "_SLAB_BYTES", 1)  # a row at a time
    path = write_fits(ds.chunk({"integration": 3}), tmp_path / "x_x1dints.fits")
    monkeypatch.setattr(fits_raw.RawTableHDU, "writable", staticmethod(lambda t: False))
    (tmp_path / "astropy").mkdir()
    by_astropy = write_fits(ds, tmp_path / "astropy" / "x_x1dints.fits")
    with fits.open(path) as ours, fits.open(by_astropy) as theirs:
        assert ours["EXTRACT1D"].header == theirs["EXTRACT1D"].header
        assert ours["EXTRACT1D"].data.tobytes() == theirs["EXTRACT1D"].data.tobytes()
