"""The WFSS chain's photom writes into srctype's cut-outs (``spec2x.ownership``): the same
products as a run where it may not, and the caller's exposure untouched."""

from __future__ import annotations

import contextlib
import logging

import numpy as np
import pytest

from spec2x.io.fits import open_product
from spec2x.pipeline import spec2
from spec2x.slits import groups
from spec2x.steps import photom
from spec2x.synthetic.nircam_wfss_cal_refs import write_nircam_wfss_flat, write_nircam_wfss_photom

_NA = ("bkg", "extract1d", "apcorr", "area")


@pytest.mark.parametrize("block_pixels", [photom.BLOCK_PIXELS, 1])
def test_photom_in_place_same_products_caller_untouched(
    wfss, tmp_path, caplog, monkeypatch, block_pixels
):
    """In place by blocks of slits (1: a cut-out at a time) or a group at once as usual."""
    monkeypatch.setattr(photom, "BLOCK_PIXELS", block_pixels)
    files = wfss("GRISMR")
    refs = {k: str(v) for k, v in files["refs"].items()}
    refs |= {"photom": str(write_nircam_wfss_photom(tmp_path / "photom.fits")),
             "flat": str(write_nircam_wfss_flat(tmp_path / "flat.fits"))}  # fmt: skip
    refs |= dict.fromkeys(_NA, "N/A")
    rate = open_product(files["rate"])
    kept = rate.copy(deep=True)
    with contextlib.chdir(files["rate"].parent), caplog.at_level(logging.DEBUG, "spec2x"):
        owned = spec2(rate, refs)
        assert "photom may write into its input's arrays" in caplog.text
        caplog.clear()
        not_owned = spec2(rate, refs, on_step=lambda step, ds: None)  # a callback sees each step
        assert "may write into" not in caplog.text
    for name in kept.data_vars:
        np.testing.assert_array_equal(rate[name].values, kept[name].values)
    for ours, theirs in zip(groups(owned["cal"]), groups(not_owned["cal"]), strict=True):
        for name in ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat"):
            np.testing.assert_array_equal(ours[name].values, theirs[name].values)
    np.testing.assert_array_equal(owned["x1d"]["flux"].values, not_owned["x1d"]["flux"].values)
