"""WFSS cut-out WCS kept as their numbers (:class:`spec2x.wcs.cutout.CutoutWcs`): the gwcs
made when asked evaluates as jwst's per-cut-out WCS would (the exposure's, shifted), pickles
and compares without being made, and extract_1d's RA/Dec needs no gwcs per cut-out."""

from __future__ import annotations

import pickle

import numpy as np

from spec2x.slits import groups
from spec2x.steps._extract_sky import sky_positions
from spec2x.wcs import cutout as cutout_module
from spec2x.wcs.cutout import CutoutWcs
from spec2x.wcs.store import WCS_COORD, get_wcs


def _kept(grismr_cutouts) -> list[CutoutWcs]:
    return [w for part in groups(grismr_cutouts["cutouts"]) for w in part[WCS_COORD].values]


def test_a_cutouts_wcs_is_the_exposures_from_its_corner(grismr_cutouts):
    kept = _kept(grismr_cutouts)
    assert all(isinstance(w, CutoutWcs) for w in kept)
    exposure = get_wcs(grismr_cutouts["exposure"])
    for w in kept[:5]:
        x0, y0, xc, yc, order, ny, nx = w.numbers
        x, y = np.meshgrid(np.arange(nx, dtype=float), np.arange(ny, dtype=float))
        given = [np.full_like(x, v) for v in (xc, yc, order)]
        want = exposure(x + x0, y + y0, *given)
        for a, b in zip(w.wcs(x, y), want, strict=True):
            np.testing.assert_array_equal(a, b)
        (xlo, xhi), (ylo, yhi) = w.wcs.bounding_box.bounding_box(order="F")
        assert (xlo, xhi, ylo, yhi) == (-0.5, nx - 0.5, -0.5, ny - 0.5)


def test_pickled_and_compared_as_numbers(grismr_cutouts):
    kept = _kept(grismr_cutouts)
    back = pickle.loads(pickle.dumps(kept[:3]))
    assert [b.numbers for b in back] == [k.numbers for k in kept[:3]]
    assert back[0] == kept[0]  # another parent object: its text compared once
    assert kept[0] == CutoutWcs(kept[0].parent, kept[0].numbers)
    assert kept[0] != kept[1]
    np.testing.assert_array_equal(back[1].wcs(3.0, 2.0), kept[1].wcs(3.0, 2.0))


def test_sky_positions_from_the_numbers_equal_each_gwcs(grismr_cutouts, monkeypatch):
    kept = _kept(grismr_cutouts)
    rng = np.random.default_rng(7)
    profiles = [rng.uniform(0.1, 1.0, (w.numbers[5], w.numbers[6])) for w in kept]
    built = [w.wcs for w in kept]
    made = []
    real = cutout_module._built
    monkeypatch.setattr(cutout_module, "_built", lambda p, n: made.append(n) or real(p, n))
    ours = [{"profile": p} for p in profiles]
    sky_positions(ours, kept)
    assert made == [kept[0].numbers]  # the first alone, to check the shared call
    theirs = [{"profile": p} for p in profiles]
    sky_positions(theirs, built)
    assert [(s["ra"], s["dec"]) for s in ours] == [(s["ra"], s["dec"]) for s in theirs]
    assert np.isfinite([s["ra"] for s in ours]).all()
