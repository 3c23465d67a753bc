"""APCORR tables as stdatamodels writes them: every layout either matches jwst or is refused.

The NIRSpec FS tables here are written by stdatamodels' ``NrsFsApcorrModel``
(3 pixel phases, 3 sizes, 200 wavelengths) with the per-row axes in each
order.  jwst 3.0.0 interpolates the pixel phase along the last axis of
APCORR and the sizes along the last axis of SIZE; when that fails with a
``ValueError`` it leaves the spectrum uncorrected (as it does with the
wavelength-last layout of its own test data), when it fails otherwise it
stops.  spec2x does the same numbers in the first case (with a warning) and
raises a :class:`ReferenceMismatchError` naming the file and column in the second.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from extract_helpers import NIRSPEC_FS_ATTRS, nirspec_fs_slits, spec2x_slits
from helpers import nirspec_multislit

from spec2x._kernels import apcorr as ap
from spec2x.errors import ReferenceMismatchError, Spec2xWarning
from spec2x.io.references import open_reference
from spec2x.steps.extract_1d import extract_1d
from spec2x.synthetic.extract_refs import write_apcorr_miri_lrs, write_extract1d

NWAVE, NSIZE, NPHASE = 200, 3, 3
WAVE = np.linspace(0.6, 5.3, NWAVE)
SIZES = np.array([2.0, 6.0, 12.0])
PHASES = np.array([0.0, 0.25, 0.5])
#: (size, wavelength, phase): falls with size, rises with wavelength and phase
TABLE = 1.0 + 0.4 / SIZES[:, None, None] * (1 + 0.05 * WAVE[None, :, None]) * (
    1 + 0.3 * PHASES[None, None, :]
)
SLITS = ("S200A1", "S200A2", "S1600A1")
#: per-row axis order of APCORR (s = size, w = wavelength, p = phase) and whether SIZE is (w, s)
LAYOUTS = {
    "swp": ((0, 1, 2), False),  # what jwst's code interpolates
    "spw": ((0, 2, 1), False),  # wavelength last, as jwst's own test data file
    "pws": ((2, 1, 0), True),  # the reference-file specification's order (and SIZE (w, s))
}


def write_nrs_fs_apcorr(path, apcorr_axes=(0, 1, 2), size_wave_first=False):
    """An APCORR file written by stdatamodels' NrsFsApcorrModel, one row per FS slit."""
    from stdatamodels.jwst import datamodels as dm

    table = TABLE.transpose(apcorr_axes)
    size = np.repeat(SIZES[:, None], NWAVE, 1)
    size = size.T if size_wave_first else size
    dtype = [
        ("filter", "U12"),
        ("grating", "U15"),
        ("slit", "U15"),
        ("wavelength", "f4", (NWAVE,)),
        ("nelem_wl", "i2"),
        ("size", "f4", size.shape),
        ("nelem_size", "i2"),
        ("pixphase", "f4", (NPHASE,)),
        ("apcorr", "f4", table.shape),
        ("apcorr_err", "f4", table.shape),
    ]
    rows = np.zeros(len(SLITS), dtype=dtype)
    rows["filter"], rows["grating"], rows["slit"] = "CLEAR", "PRISM", SLITS
    rows["wavelength"], rows["nelem_wl"], rows["nelem_size"] = WAVE, NWAVE, NSIZE
    rows["size"], rows["pixphase"], rows["apcorr"] = size, PHASES, table
    rows["apcorr_err"] = 0.01
    model = dm.NrsFsApcorrModel()
    model.apcorr_table = rows
    model.sizeunit = "pixels"
    model.meta.instrument.name = "NIRSPEC"
    model.meta.reftype = "APCORR"
    model.meta.author = "spec2x tests"
    model.meta.pedigree = "DUMMY"
    model.meta.useafter = "2022-01-01T00:00:00"
    model.meta.description = "NIRSpec FS APCORR written by NrsFsApcorrModel"
    model.save(str(path))
    model.close()
    return path


def _extract1d_ref(tmp_path):
    apertures = [
        {"id": s, "dispaxis": 1, "extract_width": 5, "bkg_coeff": [[1.5], [4.5], [16.5], [19.5]]}
        for s in SLITS
    ]
    return write_extract1d(
        tmp_path / "x1d.json", apertures, instrument="NIRSPEC", exp_type="NRS_FIXEDSLIT"
    )


def _row(path):
    match = {"filter": "CLEAR", "grating": "PRISM", "slit": "S200A1"}
    return ap.select_row(open_reference(path).content["rows"], match)


@pytest.mark.parity
@pytest.mark.parametrize(
    ("size_t", "axes"), list(itertools.product((False, True), itertools.permutations(range(3))))
)
def test_every_layout_matches_jwst_or_is_refused(tmp_path, size_t, axes):
    """All twelve axis orders: the kernel gives jwst's correction, or jwst fails and we refuse."""
    jwst_apcorr = pytest.importorskip("jwst.extract_1d.apply_apcorr")
    from stdatamodels.jwst import datamodels as dm

    path = write_nrs_fs_apcorr(tmp_path / "ap.fits", axes, size_t)
    model = nirspec_multislit()
    refmodel = dm.NrsFsApcorrModel(str(path))
    theirs = jwst_apcorr.ApCorrPhase(model, refmodel.apcorr_table, refmodel.sizeunit, slit="S200A1")
    rng = np.random.default_rng(5)
    table = np.zeros(30, dtype=[("wavelength", "f8"), ("npixels", "f8")])
    table["wavelength"] = np.r_[rng.uniform(0.7, 5.2, 28), 0.3, 6.0]
    table["npixels"] = rng.uniform(2, 12, 30)
    row = _row(path)
    try:
        theirs.tabulate_correction(table)
    except IndexError:  # jwst stops: spec2x refuses, naming the column
        with pytest.raises(ValueError, match="column APCORR"):
            ap.phase_layout(row)
        return
    ours = ap.phase_correction(row)(table["wavelength"], table["npixels"])
    np.testing.assert_allclose(ours, theirs.tabulated_correction, rtol=1e-12)
    applied = not np.all(theirs.tabulated_correction == 1.0)
    assert (ap.phase_layout(row) is None) == applied


@pytest.mark.parity
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_extract_1d_parity_with_nrsfs_apcorr_model_file(tmp_path, layout):
    """x1d of NIRSpec FS slits with the stdatamodels-written APCORR, against jwst's extract_1d."""
    pytest.importorskip("jwst")
    from jwst.extract_1d.extract import run_extract1d

    axes, size_t = LAYOUTS[layout]
    ap_path = write_nrs_fs_apcorr(tmp_path / "apcorr.fits", axes, size_t)
    ref_path = _extract1d_ref(tmp_path)
    slits, model = nirspec_fs_slits()
    out, *_ = run_extract1d(model, extract_ref_name=str(ref_path), apcorr_ref_name=str(ap_path))
    ds = spec2x_slits(slits, NIRSPEC_FS_ATTRS)
    extract_ref = open_reference(ref_path)
    if layout == "swp":
        ours = extract_1d(ds, extract_ref, apcorr=open_reference(ap_path))
    else:
        with pytest.warns(Spec2xWarning, match=r"apcorr\.fits .*column (APCORR|SIZE)"):
            ours = extract_1d(ds, extract_ref, apcorr=open_reference(ap_path))
    plain = extract_1d(ds, extract_ref)
    for i, spec in enumerate(out.spec):
        n = len(spec.spec_table)
        one = ours.isel(slit=i, spectral=slice(0, n))
        for name in ("flux", "flux_error", "surf_bright", "flux_var_poisson"):
            np.testing.assert_allclose(
                one[name].values, spec.spec_table[name], rtol=1e-4, equal_nan=True, err_msg=name
            )
        ratio = one["flux"].values / plain["flux"].isel(slit=i, spectral=slice(0, n)).values
        corrected = layout == "swp" and model.slits[i].source_type == "POINT"
        assert (np.nanmax(np.abs(ratio - 1.0)) > 0.01) == corrected


def test_layout_jwst_cannot_use_raises_naming_file_and_column(tmp_path):
    """(wavelength, size, phase): jwst fails with an IndexError; spec2x says what is wrong."""
    ap_path = write_nrs_fs_apcorr(tmp_path / "wsp.fits", (1, 0, 2))
    slits, _ = nirspec_fs_slits()
    with pytest.raises(ReferenceMismatchError, match=r"wsp\.fits .*column APCORR has shape"):
        extract_1d(
            spec2x_slits(slits, NIRSPEC_FS_ATTRS),
            open_reference(_extract1d_ref(tmp_path)),
            apcorr=open_reference(ap_path),
        )


def test_reader_refuses_columns_of_other_dimensions(tmp_path):
    """A pixel-phase table whose APCORR cells are flat (no TDIM): stdatamodels would refuse too."""
    from astropy.io import fits

    path = write_nrs_fs_apcorr(tmp_path / "flat.fits")
    with fits.open(path, mode="update") as hdul:
        old = hdul["APCORR"]
        cols = [
            fits.Column(c.name, c.format, array=old.data[c.name], dim=c.dim)
            if c.name.lower() != "apcorr"
            else fits.Column(c.name, c.format, array=old.data[c.name].reshape(len(SLITS), -1))
            for c in old.columns
        ]
        new = fits.BinTableHDU.from_columns(cols, name="APCORR")
        new.header["SIZEUNIT"] = "pixels"
        hdul["APCORR"] = new
    with pytest.raises(ReferenceMismatchError, match=r"flat\.fits.*column APCORR has shape"):
        open_reference(path)


def test_reader_refuses_lrs_nelem_beyond_the_arrays(tmp_path):
    path = write_apcorr_miri_lrs(tmp_path / "lrs.fits")
    from astropy.io import fits

    with fits.open(path, mode="update") as hdul:
        hdul["APCORR"].data["nelem_size"][:] = 40
    with pytest.raises(ReferenceMismatchError, match=r"lrs\.fits.*column SIZE.*NELEM_SIZE=40"):
        open_reference(path)


def test_reader_checks_the_ifu_radial_table(tmp_path):
    """An ASDF APCORR (IFU radial table) without radii, or with radii of another shape than the
    corrections, is refused naming the file (spec2x.cube.apcorr applies the good ones)."""
    import asdf

    path = tmp_path / "ifu_apcorr.asdf"
    table = {"wavelength": np.linspace(1, 5, 10), "apcorr": np.ones((3, 10))}
    tree = {"meta": {"reftype": "APCORR", "instrument": {"name": "NIRSPEC"}}, "apcorr_table": table}
    asdf.AsdfFile(tree).write_to(path)
    with pytest.raises(ReferenceMismatchError, match=r"ifu_apcorr\.asdf lacks \['radius'\]"):
        open_reference(path)
    table["radius"] = np.ones((3, 9))
    asdf.AsdfFile(tree).write_to(path)
    with pytest.raises(ReferenceMismatchError, match=r"ifu_apcorr\.asdf: radius \(3, 9\)"):
        open_reference(path)
    table["radius"] = np.ones((3, 10))
    path = tmp_path / "good_ifu_apcorr.asdf"  # a new name: opened references are cached
    asdf.AsdfFile(tree).write_to(path)
    content = open_reference(path).content
    assert content["radial"]["radius"].shape == (3, 10)
