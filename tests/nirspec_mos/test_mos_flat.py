"""The MOS fore-optics flat: per-shutter curves by hand, the quadrant file, bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "nirspec_cal"))
from nrs_cal_helpers import make_slits  # noqa: E402

from spec2x.errors import ReferenceMismatchError  # noqa: E402
from spec2x.instruments.nirspec.flat import nirspec_flat  # noqa: E402
from spec2x.instruments.nirspec.flat_interp import interp_curves  # noqa: E402
from spec2x.instruments.nirspec.flat_mos import QuadFlat, fore_component  # noqa: E402
from spec2x.instruments.nirspec.refs_cal import FastVariation  # noqa: E402
from spec2x.io.references import Reference, open_reference  # noqa: E402
from spec2x.synthetic.nirspec_mos_refs import MSA_SHAPE, write_mos_fflat  # noqa: E402


def test_interp_curves_is_np_interp_row_by_row():
    g = np.random.default_rng(1)
    xp = np.sort(g.uniform(1.0, 5.0, 30))
    fp = g.normal(size=(4, 30))
    x = g.uniform(0.5, 5.5, (4, 7, 9))
    x[0, 0, :3] = xp[[0, 5, -1]]  # on the grid points and the ends
    got = interp_curves(x, xp, fp, fill=-7.0)
    for i in range(4):
        expected = np.interp(x[i], xp, fp[i], left=-7.0, right=-7.0)
        np.testing.assert_allclose(got[i], expected, rtol=1e-14, atol=1e-15)


def _tiny_quad_flat() -> Reference:
    """Two quadrants of 3 x 4 shutters, 2 planes at 1 and 3 µm; fast curve 2 everywhere."""
    cube = np.stack([np.arange(12.0).reshape(3, 4), 10 + np.arange(12.0).reshape(3, 4)])
    cube = cube.astype(np.float32)
    tw = np.array([0.5, 1.0, 2.0, 4.0], np.float32)
    table = FastVariation(
        ("any",), (tw,), (np.full(4, 2.0, np.float32),), (np.zeros(4, np.float32),)
    )
    content = QuadFlat(
        data=(cube, cube + 100),
        err=(0.1 * cube, 0.1 * (cube + 100)),
        image_wavelength=(np.array([1.0, 3.0], np.float32),) * 2,
        tables=(table, table),
    )
    return Reference("fflat", "tiny_fflat.fits", {}, content)


def test_fore_curve_is_table_times_the_shutters_curve():
    comp = fore_component(
        _tiny_quad_flat(), np.array([1, 2]), np.array([3, 1]), np.array([2, 3]), ["a", "b"]
    )
    # slit a: quadrant 1, shutter row 2 column 3 -> cube[:, 1, 2] = (6, 16) at (1, 3) µm;
    # at 0.5 µm outside the planes -> 1; at 2 µm halfway -> 11; at 4 µm outside -> 1
    np.testing.assert_allclose(comp.tables[0][1], 2.0 * np.array([1.0, 6.0, 11.0, 1.0]))
    # slit b: quadrant 2, row 3 column 1 -> cube[:, 2, 0] + 100 = (108, 118)
    np.testing.assert_allclose(comp.tables[1][1], 2.0 * np.array([1.0, 108.0, 113.0, 1.0]))
    assert comp.curve_errors is not None
    np.testing.assert_allclose(comp.curve_errors[1][1], [10.8, 11.8], rtol=1e-6)


def test_slit_outside_the_quadrants_is_named():
    with pytest.raises(ReferenceMismatchError, match="slit S200A1 lies in MSA quadrant 5"):
        fore_component(_tiny_quad_flat(), np.array([5]), np.array([1]), np.array([1]), ["S200A1"])


def test_quad_flat_file_reads_like_stdatamodels(tmp_path):
    path = write_mos_fflat(tmp_path / "fflat.fits", nplanes=3, nelem=50)
    ref = open_reference(path)
    assert isinstance(ref.content, QuadFlat)
    assert len(ref.content.data) == 5
    assert ref.content.data[0].shape == (3, *MSA_SHAPE)
    from stdatamodels.jwst import datamodels as dm

    with dm.NirspecQuadFlatModel(str(path)) as model:
        assert len(model.quadrants) == 5
        for q, quad in enumerate(model.quadrants):
            np.testing.assert_array_equal(ref.content.data[q], quad.data)
            np.testing.assert_array_equal(ref.content.err[q], quad.err)
            np.testing.assert_array_equal(
                ref.content.tables[q].data[0], quad.flat_table["data"][0][:50]
            )


def test_quad_flat_refused_for_fixed_slits(tmp_path):
    ds = make_slits()
    fflat = open_reference(write_mos_fflat(tmp_path / "f.fits", nplanes=2, nelem=20))
    with pytest.raises(ReferenceMismatchError, match="needs a single"):
        nirspec_flat(ds, fflat, None, None)
