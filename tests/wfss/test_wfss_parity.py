"""NRC_WFSS against jwst 3.0.0 on the synthetic exposure (100 sources, every reference overridden).

jwst's AssignWcsStep builds the grism WCS of the ``_rate`` file; its
``create_grism_bbox`` and Extract2dStep (grism mode, default parameters)
give the boxes and cut-outs.  spec2x's assign_wcs, catalogue reader and
:func:`~spec2x.wcs.grism_boxes.grism_boxes` must give the same boxes (identical
integers), the same partial flags and the same wavelengths (1e-6 µm; jwst
keeps them in float32).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from jwst_offline import jwst_offline_env, run_jwst_step

from spec2x.io.fits import open_product
from spec2x.io.references import open_reference
from spec2x.io.source_catalog import read_source_catalog
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.wcs.grism_boxes import grism_boxes, order_ranges
from spec2x.wcs.store import get_wcs

pytestmark = pytest.mark.parity
_WCS_TYPES = ("distortion", "filteroffset", "specwcs")


@pytest.fixture(scope="module")
def both(wfss, tmp_path_factory):
    """grism -> (files, spec2x's exposure after assign_wcs, jwst's model after AssignWcsStep)."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep

    done = {}

    def make(grism):
        if grism not in done:
            files = wfss(grism)
            refs = {k: str(files["refs"][k]) for k in _WCS_TYPES}
            jwst = run_jwst_step(
                AssignWcsStep,
                str(files["rate"]),
                refs,
                rest="N/A",
                tmp_path=tmp_path_factory.mktemp("crds"),
                sip_approx=False,  # its imaging-WCS fit would ask CRDS again
            )
            ours = assign_wcs(open_product(files["rate"]), refs)
            done[grism] = (files, ours, jwst)
        return done[grism]

    return make


def _ours(files, ours, element="FILTER", **params):
    ranges_ref = open_reference(files["refs"]["wavelengthrange"]).content
    ranges = order_ranges(ranges_ref, ours.attrs[element])
    return grism_boxes(
        get_wcs(ours),
        read_source_catalog(files["catalog"]),
        ranges,
        shape=(ours.sizes["y"], ours.sizes["x"]),
        dispaxis=int(ours.attrs["DISPAXIS"]),
        **params,
    )


@pytest.mark.parametrize(
    ("grism", "dispaxis"), [("GRISMR", 1), ("GRISMC", 2), ("GR150R", 2), ("GR150C", 1)]
)
def test_assign_wcs_matches_jwst(both, grism, dispaxis):
    _, ours, jwst = both(grism)
    assert ours.attrs["DISPAXIS"] == dispaxis == jwst.meta.wcsinfo.dispersion_direction
    assert ours.attrs["S_WCS"] == "COMPLETE"
    wcs, jwcs = get_wcs(ours), jwst.meta.wcs
    x = np.linspace(0, 2047, 50)
    y = np.linspace(2047, 0, 50)
    x0, y0 = np.full(50, 700.3), np.full(50, 1300.8)
    for a, b in zip(wcs(x, y, x0, y0, 1), jwcs(x, y, x0, y0, 1), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("grism", ["GRISMR", "GRISMC", "GR150R", "GR150C"])
def test_boxes_identical_to_create_grism_bbox(both, grism):
    from jwst.assign_wcs.util import create_grism_bbox

    files, ours, jwst = both(grism)
    table = _ours(files, ours, "FILTER" if grism.startswith("GRISM") else "PUPIL")
    with jwst_offline_env(), contextlib.chdir(files["rate"].parent):
        objects = create_grism_bbox(
            jwst, {"wavelengthrange": str(files["refs"]["wavelengthrange"])}
        )
    rows = [(o, order) for o in objects for order in o.order_bounding]
    assert table.sizes["box"] == len(rows) > 50
    np.testing.assert_array_equal(table["source_id"], [o.sid for o, _ in rows])
    np.testing.assert_array_equal(table["order"], [order for _, order in rows])
    bounds = np.array([np.ravel(o.order_bounding[order]) for o, order in rows])
    mine = np.stack([table[k].values for k in ("ymin", "ymax", "xmin", "xmax")], axis=1)
    np.testing.assert_array_equal(mine, bounds)
    np.testing.assert_array_equal(table["partial"], [o.partial_order[order] for o, order in rows])
    assert table["partial"].any()
    np.testing.assert_allclose(table["xcentroid"], [o.xcentroid for o, _ in rows], atol=1e-9)
    np.testing.assert_allclose(table["ycentroid"], [o.ycentroid for o, _ in rows], atol=1e-9)


@pytest.mark.slow
def test_cutouts_and_wavelengths_identical_to_extract_2d(both, tmp_path):
    """Extract2dStep's defaults (half height 5 for point sources, 1000 brightest), every
    other source (``source_ids``: jwst takes ~0.3 s a cut-out)."""
    from jwst.extract_2d import Extract2dStep

    files, ours, jwst = both("GRISMR")
    ids = [int(i) for i in files["scene"].label[::2]]
    with contextlib.chdir(files["rate"].parent):
        result = run_jwst_step(
            Extract2dStep,
            jwst,
            {"wavelengthrange": str(files["refs"]["wavelengthrange"])},
            tmp_path=tmp_path,
            source_ids=ids,
        )
    table = _ours(files, ours, half_height=5, nbright=1000, source_ids=ids)
    cut = table.isel(box=np.flatnonzero(table["extract"].values))
    got = np.stack(
        [cut[k].values for k in ("source_id", "order", "xstart", "xsize", "ystart", "ysize")],
        axis=1,
    )
    want = [
        (
            int(s.source_id),
            s.meta.wcsinfo.spectral_order,
            s.xstart - 1,
            s.xsize,
            s.ystart - 1,
            s.ysize,
        )
        for s in result.slits
    ]
    np.testing.assert_array_equal(got, want)
    wcs = get_wcs(ours)
    for i, slit in enumerate(result.slits):
        row = cut.isel(box=i)
        y, x = np.indices(slit.data.shape, dtype=np.float64)
        lam = wcs(
            x + int(row["xstart"]),
            y + int(row["ystart"]),
            float(row["xcentroid"]),
            float(row["ycentroid"]),
            int(row["order"]),
        )[2]
        np.testing.assert_allclose(lam, slit.wavelength, rtol=0, atol=1e-6)
        assert slit.source_xpos == pytest.approx(float(row["xcentroid"]), abs=1e-9)
