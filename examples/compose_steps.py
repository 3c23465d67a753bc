"""Compose the calibration yourself: each step is a pure function ``Dataset -> Dataset``.

A MIRI LRS slitless exposure (synthetic, a few integrations) goes through
assign_wcs, srctype, flat_field, photom and extract_1d one call at a time
with ``Dataset.pipe``; a step of your own slots in between, and the result
equals what the whole chain (``spec2x.pipeline.spec2``) gives.

    python examples/compose_steps.py [FOLDER]
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

from spec2x import open_reference
from spec2x.io import open_exposure
from spec2x.pipeline import spec2
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.extract_1d import extract_1d
from spec2x.steps.flat_field import flat_field
from spec2x.steps.photom import photom
from spec2x.steps.srctype import srctype
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso


def clip_negative_to_nan(ds: xr.Dataset) -> xr.Dataset:
    """A step of your own: same signature, new Dataset, input untouched."""
    return ds.assign(sci=ds["sci"].where(ds["sci"] > -1e3))


def main(folder: Path) -> None:
    obs = make_lrs_slitless_tso(folder, seed=2, nints=6)
    refs = {name: open_reference(path) for name, path in obs.references.items()}
    rate = open_exposure(obs.exposures[0])

    cal = (
        rate.pipe(assign_wcs, refs)
        .pipe(srctype)
        .pipe(flat_field, refs["flat"])
        .pipe(photom, refs["photom"], area=refs["area"])
    )
    x1d = extract_1d(cal, refs["extract1d"], apcorr=refs["apcorr"])

    # the same numbers as the whole chain
    chain = spec2(rate, obs.references)
    np.testing.assert_array_equal(cal["sci"].values, chain["calints"]["sci"].values)
    np.testing.assert_array_equal(x1d["flux"].values, chain["x1dints"]["flux"].values)

    # labelled data: wavelengths are a coordinate of every pixel
    band = cal["sci"].where((cal["wavelength"] > 7.0) & (cal["wavelength"] < 8.0))
    print(f"median surface brightness at 7-8 um: {float(band.median()):.3g} MJy/sr")
    first = x1d.isel(integration=0)
    near_8um = first["flux"].where(abs(first["wavelength"] - 8.0) < 0.05).mean()
    print(
        f"integration 1: {first.sizes['spectral']} spectral elements, "
        f"{float(near_8um):.4g} Jy near 8 um"
    )

    # insert, skip or reorder steps freely
    custom = rate.pipe(assign_wcs, refs).pipe(clip_negative_to_nan).pipe(flat_field, refs["flat"])
    status = {k: v for k, v in custom.attrs.items() if k in ("S_WCS", "S_FLAT", "S_PHOTOM")}
    print("steps recorded:", status)
    assert "S_PHOTOM" not in custom.attrs
    assert rate.attrs.get("S_WCS") is None


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
