"""extract_2d and srctype on NIRSpec MOS slitlets: parity with jwst, per-slit MSA metadata."""

from __future__ import annotations

import numpy as np
import pytest
from mos_helpers import assigned_with_data, jwst_extracted

from spec2x.slits import iter_slits
from spec2x.steps.extract_2d import extract_2d
from spec2x.steps.srctype import srctype

#: SlitModel attributes jwst's extract_2d sets for MOS, compared one by one.
METADATA = (
    "source_id", "slitlet_id", "shutter_id", "source_name", "source_alias", "stellarity",
    "shutter_state", "quadrant", "source_xpos", "source_ypos", "slit_ymin", "slit_ymax",
    "xcen", "ycen", "source_ra", "source_dec", "slit_xscale", "slit_yscale",
)  # fmt: skip


@pytest.fixture(scope="module")
def ours():
    return extract_2d(assigned_with_data())


@pytest.fixture(scope="module")
def by_name(ours):
    return {str(s["slit_name"].values[0]): s.isel(slit=0) for s in iter_slits(ours)}


@pytest.mark.parity
@pytest.mark.slow
def test_mos_cutouts_and_metadata_match_jwst(by_name):
    pytest.importorskip("jwst")
    result = jwst_extracted()
    assert sorted(by_name) == sorted(str(s.name) for s in result.slits)
    for slit in result.slits:
        mine = by_name[str(slit.name)]
        for key in ("xstart", "ystart", "xsize", "ysize"):
            assert int(mine[key]) == getattr(slit, key), (slit.name, key)
        for key in METADATA:
            a, b = mine[key].values.item(), getattr(slit, key)
            assert a == b or (isinstance(b, float) and np.isclose(a, b, rtol=1e-12)), (
                slit.name, key, a, b,
            )  # fmt: skip
        np.testing.assert_array_equal(mine["sci"].values, slit.data)
        np.testing.assert_array_equal(mine["dq"].values, slit.dq)
        np.testing.assert_array_equal(mine["var_poisson"].values, slit.var_poisson)
        lam = mine["wavelength"].values
        assert np.array_equal(np.isnan(lam), np.isnan(slit.wavelength)), slit.name
        ok = np.isfinite(lam)
        np.testing.assert_allclose(lam[ok], slit.wavelength[ok], rtol=1e-6)


@pytest.mark.parity
@pytest.mark.slow
def test_mos_srctype_matches_jwst(ours):
    """Point or extended per slitlet from its stellarity; background slitlets extended."""
    pytest.importorskip("jwst")
    from jwst.srctype.srctype import set_source_type

    result = set_source_type(jwst_extracted().copy())
    typed = srctype(ours)
    mine = {str(s["slit_name"].values[0]): str(s["srctype"].values[0]) for s in iter_slits(typed)}
    assert mine == {str(s.name): s.source_type for s in result.slits}
    assert result.meta.target.source_type is None
    for part in iter_slits(typed):
        assert "SRCTYPE" not in part.attrs
    kinds = set(mine.values())
    assert kinds == {"POINT", "EXTENDED"}


def test_mos_slitlets_carry_their_msa_metadata(by_name):
    background = [
        s for s in by_name.values() if str(s["source_name"].values).startswith("1234_BKG")
    ]
    assert len(background) == 4
    assert all(str(s["shutter_state"].values) == "1x1" for s in by_name.values()
               if int(s["quadrant"]) < 5)  # fmt: skip
    fixed = by_name["S200A1"]
    assert int(fixed["slitlet_id"]) == int(fixed["shutter_id"])  # jwst: name is not a number
    for name, s in by_name.items():
        if name != "S200A1":
            assert int(s["slitlet_id"]) == int(name)


def test_mos_slits_open_in_stdatamodels_with_their_metadata(ours, by_name, tmp_path):
    from stdatamodels.jwst import datamodels

    from spec2x.io.fits import write_fits

    path = tmp_path / "jw01234001001_01101_00001_nrs1_cal.fits"
    write_fits(srctype(ours), path)
    with datamodels.open(str(path)) as model:
        assert isinstance(model, datamodels.MultiSlitModel)
        for slit in model.slits:
            mine = by_name[slit.name]
            for key in ("slitlet_id", "source_name", "shutter_state", "xcen", "slit_ymin"):
                assert getattr(slit, key) == mine[key].values.item(), (slit.name, key)
            assert slit.source_type in ("POINT", "EXTENDED")
