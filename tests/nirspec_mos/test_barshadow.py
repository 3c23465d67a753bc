"""The bar shadow by hand: shadows pieced from half shutters, the row/column mapping, the step."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from spec2x.errors import ReferenceMismatchError
from spec2x.instruments.nirspec import barshadow_kernel as kern
from spec2x.io.references import Reference, open_reference
from spec2x.steps.barshadow import barshadow
from spec2x.synthetic.nirspec_mos_refs import write_barshadow

ROWS = np.repeat(np.arange(1001.0)[:, None], 3, axis=1)  # value = row index, 3 wavelengths


def test_one_shutter_is_the_1x1_array_with_jwsts_seam():
    shadow = kern.shadow_of_state(kern.shutter_elements(ROWS, ROWS + 5000), "x")
    assert shadow.shape == (1000, 3)
    np.testing.assert_array_equal(shadow[:500, 0], np.arange(500.0))
    assert shadow[500, 0] == 0.5 * (500 + 501)  # seam: first[500] and last[0] = row 501
    np.testing.assert_array_equal(shadow[501:, 0], np.arange(502.0, 1001.0))


def test_open_and_closed_neighbours_take_their_pieces():
    one, three = ROWS, ROWS + 5000
    shadow = kern.shadow_of_state(kern.shutter_elements(one, three), "1x0")
    assert shadow.shape == (2000, 3)
    assert shadow[500, 0] == 0.5 * (500 + 5000)  # open -> open: the 1x3 piece
    np.testing.assert_array_equal(shadow[501:1000, 0], 5000 + np.arange(1.0, 500.0))
    assert shadow[1000, 0] == 0.5 * (5500 + 500)  # open -> closed: 1x1 from row 500
    np.testing.assert_array_equal(shadow[1001:1500, 0], np.arange(501.0, 1000.0))
    assert shadow[1500, 0] == 0.5 * (1000 + 501)  # the last half shutter


def _correct(y_slit, states, uniform=None, yscale=None, lam=None):
    y_slit = np.asarray(y_slit, float)
    n = y_slit.shape[0]
    return kern.correction(
        y_slit,
        np.full(y_slit.shape, 1.0e-6) if lam is None else lam,
        states,
        np.full(n, np.nan) if yscale is None else np.asarray(yscale, float),
        np.ones(n, bool) if uniform is None else np.asarray(uniform),
        data1x1=ROWS,
        data1x3=ROWS,
        crval1=0.0,
        cdelt1=1e-6,
        cdelt2=0.002,
    )


def test_row_from_slit_position_and_scale():
    # "x": fiducial row 1000 - 500; y_slit / 1.15 shutter heights above it
    y = np.array([[[0.2 * 1.15, -0.1 * 1.15, np.nan]]])
    out = _correct(y, ["x"])
    np.testing.assert_allclose(out[0, 0, :2], [601.0, 450.0])
    assert np.isnan(out[0, 0, 2])
    out = _correct(np.array([[[0.2 * 1.3]]]), ["x"], yscale=[1.3])
    np.testing.assert_allclose(out, 601.0)


def test_point_sources_and_stateless_slits_get_one():
    y = np.zeros((3, 1, 2))
    out = _correct(y, ["x", "1x1", ""], uniform=[False, True, True])
    assert (out[[0, 2]] == 1.0).all()
    # "1x1": the source shutter centre is row 1000, the seam of two 1x3 pieces (rows 500, 0)
    np.testing.assert_allclose(out[1], 0.5 * (500 + 0))


def _slits(n=2, srctype=("EXTENDED", "POINT"), exp_type="NRS_MSASPEC"):
    """Two slitlets with a stored WCS stand-in: the tests below skip the WCS (N/A, other type)."""
    sci = np.ones((n, 3, 4), np.float32)
    return xr.Dataset(
        {k: (("slit", "y", "x"), sci.copy()) for k in ("sci", "err", "var_poisson", "var_rnoise")}
        | {"dq": (("slit", "y", "x"), np.zeros(sci.shape, np.uint32))},
        coords={"slit_name": ("slit", ["1", "2"]), "srctype": ("slit", list(srctype))},
        attrs={"EXP_TYPE": exp_type, "INSTRUME": "NIRSPEC"},
    )


def test_step_skips_other_modes_and_missing_reference(tmp_path):
    ref = open_reference(write_barshadow(tmp_path / "b.fits"))
    out = barshadow(_slits(exp_type="NRS_FIXEDSLIT"), ref)
    assert out.attrs["S_BARSHA"] == "SKIPPED"
    out = barshadow(_slits(), None)
    assert out.attrs["S_BARSHA"] == "SKIPPED"
    xr.testing.assert_identical(out.drop_attrs(), _slits().drop_attrs())
    with pytest.raises(ReferenceMismatchError, match="not a barshadow"):
        barshadow(_slits(), Reference("pathloss", "p.fits", {}, None))


def test_synthetic_reference_reads_like_stdatamodels(tmp_path):
    path = write_barshadow(tmp_path / "b.fits")
    ref = open_reference(path)
    from stdatamodels.jwst import datamodels as dm

    with dm.BarshadowModel(str(path)) as model:
        np.testing.assert_array_equal(ref.content.data1x1, model.data1x1)
        np.testing.assert_array_equal(ref.content.data1x3, model.data1x3)
        assert (ref.content.crval1, ref.content.cdelt1, ref.content.cdelt2) == (
            model.crval1, model.cdelt1, model.cdelt2,
        )  # fmt: skip
    assert ref.content.data1x1.min() > 0
    assert ref.content.data1x3.max() <= 1.0
