"""extract_1d on WFSS cut-outs: one spectrum per source and order, against jwst 3.0.0.

jwst's Extract1dStep (no extract1d reference: the whole cut-out height,
no background) on its photom output writes a WFSSMultiSpecModel, one table
per order with a row per source; spec2x's extract_1d on its own photom
output must give the same wavelengths, fluxes, surface brightness, errors
and pixel counts to 1e-6 relative.
"""

from __future__ import annotations

import pytest
import xarray as xr
from wfss_helpers import compare_wfss_x1d

from spec2x.io.references import open_reference
from spec2x.slits import map_groups, merge_spectra
from spec2x.steps.extract_1d import extract_1d
from spec2x.steps.photom import photom

_COLUMNS = {
    "wavelength": "WAVELENGTH",
    "flux": "FLUX",
    "flux_error": "FLUX_ERROR",
    "surf_bright": "SURF_BRIGHT",
    "npixels": "NPIXELS",
}


@pytest.fixture(scope="module")
def spectra(grismr_cutouts):
    cal = map_groups(photom, grismr_cutouts["cutouts"], open_reference(grismr_cutouts["photom"]))
    cal = map_groups(lambda g: g.assign(var_flat=0 * g["var_poisson"]), cal)
    out = map_groups(extract_1d, cal)
    return merge_spectra(out) if isinstance(out, xr.DataTree) else out


@pytest.mark.parity
def test_spectra_equal_jwst(spectra, jwst_grismr):
    tables = jwst_grismr["extract_1d"].spec
    ours = spectra
    compared = compare_wfss_x1d(ours, tables, _COLUMNS, rtol=1e-6)
    assert compared == ours.sizes["slit"] > 10
