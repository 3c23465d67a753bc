"""MOS fixed-slit parity helpers: the per-slit keywords and DQ of a ``_s2d`` against jwst
3.0.0's, the peak-relative difference of two arrays, and jwst's FS references for its
fixed slits.

jwst's ``ResampleSpecStep`` keeps on each resampled slit the cut-out's
SLTSTRT1/2 and SLTSIZE1/2, the slit's labels and its calibration keywords
(PHOTMJSR, PHOTUJA2, BUNIT, PTHLOSS, WAVECOR, BARSHDW), sets PIXAR_SR,
PIXAR_A2 from the nominal pixel area and S_REGION to the sky box of the
slit's output grid.  With its default ``propagate_dq=False``
it writes no DQ extension (stdatamodels reads zeros); spec2x's ``dq`` is
DO_NOT_USE exactly where ``sci`` is NaN (no input pixel landed), 0 elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

#: Structure keywords (the image sizes are compared as arrays by the tests).
_NOT_COMPARED = frozenset(
    "XTENSION BITPIX NAXIS NAXIS1 NAXIS2 PCOUNT GCOUNT EXTNAME EXTVER CHECKSUM DATASUM".split()
)


def assert_s2d_keywords_and_dq(ours: Path, theirs: Path) -> int:
    """Every SCI keyword of every slit equal (but :data:`_NOT_COMPARED`; a fixed slit has
    no BARSHDW in either); DQ as the module says.  Returns the number of keywords compared."""
    compared = 0
    with fits.open(ours) as mine, fits.open(theirs) as jw:
        assert "DQ" not in jw
        sci = [h for h in mine if h.name == "SCI"]
        assert len(sci) == len([h for h in jw if h.name == "SCI"])
        for hdu in sci:
            a, b = hdu.header, jw["SCI", hdu.ver].header
            keys = {k for k in (*a, *b) if k and k not in _NOT_COMPARED}
            for key in sorted(keys):
                assert a.get(key) == b.get(key), (hdu.ver, key, a.get(key), b.get(key))
                compared += 1
            dq = mine["DQ", hdu.ver].data
            np.testing.assert_array_equal(dq, np.isnan(jw["SCI", hdu.ver].data).astype(dq.dtype))
    return compared


def peak_rel(mine: np.ndarray, theirs: np.ndarray) -> float:
    """Largest |mine - theirs| / max(|theirs|) over the finite values (NaN where jwst's are)."""
    mine, theirs = np.asarray(mine, float), np.asarray(theirs, float)
    assert mine.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))
    ok = np.isfinite(theirs)
    scale = max(float(np.abs(theirs[ok]).max(initial=0.0)), 1e-30)  # SURF_BRIGHT of a point: 0
    return float(np.abs(mine[ok] - theirs[ok]).max(initial=0.0) / scale)


def fs_references(monkeypatch, fs_refs: dict[str, Path]) -> None:
    """jwst's steps get the fixed-slit files when they ask with an NRS_FIXEDSLIT model."""
    from stpipe.step import Step

    original = Step.get_reference_file

    def get_reference_file(self, input_file, reference_file_type):
        exp_type = getattr(getattr(getattr(input_file, "meta", None), "exposure", None), "type", "")
        if exp_type == "NRS_FIXEDSLIT" and reference_file_type in fs_refs:
            return str(fs_refs[reference_file_type])
        return original(self, input_file, reference_file_type)

    monkeypatch.setattr(Step, "get_reference_file", get_reference_file)


#: Binary-table structure keywords (column formats, scaling, sizes) of an x1d extension.
_TABLE = ("TTYPE", "TFORM", "TUNIT", "TZERO", "TSCAL", "TNULL", "TDIM", "TDISP")


def assert_x1d_keywords(ours: Path, theirs: Path) -> int:
    """Every EXTRACT1D keyword of every spectrum equal to jwst's (floats to 1e-9 relative:
    extraction limits and slit positions carry float rounding); returns the number compared."""
    compared = 0
    with fits.open(ours) as mine, fits.open(theirs) as jw:
        specs = [h for h in mine if h.name == "EXTRACT1D"]
        assert len(specs) == len([h for h in jw if h.name == "EXTRACT1D"])
        for hdu in specs:
            a, b = hdu.header, jw["EXTRACT1D", hdu.ver].header
            keys = {k for k in (*a, *b) if k and k not in _NOT_COMPARED}
            for key in sorted(k for k in keys if not k.startswith(_TABLE)):
                va, vb = a.get(key), b.get(key)
                if isinstance(vb, float) and isinstance(va, float):
                    assert np.isclose(va, vb, rtol=1e-9, atol=0), (hdu.ver, key, va, vb)
                else:
                    assert va == vb, (hdu.ver, key, va, vb)
                compared += 1
    return compared


def assert_statuses(ours: Path, theirs: Path) -> None:
    """The step statuses (``S_*`` of the primary header, S_REGION aside) equal jwst's."""
    a, b = fits.getheader(ours), fits.getheader(theirs)
    keys = {k for k in (*a, *b) if k.startswith("S_") and k != "S_REGION"}
    mine, theirs = {k: a.get(k) for k in keys}, {k: b.get(k) for k in keys}
    assert mine == theirs, {k: (mine[k], theirs[k]) for k in keys if mine[k] != theirs[k]}


def assert_fixed_slit_products(worst: dict[str, float], ours: dict, theirs: dict) -> None:
    """A fixed slit's products against jwst's: the largest relative differences ``worst``
    ("cal data", "x1d FLUX", ...) within cal 1e-5, s2d and x1d 1e-4 (wavelengths 1e-6),
    every s2d and x1d keyword and the step statuses of the three products equal."""
    limits = {"cal": 1e-5, "s2d": 1e-4, "x1d": 1e-4}
    for key, value in worst.items():
        limit = 1e-6 if key.endswith("wavelength") else limits[key.split()[0]]
        assert value < limit, key
    n = assert_s2d_keywords_and_dq(ours["s2d"], theirs["s2d"])
    print(f"s2d: {n} per-slit keywords equal")
    n = assert_x1d_keywords(ours["x1d"], theirs["x1d"])
    print(f"x1d: {n} per-spectrum keywords equal")
    for kind in ("cal", "s2d", "x1d"):
        assert_statuses(ours[kind], theirs[kind])
