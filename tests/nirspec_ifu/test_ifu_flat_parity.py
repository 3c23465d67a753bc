"""NIRSpec IFU flat field: parity with jwst 3.0.0's FlatFieldStep on the synthetic IFU exposures.

The synthetic IFU fflat, sflat (a 3-D cube) and dflat of
:func:`spec2x.synthetic.nirspec_ifu.cal_paths`; the same exposure
after each pipeline's assign_wcs.
"""

from __future__ import annotations

import numpy as np
import pytest
from ifu_helpers import cal_paths, folder, jwst_step, ours

from spec2x.errors import MissingReferenceError, UnsupportedModeError
from spec2x.io.references import open_reference
from spec2x.steps.flat_field import flat_field

RTOL = 1e-5


def flat_paths(grating: str) -> dict[str, str]:
    return {k: v for k, v in cal_paths(grating).items() if k.endswith("flat")}


def _ours(grating: str, **kwargs):
    refs = {k: open_reference(v) for k, v in flat_paths(grating).items()}
    return flat_field(ours(grating), **refs, **kwargs)


@pytest.mark.parity
@pytest.mark.slow
@pytest.mark.parametrize("grating", ["PRISM", "G395M"])
def test_ifu_flat_matches_jwst(grating):
    pytest.importorskip("jwst")
    from jwst.flatfield import FlatFieldStep
    from jwst_offline import run_jwst_step

    mine = _ours(grating)
    theirs = run_jwst_step(
        FlatFieldStep, jwst_step(grating), flat_paths(grating), rest="N/A", tmp_path=folder()
    )
    np.testing.assert_array_equal(mine["dq"].values, theirs.dq)
    for key in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
        a, b = mine[key].values, getattr(theirs, {"sci": "data"}.get(key, key))
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=key)
        np.testing.assert_allclose(a, b, rtol=RTOL, equal_nan=True, err_msg=key)
    assert mine.attrs["S_FLAT"] == "COMPLETE"


def test_ifu_flat_divides_the_slices_and_blanks_the_rest():
    out = _ours("PRISM")
    regions = ours("PRISM")["regions"].values
    sci = out["sci"].values
    assert np.isnan(sci[regions == 0]).all()
    inside = np.isfinite(sci[regions > 0]).mean()
    assert inside > 0.9  # the d-flat's bad pixels and the ends of the band are lost
    assert np.nanmedian(out["var_flat"].values) > 0


def test_ifu_flat_inverse_undoes_it():
    refs = {k: open_reference(v) for k, v in flat_paths("PRISM").items()}
    once = flat_field(ours("PRISM"), **refs)
    back = flat_field(once, **refs, inverse=True)
    ok = np.isfinite(once["sci"].values)
    np.testing.assert_allclose(back["sci"].values[ok], ours("PRISM")["sci"].values[ok], rtol=1e-6)


def test_ifu_flat_refuses_no_components_and_user_flat():
    with pytest.raises(MissingReferenceError, match="all N/A"):
        flat_field(ours("PRISM"), fflat=None, sflat=None, dflat=None)
    from spec2x.instruments.nirspec.flat_ifu import ifu_flat

    dflat = open_reference(flat_paths("PRISM")["dflat"])
    with pytest.raises(UnsupportedModeError, match="user-supplied"):
        ifu_flat(ours("PRISM"), None, None, dflat, user_supplied_flat=dflat)
