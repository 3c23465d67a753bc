"""The synthetic MIRI LRS: references valid for jwst, exposures jwst opens, truth where the WCS says."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from astropy.io import fits

from spec2x.instruments.miri.lrs_wcs import lrs_wcs, pixel_wavelength
from spec2x.io.fits import open_exposure
from spec2x.io.references import ReferenceSet
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso, source_spectrum, transit_light_curve
from spec2x.synthetic.miri_lrs_refs import LRS_OPTICS
from spec2x.wcs.store import get_wcs

MODELS = {
    "distortion": "DistortionModel",
    "specwcs": "MiriLRSSpecwcsModel",
    "flat": "FlatModel",
    "photom": "MirLrsPhotomModel",
    "area": "PixelAreaModel",
    "pathloss": "MirLrsPathlossModel",
    "apcorr": "MirLrsApcorrModel",
    "psf": "SpecPsfModel",
}


@pytest.mark.parity
@pytest.mark.parametrize("which", ["lrs_fixedslit", "lrs_tso"])
def test_references_validate_in_stdatamodels(which, request):
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels

    obs = request.getfixturevalue(which)
    for reftype, path in obs.references.items():
        if reftype == "extract1d":
            tree = json.loads(path.read_text())
            ids = [a["id"] for a in tree["apertures"]]
            assert ids == ["MIR_LRS-FIXEDSLIT", "MIR_LRS-SLITLESS"]
            continue
        cls = getattr(datamodels, MODELS[reftype])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model = cls(str(path), strict_validation=True)
            model.validate()
        assert model.meta.reftype.lower() == reftype
        assert model.meta.instrument.name == "MIRI"


def test_references_found_by_selectors(lrs_fixedslit, lrs_tso):
    ds = open_exposure(lrs_fixedslit.exposures[0])
    refs = ReferenceSet(directory=lrs_fixedslit.folder)
    for reftype, path in lrs_fixedslit.references.items():
        assert refs.find(reftype, ds.attrs) == str(path)
    tso = open_exposure(lrs_tso.exposures[0])
    refs = ReferenceSet(directory=lrs_tso.folder)
    for reftype, path in lrs_tso.references.items():
        assert refs.find(reftype, tso.attrs) == str(path)


def test_physically_plausible_references(lrs_fixedslit):
    refs = lrs_fixedslit.references
    table = fits.getdata(refs["specwcs"], "WAVETABLE")
    assert 3.9 < table["WAVELENGTH"].min() < 4.5
    assert 13.8 < table["WAVELENGTH"].max() < 14.2
    assert np.all(np.diff(table["WAVELENGTH"]) > 0)  # blue at the top row, like the real table
    flat = fits.getdata(refs["flat"], "SCI")
    good = np.isfinite(flat) & (flat > 0)
    assert 0.008 < np.std(flat[good] / np.median(flat[good])) < 0.03
    # a low-order gradient: left and right halves differ by ~2 %
    assert np.nanmedian(flat[:, 700:]) / np.nanmedian(flat[:, :300]) > 1.01
    phot = fits.getdata(refs["photom"], "PHOTOM")
    resp = phot["relresponse"][0]
    assert resp.max() / resp.min() > 2.5
    assert np.argmin(resp) == np.argmin(np.abs(phot["wavelength"][0] - 7.5))
    pathloss = fits.getdata(refs["pathloss"], "PATHLOSS")["PATHLOSS"]
    assert np.all(pathloss >= 1.0)


@pytest.mark.parity
@pytest.mark.parametrize("which", ["lrs_fixedslit", "lrs_tso"])
def test_wcs_parity_on_synthetic_references(which, request):
    pytest.importorskip("jwst")
    from miri_lrs_helpers import jwst_lrs_wcs

    obs = request.getfixturevalue(which)
    attrs = open_exposure(obs.exposures[0]).attrs
    ours = lrs_wcs(attrs, obs.references["distortion"], obs.references["specwcs"])
    theirs = jwst_lrs_wcs(attrs, str(obs.references["distortion"]), str(obs.references["specwcs"]))
    y, x = np.indices((attrs["SUBSIZE2"], attrs["SUBSIZE1"]), dtype=np.float64)
    a, b = ours(x, y), theirs(x, y)
    for mine, ref, tol in zip(a, b, (1e-9, 1e-9, 1e-6), strict=True):
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(ref))
        np.testing.assert_allclose(mine, ref, rtol=0, atol=tol, equal_nan=True)
    inside = np.flatnonzero(np.isfinite(b[2]))[::401]
    world = [w.ravel()[inside] for w in b]
    xb, yb = ours.invert(*world)
    np.testing.assert_allclose(yb, y.ravel()[inside], atol=1e-6)
    np.testing.assert_allclose(xb, x.ravel()[inside], atol=0.01)


@pytest.mark.parity
def test_exposures_open_in_jwst(lrs_fixedslit, lrs_tso):
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels

    with datamodels.open(str(lrs_fixedslit.exposures[1])) as m:
        assert isinstance(m, datamodels.ImageModel)
        assert m.data.shape == (1024, 1032)
        assert m.meta.exposure.type == "MIR_LRS-FIXEDSLIT"
        assert m.meta.dither.primary_type == "ALONG-SLIT-NOD"
        assert m.meta.dither.position_number == 2
        assert m.meta.dither.x_offset < 0
        assert m.meta.dither.y_offset is not None
        assert m.meta.wcsinfo.v3yangle == 4.83
        assert m.meta.target.source_type_apt == "POINT"
        assert m.meta.velocity_aberration.scale_factor > 1
    with datamodels.open(str(lrs_tso.exposures[0])) as m:
        assert isinstance(m, datamodels.CubeModel)
        assert m.data.shape == (12, 416, 72)
        assert (m.meta.subarray.name, m.meta.subarray.ystart) == ("SLITLESSPRISM", 529)
        assert m.meta.visit.tsovisit is True
        np.testing.assert_allclose(m.int_times["int_mid_MJD_UTC"], lrs_tso.times)


@pytest.mark.parity
def test_source_lands_where_jwst_wcs_says(lrs_fixedslit, tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst_offline import run_jwst_step

    refs = {k: str(v) for k, v in lrs_fixedslit.references.items()}
    for path, source_x in zip(lrs_fixedslit.exposures, lrs_fixedslit.source_x, strict=True):
        result = run_jwst_step(AssignWcsStep, str(path), refs, rest="N/A", tmp_path=tmp_path)
        rows = np.flatnonzero(np.isfinite(source_x))
        wl = result.wavelength[rows, 325]
        xs, ys = result.meta.wcs.invert(
            np.full(rows.size, result.meta.target.ra),
            np.full(rows.size, result.meta.target.dec),
            wl,
        )
        # (jwst keeps the wavelength image in float32: 1e-4 px in y)
        np.testing.assert_allclose(ys, rows, atol=1e-4)
        np.testing.assert_allclose(xs, source_x[rows], atol=1e-4)
        ours = assign_wcs(open_exposure(path), lrs_fixedslit.references)
        assert ours.attrs["S_REGION"] == result.meta.wcsinfo.s_region
        assert ours.attrs["DITH_RA"] == pytest.approx(result.meta.dither.dithered_ra, abs=1e-12)
        np.testing.assert_allclose(
            ours["wavelength"].values, result.wavelength, atol=1e-5, equal_nan=True
        )
        # jwst's dithered pointing (its extraction centre) is the target
        assert result.meta.dither.dithered_ra == pytest.approx(result.meta.target.ra, abs=1e-9)
        assert result.meta.dither.dithered_dec == pytest.approx(result.meta.target.dec, abs=1e-9)


def test_nod_difference_centroid_follows_trace(lrs_fixedslit):
    a = fits.getdata(lrs_fixedslit.exposures[0], "SCI").astype(float)
    b = fits.getdata(lrs_fixedslit.exposures[1], "SCI").astype(float)
    diff = a - b  # background cancels; A positive, B negative
    xa = lrs_fixedslit.source_x[0]
    rows = np.flatnonzero(np.isfinite(xa))[20:-20]
    x = np.arange(diff.shape[1])
    found = []
    for r in rows:
        lo = int(xa[r]) - 5
        seg = np.nan_to_num(diff[r, lo : lo + 11])
        seg = np.clip(seg, 0, None)
        found.append(np.sum(seg * x[lo : lo + 11]) / np.sum(seg))
    assert np.median(np.abs(np.asarray(found) - xa[rows])) < 0.1
    # the two nods are 2 x 1.3 arcsec apart along the slit
    sep = np.nanmedian(lrs_fixedslit.source_x[0] - lrs_fixedslit.source_x[1])
    assert sep * LRS_OPTICS.pixel_scale == pytest.approx(2.6, abs=0.01)


def test_variances_and_dq(lrs_fixedslit):
    ds = open_exposure(lrs_fixedslit.exposures[0])
    err = ds["err"].values
    var = ds["var_poisson"].values + ds["var_rnoise"].values
    np.testing.assert_allclose(err**2, var, rtol=1e-5, equal_nan=True)
    dq = ds["dq"].values
    bad = (dq & 1) != 0
    assert np.isnan(ds["sci"].values[bad]).all()
    assert np.isfinite(ds["sci"].values[~bad]).all()
    assert 0.0001 < ((dq & 4) != 0).mean() < 0.01  # JUMP_DET sprinkled
    assert bad[:, :4].all()  # reference columns
    assert bad[:, -4:].all()
    # noise: the difference of the nods off the source matches the variances
    b = open_exposure(lrs_fixedslit.exposures[1])
    sky = (slice(300, 380), slice(320, 331))  # in the slit, between the nods
    d = (ds["sci"].values - b["sci"].values)[sky]
    v = (var + b["var_poisson"].values + b["var_rnoise"].values)[sky]
    pull = d / np.sqrt(v)
    assert 0.85 < np.nanstd(pull) < 1.15


def test_seed_determinism(lrs_fixedslit, tmp_path):
    from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso as make

    one = make(tmp_path / "one", seed=11, nints=3)
    two = make(tmp_path / "two", seed=11, nints=3)
    three = make(tmp_path / "three", seed=12, nints=3)
    for ext in ("SCI", "ERR", "DQ", "VAR_POISSON"):
        np.testing.assert_array_equal(
            fits.getdata(one.exposures[0], ext), fits.getdata(two.exposures[0], ext)
        )
    assert not np.array_equal(
        fits.getdata(one.exposures[0], "SCI"),
        fits.getdata(three.exposures[0], "SCI"),
        equal_nan=True,
    )
    for reftype in one.references:
        if reftype != "extract1d":
            np.testing.assert_array_equal(
                fits.getdata(one.references[reftype], 1) if reftype != "distortion" else 0,
                fits.getdata(two.references[reftype], 1) if reftype != "distortion" else 0,
            )


def test_truth_and_light_curve(lrs_tso):
    assert lrs_tso.depth == 0.02
    assert lrs_tso.light_curve.min() == pytest.approx(0.98)
    assert lrs_tso.light_curve[0] == 1.0
    np.testing.assert_allclose(lrs_tso.truth([10.0]), source_spectrum([10.0], 20e-9))
    assert lrs_tso.flux_jy[0] == pytest.approx(lrs_tso.flux[0] * 1e6)
    np.testing.assert_allclose(
        transit_light_curve(np.array([0.0, 0.5, 1.0]), 0.02), [1.0, 0.98, 1.0]
    )
    # white-light flux on the trace follows the injected light curve
    sci = fits.getdata(lrs_tso.exposures[0], "SCI").astype(float)
    xs = lrs_tso.source_x[0]
    rows = np.flatnonzero(np.isfinite(xs))
    col = int(np.round(np.nanmedian(xs)))
    sky = np.nanmedian(sci[:, rows, col + 14 : col + 26], axis=2)
    white = np.nansum(sci[:, rows, col - 4 : col + 5] - sky[:, :, None], axis=(1, 2))
    ratio = white / white[:2].mean()
    np.testing.assert_allclose(ratio, lrs_tso.light_curve, atol=0.004)


def test_assign_wcs_on_synthetic_exposure(lrs_tso):
    ds = open_exposure(lrs_tso.exposures[0])
    out = assign_wcs(ds, lrs_tso.references)
    wl = out["wavelength"]
    assert wl.dims == ("y", "x")
    assert 3.9 < float(wl.min()) < 4.6
    assert 13.8 < float(wl.max()) < 14.2
    xs = lrs_tso.source_x[0]
    rows = np.flatnonzero(np.isfinite(xs))
    wcs = get_wcs(out)
    np.testing.assert_allclose(
        pixel_wavelength(wcs, rows, xs[rows]),
        out["wavelength"].isel(y=rows, x=37).values,
        atol=1e-9,
    )


def test_small_tso_is_fast(tmp_path):
    obs = make_lrs_slitless_tso(tmp_path, seed=1, nints=2, depth=0.0)
    assert obs.light_curve.tolist() == [1.0, 1.0]


def test_inverting_the_references_recovers_the_truth(lrs_fixedslit):
    """Calibrate nod A - nod B by hand with the written references: the truth comes back."""
    from spec2x.synthetic.miri_lrs import _conversion, _pathloss_at_centre

    obs = lrs_fixedslit
    refs = obs.references
    a = open_exposure(obs.exposures[0])
    b = open_exposure(obs.exposures[1])
    wcs = lrs_wcs(a.attrs, refs["distortion"], refs["specwcs"])
    xs = obs.source_x[0]
    rows = np.flatnonzero(np.isfinite(xs))[5:-5]
    wl = pixel_wavelength(wcs, rows, xs[rows])
    flat = fits.getdata(refs["flat"], "SCI")
    flat = np.where(flat > 0, flat, np.nan)  # bad flat pixels: no data
    diff = (a["sci"].values - b["sci"].values) / flat
    sb = diff[rows] * _conversion(refs["photom"], "FULL", wl)[:, None]  # MJy/sr
    sb *= _pathloss_at_centre(refs["pathloss"], wl)[:, None]
    flux = []
    for r, row in enumerate(rows):
        lo = int(np.floor(xs[row] - 6))
        seg = sb[r, lo : lo + 13]
        flux.append(np.nansum(seg) * LRS_OPTICS.pixar_sr)
    ratio = np.asarray(flux) / obs.truth(wl)
    good = (wl > 5) & (wl < 12)
    assert np.nanmedian(ratio[good]) == pytest.approx(1.0, abs=0.005)
    assert np.nanstd(ratio[good]) < 0.02


@pytest.mark.parity
def test_lrs_pathloss_reader_matches_jwst(lrs_fixedslit):
    pytest.importorskip("jwst")
    from jwst.pathloss.pathloss import calculate_pathloss_vector
    from stdatamodels.jwst import datamodels

    from spec2x.instruments.miri.refs import lrs_pathloss

    path = lrs_fixedslit.references["pathloss"]
    ours = lrs_pathloss(path)
    model = datamodels.MirLrsPathlossModel(str(path))
    for xc, yc in [(0.0, 0.0), (11.8, 0.3), (-7.3, -1.7), (25.0, 0.0)]:
        _, ref, inside = calculate_pathloss_vector(
            model.pathloss_table["pathloss"], model.meta.wcsinfo, xc, yc, calc_wave=False
        )
        wl, vec, ok = ours.vector(xc, yc)
        assert ok == inside
        if inside:
            np.testing.assert_allclose(vec, ref[::-1], rtol=1e-6)
            np.testing.assert_allclose(wl, model.pathloss_table["wavelength"][::-1], rtol=1e-7)
