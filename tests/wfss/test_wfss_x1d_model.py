"""The WFSS ``_x1d`` as jwst 3.0.0's WFSSMultiSpecModel: stdatamodels and jwst open spec2x's file,
its tables equal jwst's own x1d, and spec2x reads it back unchanged."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from wfss_helpers import META_COLUMNS

from spec2x.io.fits import open_product, write_fits
from spec2x.pipeline import spec2
from spec2x.synthetic.nircam_wfss_cal_refs import write_nircam_wfss_photom
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure

_NA = ("bkg", "flat", "extract1d", "apcorr", "area")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wfss_x1d")
    refs = write_nircam_wfss_references(folder)
    files = write_wfss_exposure(folder, refs, n_sources=25, seed=4)
    refs["photom"] = write_nircam_wfss_photom(folder / "photom.fits")
    given = {**{k: str(v) for k, v in refs.items()}, **dict.fromkeys(_NA, "N/A")}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        x1d = spec2(str(files["rate"]), given)["x1d"]
    return files, given, x1d, write_fits(x1d, folder / "ours_x1d.fits")


def test_written_as_wfss_multispec_and_read_back(small):
    from stdatamodels.jwst import datamodels

    _, _, x1d, path = small
    assert x1d.attrs["DATAMODL"] == "WFSSMultiSpecModel"
    orders = sorted(set(x1d["spectral_order"].values.tolist()))
    with datamodels.open(path) as model:
        assert type(model).__name__ == "WFSSMultiSpecModel"
        model.validate()
        assert [s.spectral_order for s in model.spec] == orders
        for table in model.spec:
            t = table.spec_table
            assert table.group_id.endswith(f"_{table.spectral_order}")
            assert list(t["SOURCE_ID"]) == sorted(t["SOURCE_ID"])
            for i, sid in enumerate(t["SOURCE_ID"]):
                pick = (x1d["source_id"].values == sid) & (
                    x1d["spectral_order"].values == table.spectral_order
                )
                one = x1d.isel(slit=int(np.flatnonzero(pick)[0]))
                n = int(t["N_ALONGDISP"][i])
                assert np.isfinite(one["wavelength"].values[:n]).all()
                np.testing.assert_array_equal(one["flux"].values[:n], t["FLUX"][i][:n])
                assert np.isnan(t["FLUX"][i][n:]).all()
                assert t["SOURCE_TYPE"][i] == str(one["source_type"].values)
    back = open_product(path)
    for name in [*x1d.data_vars, *x1d.coords]:
        np.testing.assert_array_equal(back[name].values, x1d[name].values, err_msg=str(name))
        assert back[name].dtype == x1d[name].dtype, name


@pytest.mark.parity
@pytest.mark.slow
def test_tables_equal_jwsts_x1d(small, tmp_path, monkeypatch):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    files, refs, x1d, path = small
    monkeypatch.chdir(files["rate"].parent)
    run = run_jwst_spec2(files["rate"], refs, {"assign_wcs": {"sip_approx": False}},
                         output_dir=tmp_path)  # fmt: skip
    with datamodels.open(path) as ours, datamodels.open(run.files["x1d"]) as theirs:
        assert len(ours.spec) == len(theirs.spec)
        for mine, table in zip(ours.spec, theirs.spec, strict=True):
            for attr in ("group_id", "spectral_order", "dispersion_direction"):
                assert getattr(mine, attr) == getattr(table, attr), attr
            a, b = mine.spec_table, table.spec_table
            assert a.dtype.names == b.dtype.names
            assert a.shape == b.shape
            for name in ("SOURCE_ID", "N_ALONGDISP", "SOURCE_TYPE", *META_COLUMNS):
                np.testing.assert_array_equal(a[name], b[name], err_msg=name)
            for name in ("WAVELENGTH", "FLUX", "SURF_BRIGHT", "NPIXELS"):
                np.testing.assert_allclose(a[name], b[name], rtol=1e-4, equal_nan=True,
                                           err_msg=name)  # fmt: skip


def test_tables_written_in_slabs_of_rows(small, tmp_path, monkeypatch):
    """The tables are made and written a few rows at a time: a row a slab gives the same file."""
    from spec2x.io import fits_wfss_spectra

    _, _, x1d, path = small
    x1d = x1d.assign_attrs(DATE="2026-12-07T00:00:00.000")
    whole = write_fits(x1d, tmp_path / "whole_x1d.fits").read_bytes()
    monkeypatch.setattr(fits_wfss_spectra, "_SLAB_BYTES", 1)
    rows = write_fits(x1d, tmp_path / "whole_x1d.fits").read_bytes()
    assert rows == whole
