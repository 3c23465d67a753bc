"""Inject and recover: known spectra dispersed where the grism WCS puts them, back from the _x1d.

Bright point sources of the synthetic GRISMR exposure get one spectrum
(DN/s per µm, scaled per source) dispersed onto the ``_rate`` pixels by
:func:`spec2x.synthetic.wfss_inject.inject_point_sources`; the whole
spec2x chain (no flat: the check is per column) must give each isolated
source's flux back within 2 % at every wavelength away from the ends.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.io.fits import open_product, write_fits
from spec2x.pipeline import spec2
from spec2x.slits import iter_slits
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.synthetic.nircam_wfss_cal_refs import (
    PHOTMJSR,
    relative_response,
    write_nircam_wfss_photom,
)
from spec2x.synthetic.nircam_wfss_refs import WAVELENGTH_RANGES, write_nircam_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure
from spec2x.synthetic.wfss_inject import expected_flux, inject_point_sources
from spec2x.wcs.store import get_wcs

_RANGE = WAVELENGTH_RANGES["F356W"][1]


def _counts(lam):
    return 2.0e6 * (1.0 + 0.5 * np.sin(8.0 * np.asarray(lam)))  # DN/s per µm


def _isolated(boxes: np.ndarray) -> np.ndarray:
    """Cut-outs (x0, y0, x1, y1) overlapping no other."""
    x0, y0, x1, y1 = boxes.T
    overlap = (x0[:, None] < x1[None]) & (x0[None] < x1[:, None])
    overlap &= (y0[:, None] < y1[None]) & (y0[None] < y1[:, None])
    return overlap.sum(axis=1) == 1


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wfss_inject")
    refs = write_nircam_wfss_references(folder)
    files = write_wfss_exposure(folder, refs, n_sources=30, seed=3)
    wcs_refs = {k: str(refs[k]) for k in ("distortion", "filteroffset", "specwcs")}
    rate = open_product(files["rate"])
    wcs = get_wcs(assign_wcs(rate, wcs_refs))
    from spec2x.io.source_catalog import read_source_catalog

    cat = read_source_catalog(files["catalog"])
    point = ~cat.is_extended
    sci = rate["sci"].values.copy()
    inject_point_sources(sci, wcs, cat.ra[point], cat.dec[point], np.ones(point.sum()), _counts,
                         _RANGE)  # fmt: skip
    write_fits(rate.assign(sci=(rate["sci"].dims, sci, rate["sci"].attrs)), files["rate"])
    given = {**{k: str(v) for k, v in refs.items()}, "flat": "N/A", "bkg": "N/A"}
    given["photom"] = str(write_nircam_wfss_photom(folder / "photom.fits"))
    given.update(extract1d="N/A", apcorr="N/A", area="N/A")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        products = spec2(str(files["rate"]), given)
    return cat, products


def test_isolated_point_sources_recovered_within_2_percent(injected):
    cat, products = injected
    cal, x1d = products["cal"], products["x1d"]
    cut = [c.isel(slit=0) for c in iter_slits(cal)]
    boxes = np.array([[int(c[k]) for k in ("xstart", "ystart")] for c in cut])
    sizes = np.array([[int(c["xsize"]), int(c["ysize"])] for c in cut])
    keep = _isolated(np.hstack([boxes, boxes + sizes]))
    extended = dict(zip(cat.label, cat.is_extended, strict=True))
    checked = 0
    for i, c in enumerate(cut):
        sid, order = int(c["source_id"]), int(c["spectral_order"])
        if not keep[i] or extended[sid] or order != 1 or int(c["xsize"]) < 850:
            continue  # blended, extended, order 2, or a trace cut by the detector edge
        spec = x1d.isel(slit=i)
        lam = spec["wavelength"].values
        pixar = float(cal["pixar_sr"].values[i]) if "pixar_sr" in cal.coords else None
        want = expected_flux(_counts(lam), PHOTMJSR[1], relative_response(lam, *_RANGE), pixar)
        inner = (lam > _RANGE[0] + 0.02) & (lam < _RANGE[1] - 0.02)
        ratio = spec["flux"].values[inner] / want[inner]
        assert np.all(np.abs(ratio - 1) < 0.02), (sid, np.nanmin(ratio), np.nanmax(ratio))
        checked += 1
    assert checked >= 3
