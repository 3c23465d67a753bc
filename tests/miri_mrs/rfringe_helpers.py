"""Helpers of the MIRI MRS residual fringe tests: a fringed exposure and a fringefreq that
keeps the fits to a few slices (jwst's 2-D step takes seconds per column)."""

from __future__ import annotations

import numpy as np
from astropy.io import fits

from spec2x.synthetic.miri_mrs_fringefreq import write_mrs_fringefreq


def fringed_exposure(ds, seed=5, amplitude=0.04):
    """``ds`` (after assign_wcs) with a smooth continuum times fringes at 2.9 cm-1 on the slices,
    S_FRINGE COMPLETE, and an err giving S/N ~ 200 on the slices."""
    wave = ds["wavelength"].values
    on = np.isfinite(wave) & (wave > 0)
    wnum = np.where(on, 1e4 / np.where(on, wave, 1.0), 0.0)
    gen = np.random.default_rng(seed)
    cont = 50.0 * (np.where(on, wave, 5.0) / 6.0) ** -1.2
    fringes = 1 + amplitude * np.sin(2 * np.pi * wnum / 2.93 + 0.7)
    sci = np.where(on, cont * fringes * (1 + 0.004 * gen.standard_normal(wave.shape)), 0.1)
    err = np.where(on, 0.005 * cont, 0.05)
    attrs = {**ds.attrs, "S_FRINGE": "COMPLETE"}
    return ds.assign(
        sci=ds["sci"].copy(data=sci.astype(np.float32)),
        err=ds["err"].copy(data=err.astype(np.float32)),
    ).assign_attrs(attrs)


def limited_fringefreq(path, fitted, detector="MIRIFUSHORT"):
    """The synthetic fringefreq with min_snr out of reach except for the ``fitted`` slices."""
    write_mrs_fringefreq(path, detector=detector)
    with fits.open(path, mode="update") as hdul:
        for band in ("SHORT", "MEDIUM", "LONG"):
            table = hdul[f"RFC_FREQ_{band}"].data
            off = ~np.isin(table["slice"].astype(int), fitted)
            table["min_snr"][off] = 1e30
    return path
