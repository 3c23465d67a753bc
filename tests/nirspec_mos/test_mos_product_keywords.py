"""Keywords and statuses of MOS products as jwst 3.0.0 writes them (fast unit checks; the
whole-chain comparisons are in test_mos_fixed_slits*.py).

BARSHDW is absent on fixed slits (quadrant 5), the statuses of a product of
slitlets and fixed slits are the slitlets', a product of fixed slits only has
no MSA-only status, a skipped master_background_mos records no S_MSBSUB, and
a PRISM spectrum records SPORDER 0.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from spec2x.instruments.nirspec.mos_fixed_slits import as_exposure_type
from spec2x.io.fits_keywords import absent_for_slit
from spec2x.provenance import stamp
from spec2x.slits import combined_attrs, to_tree
from spec2x.steps._extract_params import _recorded_order


def _group(exp_type: str, **status: str) -> xr.Dataset:
    return xr.Dataset({"sci": (("slit", "y", "x"), np.zeros((1, 2, 3)))},
                      attrs={"EXP_TYPE": exp_type, **status})  # fmt: skip


def test_barshadow_flag_absent_on_fixed_slits_only():
    assert absent_for_slit("BARSHDW", {"quadrant": 5})
    assert not absent_for_slit("BARSHDW", {"quadrant": 3})
    assert not absent_for_slit("BARSHDW", {})
    assert not absent_for_slit("WAVECOR", {"quadrant": 5})


def test_statuses_of_slitlets_with_fixed_slits_are_the_slitlets():
    slitlets = _group("NRS_MSASPEC", S_WAVCOR="SKIPPED", S_BARSHA="COMPLETE")
    more = _group("NRS_MSASPEC", S_WAVCOR="COMPLETE")
    fixed = _group("NRS_FIXEDSLIT", S_WAVCOR="COMPLETE", S_BARSHA="SKIPPED")
    assert combined_attrs([slitlets, fixed])["S_WAVCOR"] == "SKIPPED"
    assert combined_attrs([slitlets, more, fixed])["S_WAVCOR"] == "COMPLETE"
    out = as_exposure_type(to_tree([slitlets, fixed]), "NRS_MSASPEC")
    assert out.attrs["S_WAVCOR"] == "SKIPPED"
    assert out.attrs["S_BARSHA"] == "COMPLETE"
    assert out.attrs["EXP_TYPE"] == "NRS_MSASPEC"


def test_fixed_slits_only_have_no_msa_only_status():
    fixed = _group("NRS_FIXEDSLIT", S_MSBSUB="SKIPPED", S_BARSHA="SKIPPED", S_FLAT="COMPLETE")
    out = as_exposure_type(fixed, "NRS_MSASPEC")
    assert "S_MSBSUB" not in out.attrs
    assert "S_BARSHA" not in out.attrs
    assert out.attrs["S_FLAT"] == "COMPLETE"


def test_skipped_master_background_mos_records_no_status():
    out = stamp(_group("NRS_MSASPEC"), {}, ["master_background_mos", "barshadow"])
    assert "S_MSBSUB" not in out.attrs
    assert out.attrs["S_BARSHA"] == "SKIPPED"


def test_prism_order_recorded_as_zero():
    assert _recorded_order(0) == 0
    assert _recorded_order(None) == 1
    assert _recorded_order(2) == 2
