"""The WCS of all MOS slitlets evaluated in one stacked call equals each slit's own, bit for bit.

The slitlets of the synthetic 30-slitlet exposure (:mod:`mos_helpers`) are cut
out by extract_2d; their WCSs (the same optical transforms, per-slit cut-out
origin, shutter and slit extent) are evaluated together by
:func:`spec2x._kernels.stacked_transforms.stacked_pixel_frames` (and
``stacked_between`` on points of the slit frame and the sky) and compared
with gwcs evaluating each slit alone; resample_spec with all slits' output
grids built together (:mod:`spec2x.instruments.nirspec.resample_grid`) gives
the products it gives slit by slit (to float32 rounding: NumPy's vectorised
sines and arctangents may round a short array's values an ulp apart from a
long one's), and each grid's numbers equal its gwcs evaluated by astropy.
"""

from __future__ import annotations

import numpy as np
import pytest
from mos_helpers import assigned_with_data

from spec2x._kernels.stacked_transforms import stacked_pixel_frames
from spec2x.steps import resample_spec as step
from spec2x.steps.extract_2d import extract_2d
from spec2x.wcs.store import get_wcs

pytestmark = pytest.mark.slow  # the 30-slitlet exposure: seconds of WCS work on an idle core


@pytest.fixture(scope="module")
def slitlets():
    ds = extract_2d(assigned_with_data())
    ny, nx = ds["sci"].shape[1:]
    rng = np.random.default_rng(3)
    for name in ("var_rnoise", "var_flat"):
        ds[name] = (("slit", "y", "x"), rng.uniform(0.5, 2.0, (ds.sizes["slit"], ny, nx)))
    ds["err"] = np.sqrt(ds["var_poisson"] + ds["var_rnoise"] + ds["var_flat"])
    names = [str(n) for n in ds["slit_name"].values]
    shapes = [(int(h), int(w)) for h, w in zip(ds["ysize"].values, ds["xsize"].values, strict=True)]
    return ds, [get_wcs(ds, slit=n) for n in names], shapes


def test_stacked_frames_equal_each_slit_evaluated_alone(slitlets):
    _, wcss, shapes = slitlets
    assert len(wcss) > 20
    stacked = stacked_pixel_frames(wcss, shapes, keep=("slit_frame",))
    for wcs, shape, frames in zip(wcss, shapes, stacked, strict=True):
        y, x = np.indices(shape, dtype=np.float64)
        d2s = wcs.get_transform(wcs.available_frames[0], "slit_frame")
        world = wcs(x, y)  # gwcs alone, NaN outside the bounding box
        inside = np.isfinite(frames["slit_frame"][0]) | np.isfinite(world[0])
        slit = tuple(np.where(inside, v, np.nan) for v in d2s(x, y))
        for mine, theirs in zip(frames["world"] + frames["slit_frame"], world + slit, strict=True):
            np.testing.assert_array_equal(mine, theirs)


def test_resample_spec_stacked_equals_slit_by_slit(slitlets, monkeypatch):
    ds = slitlets[0]
    stacked = step.resample_spec(ds)
    monkeypatch.setattr(step, "_BATCH", 1)
    alone = step.resample_spec(ds)
    for name in (*stacked.data_vars, "wavelength"):
        mine, theirs = stacked[name].values, alone[name].values
        if mine.dtype.kind in "iu":
            np.testing.assert_array_equal(mine, theirs, err_msg=name)
        else:  # the float64 grid arithmetic of short and long arrays may differ by an ulp
            np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=0, err_msg=name)
    assert list(stacked["s_region"].values) == list(alone["s_region"].values)


def test_stacked_between_equals_each_slit_step_by_step(slitlets):
    from spec2x._kernels.resample_spec import between
    from spec2x._kernels.stacked_transforms import stacked_between

    _, wcss, _ = slitlets
    rng = np.random.default_rng(5)
    points = [(np.zeros(4), rng.uniform(-0.4, 0.4, 4), rng.uniform(1, 4, 4) * 1e-6) for _ in wcss]
    sky = stacked_between(wcss, "slit_frame", "world", points)
    back = stacked_between(wcss, "world", "slit_frame", sky)
    for wcs, p, s, b in zip(wcss, points, sky, back, strict=True):
        np.testing.assert_array_equal(s, between(wcs, "slit_frame", "world")(*p))
        np.testing.assert_array_equal(b, between(wcs, "world", "slit_frame")(*s))


def test_output_grid_numbers_equal_its_gwcs(slitlets):
    """The output sky positions and wavelengths taken from the grid's numbers equal its
    gwcs (the one written in the s2d) evaluated by astropy."""
    from spec2x.instruments.nirspec.resample import nirspec_pixel_frames
    from spec2x.instruments.nirspec.resample_grid import grid_wcs, grid_world, output_grids

    ds, wcss, shapes = slitlets
    wcss, shapes = wcss[:6], shapes[:6]
    sci = [ds["sci"].values[i, :h, :w] for i, (h, w) in enumerate(shapes)]
    frames = nirspec_pixel_frames(wcss, shapes)
    for grid in output_grids(wcss, sci, frames):
        wcs = grid_wcs(grid)
        yy, xx = np.mgrid[: grid.ny, : grid.n_lam].astype(float)
        ra, dec, lam = wcs(xx, yy)
        row_ra, row_dec, col_lam = grid_world(grid)
        np.testing.assert_allclose(ra, np.broadcast_to(row_ra[:, None], ra.shape), rtol=1e-13)
        np.testing.assert_allclose(dec, np.broadcast_to(row_dec[:, None], dec.shape), rtol=1e-13)
        np.testing.assert_allclose(lam, np.broadcast_to(col_lam, lam.shape), rtol=1e-14)


def test_output_pixmaps_equal_each_output_wcs_inverted_alone(slitlets):
    """drizzle's pixel maps of all slits from one stacked walk of their output WCSs equal
    each output WCS's inverse steps evaluated on that slit's whole image alone."""
    from spec2x._kernels.resample_spec import between, output_pixmaps
    from spec2x.instruments.nirspec.resample import nirspec_pixel_frames
    from spec2x.instruments.nirspec.resample_grid import grid_wcs, output_grids

    ds, wcss, shapes = slitlets
    sci = [ds["sci"].values[i, :h, :w] for i, (h, w) in enumerate(shapes)]
    frames = nirspec_pixel_frames(wcss, shapes)
    out_wcss = [grid_wcs(g) for g in output_grids(wcss, sci, frames)]
    worlds = [f[1] for f in frames]
    pixmaps = output_pixmaps(worlds, out_wcss)
    for world, out_wcs, pixmap in zip(worlds, out_wcss, pixmaps, strict=True):
        x, y = between(out_wcs, "world", "detector")(*world)
        np.testing.assert_array_equal(pixmap, np.dstack([x, y]))
