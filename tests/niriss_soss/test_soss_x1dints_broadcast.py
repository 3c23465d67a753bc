"""The SOSS x1dints held without memory per integration: its zero columns as broadcasts
through photom and the FITS writer; the same numbers and the same file as held whole (a
Dask exposure's box spectra held in temporary files: test_soss_box_blocks.py)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from astropy.io import fits

from spec2x.instruments.niriss.soss_extract import soss_extract_1d
from spec2x.io.fits import write_fits
from spec2x.io.references import open_reference
from spec2x.steps.photom import photom
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import write_soss_cal_references

_ZERO = ("background", "bkg_error", "flux_var_poisson", "sb_var_flat", "dq")


@pytest.fixture(scope="module")
def spectra(soss_refs, tmp_path_factory):
    """The box x1dints of 3 integrations before and after photom."""
    cal = write_soss_cal_references(tmp_path_factory.mktemp("soss_cal"))
    x1d = soss_extract_1d(
        make_soss_rateints(nints=3), {"pastasoss": soss_refs["pastasoss"]}, soss_atoca=False
    )
    return x1d, photom(x1d, open_reference(cal["photom"])), open_reference(cal["photom"])


def _whole(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with every variable a writable array of its own (what the columns were)."""
    return ds.copy(data={k: np.array(v.values) for k, v in ds.data_vars.items()})


def _bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values).view(np.uint8)


def test_zero_columns_are_broadcasts(spectra):
    x1d, cal, _ = spectra
    for ds in (x1d, cal):
        for name in _ZERO:
            data = ds[name].data
            assert data.strides[1] == 0, name  # nothing held per integration
            assert not data.any(), name
        assert ds["flux"].data.strides[1] != 0
    assert cal["background"].attrs == {"units": "MJy"}
    assert cal["flux_var_poisson"].attrs == {"units": "MJy^2"}
    assert x1d["dq"].dtype == np.uint32


def test_photom_on_broadcasts_is_photom_on_whole_columns(spectra):
    """Bit for bit, the sign of each zero included (0 x a negative factor is -0)."""
    x1d, cal, response = spectra
    want = photom(_whole(x1d), response)
    for name in want.data_vars:
        np.testing.assert_array_equal(cal[name].values, want[name].values, strict=True)
        assert np.array_equal(_bits(cal[name].values), _bits(want[name].values)), name
        assert cal[name].attrs == want[name].attrs, name


def test_written_file_is_the_whole_columns_file(spectra, tmp_path):
    """Every EXTRACT1D table the same bytes, and the headers the same but for DATE."""
    _, cal, _ = spectra
    ours = write_fits(cal, tmp_path / "broadcast_x1dints.fits")
    whole = write_fits(_whole(cal), tmp_path / "whole_x1dints.fits")
    with fits.open(ours) as a, fits.open(whole) as b:
        assert [h.name for h in a] == [h.name for h in b]
        for ha, hb in zip(a, b, strict=True):
            for key in ("DATE", "FILENAME"):
                ha.header.pop(key, None)
                hb.header.pop(key, None)
            assert ha.header == hb.header, ha.name
            if ha.name == "EXTRACT1D":
                assert ha.data.tobytes() == hb.data.tobytes()
