"""wavecorr -> flat_field -> pathloss on a synthetic NIRSpec FS exposure with the real WCS chain,
against jwst 3.0.0 run on the same rate file and references (its own assign_wcs and extract_2d)."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.instruments.nirspec.flat import nirspec_flat
from spec2x.instruments.nirspec.fs import assign_fixed_slits
from spec2x.io.fits import open_exposure
from spec2x.io.references import open_reference
from spec2x.steps.extract_2d import extract_2d
from spec2x.steps.pathloss import pathloss
from spec2x.steps.wavecorr import dispersion_from_wcs, wavecorr
from spec2x.synthetic import nirspec_cal_refs as ncr
from spec2x.synthetic.nirspec import make_nirspec_fs
from spec2x.wcs.store import get_wcs

pytestmark = pytest.mark.parity


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    pytest.importorskip("jwst")
    from jwst.assign_wcs.assign_wcs import load_wcs
    from jwst.extract_2d.nirspec import nrs_extract2d
    from jwst_offline import jwst_offline_env
    from stdatamodels.jwst import datamodels as dm

    folder = tmp_path_factory.mktemp("nrs_fs_cal")
    obs = make_nirspec_fs(5, subarray="SUBS200A1", folder=folder, noise=True, calibration=False)
    paths = {k: str(v) for k, v in obs.refs.items()}
    cal = folder / "cal"
    cal.mkdir()
    paths["fflat"] = str(ncr.write_fflat(cal / "f.fits"))
    paths["sflat"] = str(ncr.write_sflat(cal / "s.fits"))
    paths["dflat"] = str(ncr.write_dflat(cal / "d.fits", wavelengths=(0.6, 1.2, 2.0)))
    paths["wavecorr"] = str(ncr.write_wavecorr(cal / "w.asdf"))
    paths["pathloss"] = str(ncr.write_pathloss(cal / "p.fits"))
    refs = {k: open_reference(v, k) for k, v in paths.items()}
    ds = extract_2d(assign_fixed_slits(open_exposure(obs.rate_paths[0]), refs))
    ds = ds.assign_coords(srctype=("slit", np.full(ds.sizes["slit"], "POINT")))
    steps = {"extract": ds}
    steps["wavecorr"] = wavecorr(ds, refs["wavecorr"], dispersion=dispersion_from_wcs(ds))
    steps["flat"] = nirspec_flat(steps["wavecorr"], refs["fflat"], refs["sflat"], refs["dflat"])
    steps["pathloss"] = pathloss(steps["flat"], refs["pathloss"])

    optical = {
        k: v
        for k, v in paths.items()
        if k not in ("fflat", "sflat", "dflat", "wavecorr", "pathloss")
    }
    model = dm.ImageModel(str(obs.rate_paths[0]))
    with jwst_offline_env(folder):
        model = load_wcs(model, optical, nrs_slit_y_range=(-0.55, 0.55))
    model.meta.cal_step.assign_wcs = "COMPLETE"
    multi = nrs_extract2d(model)
    for slit in multi.slits:
        slit.source_type = "POINT"
    jw = {}
    from jwst.flatfield.flat_field import do_nirspec_flat_field
    from jwst.pathloss.pathloss import do_correction as pathloss_correction
    from jwst.wavecorr.wavecorr import do_correction as wavecorr_correction

    multi = wavecorr_correction(multi, paths["wavecorr"])
    jw["wavecorr"] = [s.wavelength.copy() for s in multi.slits]
    flats = [dm.NirspecFlatModel(paths[k]) for k in ("fflat", "sflat", "dflat")]
    do_nirspec_flat_field(multi, *flats)
    jw["flat"] = [
        (s.data.copy(), s.err.copy(), s.dq.copy(), s.var_flat.copy()) for s in multi.slits
    ]
    pathloss_correction(multi, dm.PathlossModel(paths["pathloss"]))
    jw["pathloss"] = [
        (
            s.data.copy(),
            s.err.copy(),
            s.dq.copy(),
            s.pathloss_point.copy(),
            s.pathloss_uniform.copy(),
        )
        for s in multi.slits
    ]
    jw["flat_uniform"] = [s.flatfield_uniform.copy() for s in multi.slits]
    jw["names"] = [s.name for s in multi.slits]
    return steps, jw


def _cut(ds, i, name):
    ys, xs = int(ds["ysize"][i]), int(ds["xsize"][i])
    return np.asarray(ds[name][i])[:ys, :xs]


def _close(mine, theirs, rtol, label):
    assert mine.shape == theirs.shape, label
    assert np.array_equal(np.isnan(mine), np.isnan(theirs)), label
    ok = ~np.isnan(theirs)
    np.testing.assert_allclose(mine[ok], theirs[ok], rtol=rtol, err_msg=label)


def test_same_slits(chain):
    steps, jw = chain
    assert list(steps["extract"]["slit_name"].values) == jw["names"]


def test_wavecorr_wavelengths_and_wcs(chain):
    steps, jw = chain
    out = steps["wavecorr"]
    assert out["wavelength_corrected"].values.all()
    for i, theirs in enumerate(jw["wavecorr"]):
        mine = _cut(out, i, "wavelength")
        _close(mine, theirs, 1e-7, f"wavelength {jw['names'][i]}")
        shift = np.nanmax(np.abs(mine - _cut(out, i, "wavelength_uncorrected")))
        assert shift > 1e-5  # the correction is not nothing (µm)
        # the stored WCS now carries the correction too
        w = get_wcs(out, slit=jw["names"][i])
        assert "wavecorr_frame" in w.available_frames
        y, x = np.nonzero(np.isfinite(theirs))
        y, x = y[::53], x[::53]
        np.testing.assert_allclose(w(x, y)[2], theirs[y, x], rtol=1e-7)  # jwst keeps float32


def test_flat_on_corrected_wavelengths(chain):
    steps, jw = chain
    out = steps["flat"]
    for i, (sci, err, dq, var_flat) in enumerate(jw["flat"]):
        assert np.array_equal(_cut(out, i, "dq"), dq)
        for key, theirs in (("sci", sci), ("err", err), ("var_flat", var_flat)):
            _close(_cut(out, i, key), theirs, 1e-5, f"{key} {jw['names'][i]}")
        _close(_cut(out, i, "flatfield_uniform"), jw["flat_uniform"][i], 1e-5, "flat uniform")


def test_pathloss_after_flat(chain):
    steps, jw = chain
    out = steps["pathloss"]
    for i, (sci, err, dq, ps, un) in enumerate(jw["pathloss"]):
        assert np.array_equal(_cut(out, i, "dq"), dq)
        for key, theirs in (
            ("sci", sci),
            ("err", err),
            ("pathloss_point", ps),
            ("pathloss_uniform", un),
        ):
            _close(_cut(out, i, key), theirs, 1e-5, f"{key} {jw['names'][i]}")


def test_dispersion_of_chosen_slits_only(chain):
    """``only``: a slit left out is NaN, a chosen one bit for bit the whole call's (the FS slit)."""
    ds = chain[0]["extract"]
    whole = dispersion_from_wcs(ds).values
    assert np.isnan(dispersion_from_wcs(ds, only=np.zeros(ds.sizes["slit"], bool)).values).all()
    only = np.ones(ds.sizes["slit"], bool)
    np.testing.assert_array_equal(dispersion_from_wcs(ds, only=only).values, whole)
    assert np.isfinite(whole).any()
