"""wavecorr on MOS slitlets: every point-source slit (fixed slits included) uses the MOS aperture."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "nirspec_cal"))
from nrs_cal_helpers import FS, make_slits  # noqa: E402

from spec2x.io.references import open_reference  # noqa: E402
from spec2x.steps.wavecorr import wavecorr  # noqa: E402
from spec2x.synthetic.nirspec_slit_refs import write_wavecorr  # noqa: E402


def test_mos_slits_take_the_mos_aperture(tmp_path):
    names = ["12", "13", "S200A1"]
    ds = make_slits(
        names, srctype=["POINT", "EXTENDED", "POINT"], source_xpos=[0.2, 0.2, -0.3],
        exp_type="NRS_MSASPEC",
    )  # fmt: skip
    mos = open_reference(write_wavecorr(tmp_path / "mos.asdf", slits=("MOS",)))
    out = wavecorr(ds, mos)
    assert out["wavelength_corrected"].values.tolist() == [True, False, True]
    # synthetic MOS table: offset -x * 2 pixels (0.2" shutter), 15 % less at 5.3 µm
    shift = np.nanmedian(out["wavelength"].values[0] - ds["wavelength"].values[0])
    disp = np.nanmedian(np.diff(ds["wavelength"].values[0], axis=-1))
    assert -0.4 < shift / disp < -0.3
    # a file without the MOS aperture corrects nothing, even the fixed slit named in it
    fs = open_reference(write_wavecorr(tmp_path / "fs.asdf", slits=FS))
    out = wavecorr(ds, fs)
    assert not out["wavelength_corrected"].values.any()
    assert out.attrs["S_WAVCOR"] == "SKIPPED"
