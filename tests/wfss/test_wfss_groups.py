"""WFSS cut-outs in groups of bounded size: photom and extract_1d temporaries stay small,
and the cut-outs are the same whatever the bound."""

from __future__ import annotations

import numpy as np
import xarray as xr

import spec2x.steps._extract_2d_grism as grism
from spec2x.io.fits import open_product
from spec2x.io.references import open_reference
from spec2x.io.source_catalog import read_source_catalog
from spec2x.slits import groups, merge
from spec2x.steps.assign_wcs import assign_wcs


def test_groups_bounded_and_cutouts_unchanged(wfss, monkeypatch):
    files = wfss("GRISMR")
    refs = {k: str(files["refs"][k]) for k in ("distortion", "filteroffset", "specwcs")}
    exposure = assign_wcs(open_product(files["rate"]), refs)
    ranges = open_reference(files["refs"]["wavelengthrange"]).content
    catalog = read_source_catalog(files["catalog"])
    ids = [int(i) for i in files["scene"].label[::3]]
    whole = merge(grism.extract_grism(exposure, catalog, ranges, source_ids=ids))
    monkeypatch.setattr(grism, "GROUP_PIXELS", 30_000)
    tree = grism.extract_grism(exposure, catalog, ranges, source_ids=ids)
    parts = list(groups(tree))
    assert len(parts) > 3
    for part in parts:
        assert (
            part.sizes["slit"] == 1 or part["sci"].isel(slit=0).size * part.sizes["slit"] <= 30_000
        )
    small = merge(tree)
    assert small.sizes["slit"] == whole.sizes["slit"]
    for name in ("slit_name", "spectral_order", "xstart", "ystart", "xsize", "ysize"):
        np.testing.assert_array_equal(small[name].values, whole[name].values)
    for i in range(whole.sizes["slit"]):
        ny, nx = int(whole["ysize"][i]), int(whole["xsize"][i])
        for name in ("sci", "dq", "wavelength"):
            a, b = (d[name].isel(slit=i).values[:ny, :nx] for d in (small, whole))
            xr.testing.assert_equal(xr.DataArray(a), xr.DataArray(b))
