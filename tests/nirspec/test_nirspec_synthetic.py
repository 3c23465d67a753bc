"""Synthetic NIRSpec: references open in stdatamodels, the source lands where jwst's WCS says."""

from __future__ import annotations

import numpy as np
import pytest
from nrs_helpers import jwst_assign_wcs

from spec2x.instruments.nirspec.fs import assign_fixed_slits
from spec2x.io.fits import open_exposure as read_exposure
from spec2x.io.references import open_reference
from spec2x.steps.extract_2d import extract_2d
from spec2x.synthetic.nirspec import PHOTMJ, make_nirspec_fs, source_spectrum
from spec2x.synthetic.nirspec_refs import GRATINGS, write_nirspec_optical_refs
from spec2x.wcs.store import get_wcs


@pytest.fixture(scope="module")
def obs(tmp_path_factory):
    return make_nirspec_fs(
        7,
        subarray="SUBS200A1",
        folder=tmp_path_factory.mktemp("nrs_fs"),
        noise=False,
        calibration=False,
    )


def test_references_open_in_stdatamodels(tmp_path):
    from stdatamodels.jwst import datamodels as dm

    out = write_nirspec_optical_refs(tmp_path, msa_grid=(3, 2))
    for g, path in out["disperser"].items():
        with dm.DisperserModel(str(path)) as m:
            m.validate()
            if g != "PRISM":
                assert m.groovedensity == pytest.approx(GRATINGS[g]["groovedensity"])
    for f, path in out["fore"].items():
        with dm.FOREModel(str(path)) as m:
            m.validate()
            assert m.meta.instrument.filter == f
    with dm.MSAModel(str(out["msa"])) as m:
        m.validate()
        # a table with jwst's column names (get_msa_slit_scales reads XC, YC, SIZEX, SIZEY)
        assert m.Q5.data.shape == (5,)
        assert m.Q1.data.shape == (6,)
        assert m.Q1.data.dtype.names == ("NO", "XC", "YC", "SIZEX", "SIZEY")
    with dm.WavelengthrangeModel(str(out["wavelengthrange"])) as m:
        m.validate()
        assert "F100LP_G140M" in m.waverange_selector
    for reftype in ("camera", "collimator", "fpa", "ote", "msa", "wavelengthrange"):
        assert open_reference(out[reftype]).reftype == reftype


def test_noiseless_source_has_the_injected_spectrum(obs):
    ds = read_exposure(obs.rate_paths[0])
    refs = {k: open_reference(v, k) for k, v in obs.refs.items()}
    slits = extract_2d(assign_fixed_slits(ds, refs))
    assert float(slits["source_xpos"][0]) == pytest.approx(obs.source_xpos[0], abs=1e-9)
    assert abs(obs.source_xpos[0]) > 0.05  # off-centre: wavecorr matters
    wcs = get_wcs(slits, slit="S200A1")
    # the trace of the slit point (xpos, ypos) through our (= jwst's) WCS
    lam = np.linspace(1.1e-6, 1.8e-6, 50)
    xt, yt = wcs.get_transform("slit_frame", "detector")(
        np.full(50, obs.source_xpos[0]), np.full(50, obs.source_ypos[0]), lam
    )
    sci = slits["sci"].values[0]
    sky = 0.05
    for x, y, lam_m in zip(xt, yt, lam, strict=True):
        col = np.nan_to_num(sci[:, int(round(x))] - sky)
        col[col < 1e-3] = 0
        rows = np.arange(col.size)
        centroid = (rows * col).sum() / col.sum()
        assert centroid == pytest.approx(y, abs=0.05)
        expected = source_spectrum(lam_m * 1e6) / PHOTMJ
        assert col.sum() == pytest.approx(expected, rel=0.02)


@pytest.mark.parity
def test_synthetic_g140m_matches_jwst(obs, tmp_path):
    pytest.importorskip("jwst")
    from jwst.extract_2d.nirspec import nrs_extract2d
    from stdatamodels.jwst import datamodels as dm

    model = dm.ImageModel(str(obs.rate_paths[1]))
    paths = {k: str(v) for k, v in obs.refs.items()}
    model = jwst_assign_wcs(model, paths, tmp_path)
    model.meta.cal_step.assign_wcs = "COMPLETE"
    theirs = nrs_extract2d(model).slits[0]
    refs = {k: open_reference(v, k) for k, v in obs.refs.items()}
    ours = extract_2d(assign_fixed_slits(read_exposure(obs.rate_paths[1]), refs)).isel(slit=0)
    for key in ("xstart", "ystart", "xsize", "ysize"):
        assert int(ours[key]) == getattr(theirs, key)
    assert theirs.source_xpos == pytest.approx(obs.source_xpos[1], abs=1e-9)
    ny, nx = theirs.data.shape
    lam = ours["wavelength"].values[:ny, :nx]
    ok = np.isfinite(lam)
    assert ok.sum() > 10000
    np.testing.assert_allclose(lam[ok], theirs.wavelength[ok], rtol=1e-6)
    # round trip: y_slit(beta) is tabulated (1000 points, as jwst), which costs ~0.02 px
    wcs = get_wcs(ours, slit="S200A1")
    y, x = np.nonzero(ok)
    y, x = y[::97], x[::97]
    ra, dec, w = wcs(x, y)
    xb, yb = wcs.invert(ra, dec, w)
    assert np.max(np.abs(xb - x)) < 0.03
    assert np.max(np.abs(yb - y)) < 0.03


def test_calibrating_returns_the_injected_spectrum(tmp_path):
    """Inject through the inverse flat/pathloss/photom; the forward chain gives F_nu back."""
    from spec2x.steps.flat_field import flat_field
    from spec2x.steps.pathloss import pathloss
    from spec2x.steps.photom import photom
    from spec2x.steps.srctype import srctype
    from spec2x.steps.wavecorr import wavecorr

    obs = make_nirspec_fs(
        3, subarray="SUBS200A1", folder=tmp_path, noise=False, sky=0.0, nod_offsets=(-0.6,)
    )
    refs = {k: open_reference(v, k) for k, v in obs.refs.items()}
    ds = read_exposure(obs.rate_paths[0])
    s = extract_2d(assign_fixed_slits(ds, refs))
    s = wavecorr(srctype(s), refs["wavecorr"])
    s = flat_field(s, fflat=refs["fflat"], sflat=refs["sflat"], dflat=refs["dflat"])
    s = pathloss(s, refs["pathloss"])
    s = photom(s, refs["photom"], area=refs["area"]).isel(slit=0)
    assert s["sci"].attrs["units"] == "MJy"
    sci, wl = s["sci"].values, s["wavelength"].values
    checked = 0
    for col in range(0, sci.shape[1], 40):
        column = sci[:, col]
        if not np.isfinite(column).any() or np.nanmax(column) <= 0:
            continue
        peak = int(np.nanargmax(column))
        near = column[max(0, peak - 6) : peak + 7]
        if near.size < 13 or not np.isfinite(near).all() or not np.isfinite(wl[peak, col]):
            continue
        assert np.nansum(column) == pytest.approx(source_spectrum(wl[peak, col]), rel=0.01)
        checked += 1
    assert checked > 20


@pytest.mark.parity
def test_jwst_steps_run_on_the_synthetic_rate_file(obs, tmp_path):
    """jwst's AssignWcsStep + Extract2dStep read our headers and find our source position."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_2d import Extract2dStep
    from jwst_offline import run_jwst_step

    optical = ("disperser", "wavelengthrange", "fpa", "camera", "collimator", "msa", "fore", "ote")
    paths = {k: str(obs.refs[k]) for k in optical}
    model = run_jwst_step(
        AssignWcsStep, str(obs.rate_paths[0]), paths, rest="N/A", tmp_path=tmp_path
    )
    assert model.meta.cal_step.assign_wcs == "COMPLETE"
    slit = run_jwst_step(Extract2dStep, model, {}, rest="N/A", tmp_path=tmp_path).slits[0]
    assert slit.name == "S200A1"
    assert slit.source_xpos == pytest.approx(obs.source_xpos[0], abs=1e-9)
    assert slit.source_ypos == pytest.approx(obs.source_ypos[0], abs=1e-9)


@pytest.mark.parametrize("grating", ["G140M", "G395M"])
def test_stored_grating_design_is_what_the_solver_finds(grating):
    """The synthetic gratings' groove density and tilt come from solve_grating on the CV3 optics."""
    from spec2x.synthetic._nirspec_grating import solve_grating
    from spec2x.synthetic.nirspec_refs import grating_parameters

    solved, stored = solve_grating(grating), grating_parameters(grating)
    assert solved["groovedensity"] == pytest.approx(stored["groovedensity"], rel=1e-9)
    assert solved["tilt_y"] == pytest.approx(stored["tilt_y"], abs=1e-9)
