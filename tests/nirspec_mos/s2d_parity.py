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
    """Every SCI keyword of every slit equal (but :data:`_NOT_COMPARED`, and BARSHDW of a
    fixed slit: jwst's skip barshadow and have none, spec2x's say False); DQ as the module
    says.  Returns the
    number of keywords compared."""
    compared = 0
    with fits.open(ours) as mine, fits.open(theirs) as jw:
        assert "DQ" not in jw
        sci = [h for h in mine if h.name == "SCI"]
        assert len(sci) == len([h for h in jw if h.name == "SCI"])
        for hdu in sci:
            a, b = hdu.header, jw["SCI", hdu.ver].header
            keys = {k for k in (*a, *b) if k and k not in _NOT_COMPARED}
            for key in sorted(keys):
                fixed = not str(a.get("SLTNAME")).isdigit()  # MSA slitlets have numbers
                if key == "BARSHDW" and key not in b and fixed:
                    continue
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
