"""The NIRSpec MOS calibration chain after srctype, by spec2x and by jwst, on the same files.

The synthetic MOS exposure of :mod:`mos_helpers` (29 slitlets and the S200A1
slit, seeded random planes) goes through extract_2d and srctype, then
wavecorr, flat_field, pathloss, barshadow and photom with synthetic MOS
references; jwst 3.0.0 runs its own functions on its own extract_2d of the
same exposure.  Each step's output is kept, built once per session.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from mos_helpers import assigned_with_data, folder, jwst_extracted


@lru_cache(maxsize=1)
def cal_paths() -> dict[str, str]:
    """Synthetic MOS calibration references (PRISM/CLEAR, full frame)."""
    from mos_helpers import metadata_file

    from spec2x.synthetic.nirspec_mos_chain import mos_cal_refs

    return {k: str(v) for k, v in mos_cal_refs(folder() / "cal", metadata_file()).items()}


def master_background_substeps(extract_1d_types: tuple[str, ...] = ()) -> dict[str, Any]:
    """jwst MasterBackgroundMosStep's ``steps``: the synthetic calibration references, and
    ``extract_1d_types`` overridden (the cal set's file, else N/A: no CRDS here)."""
    p = cal_paths()
    substeps: dict[str, Any] = {
        "flat_field": {"override_flat": "N/A", "override_fflat": p["fflat"],
                       "override_sflat": p["sflat"], "override_dflat": p["dflat"]},
        "pathloss": {"override_pathloss": p["pathloss"]},
        "barshadow": {"override_barshadow": p["barshadow"]},
        "photom": {"override_photom": p["photom"], "override_area": p["area"]},
    }  # fmt: skip
    if extract_1d_types:
        substeps["extract_1d"] = {f"override_{t}": p.get(t, "N/A") for t in extract_1d_types}
    return substeps


@lru_cache(maxsize=1)
def _typed() -> Any:
    from spec2x.steps.extract_2d import extract_2d
    from spec2x.steps.srctype import srctype

    return srctype(extract_2d(assigned_with_data()))


@lru_cache(maxsize=1)
def cal_refs() -> dict[str, Any]:
    from spec2x.io.references import open_reference

    return {k: open_reference(v, k) for k, v in cal_paths().items()}


@lru_cache(maxsize=1)
def ours() -> dict[str, Any]:
    """spec2x's products after each step (a Dataset each: 30 slits fit one group)."""
    from spec2x.instruments.nirspec.flat import nirspec_flat
    from spec2x.steps.barshadow import barshadow
    from spec2x.steps.pathloss import pathloss
    from spec2x.steps.photom import photom
    from spec2x.steps.wavecorr import dispersion_from_wcs, wavecorr

    refs = cal_refs()
    out = {"srctype": _typed()}
    ds = out["srctype"]
    out["wavecorr"] = wavecorr(ds, refs["wavecorr"], dispersion=dispersion_from_wcs(ds))
    out["flat_field"] = nirspec_flat(out["wavecorr"], refs["fflat"], refs["sflat"], refs["dflat"])
    out["pathloss"] = pathloss(out["flat_field"], refs["pathloss"])
    out["barshadow"] = barshadow(out["pathloss"], refs["barshadow"])
    out["photom"] = photom(out["barshadow"], refs["photom"], area=refs["area"])
    return out


def _snapshot(model: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"name": str(s.name), **{k: np.array(getattr(s, k), copy=True) for k in keys}}
        for s in model.slits
    ]


@lru_cache(maxsize=1)
def theirs() -> dict[str, Any]:
    """jwst's slits after each step: per slit a dict of copied arrays."""
    from jwst.barshadow.bar_shadow import do_correction as barshadow_correction
    from jwst.flatfield.flat_field import do_nirspec_flat_field
    from jwst.pathloss.pathloss import do_correction_mos
    from jwst.photom.photom import DataSet
    from jwst.srctype.srctype import set_source_type
    from jwst.wavecorr.wavecorr import do_correction as wavecorr_correction
    from stdatamodels.jwst import datamodels as dm

    paths = cal_paths()
    model = set_source_type(jwst_extracted().copy())
    out: dict[str, Any] = {}
    model = wavecorr_correction(model, paths["wavecorr"])
    out["wavecorr"] = _snapshot(model, ("wavelength", "wavelength_corrected"))
    flats = (
        dm.NirspecQuadFlatModel(paths["fflat"]),
        dm.NirspecFlatModel(paths["sflat"]),
        dm.NirspecFlatModel(paths["dflat"]),
    )
    do_nirspec_flat_field(model, *flats)
    out["flat_field"] = _snapshot(model, ("data", "err", "dq", "var_poisson", "var_flat"))
    with dm.PathlossModel(paths["pathloss"]) as loss:
        do_correction_mos(model, loss)
    out["pathloss"] = _snapshot(
        model, ("data", "err", "dq", "var_poisson", "pathloss_point", "pathloss_uniform",
                "pathloss_correction_type"),
    )  # fmt: skip
    with dm.BarshadowModel(paths["barshadow"]) as bar:
        model = barshadow_correction(model, bar, return_corrections=False)
    out["barshadow"] = _snapshot(
        model, ("data", "err", "dq", "var_poisson", "var_flat", "barshadow", "barshadow_corrected")
    )
    result = DataSet(model).apply_photom(paths["photom"], paths["area"])
    out["photom"] = _snapshot(result, ("data", "err", "dq", "var_poisson", "var_flat"))
    out["model"] = model
    return out


def cut(ds: Any, i: int, name: str) -> np.ndarray:
    """Slit ``i``'s real cut-out (padding dropped) of variable or coord ``name``."""
    ys, xs = int(ds["ysize"][i]), int(ds["xsize"][i])
    return np.asarray(ds[name][i])[..., :ys, :xs]


def assert_close(mine: np.ndarray, theirs: np.ndarray, rtol: float, label: str) -> float:
    """Same NaNs, values within ``rtol``; returns the largest relative difference."""
    assert mine.shape == theirs.shape, label
    assert np.array_equal(np.isnan(mine), np.isnan(theirs)), label
    ok = ~np.isnan(theirs)
    np.testing.assert_allclose(mine[ok], theirs[ok], rtol=rtol, err_msg=label)
    rel = np.abs(mine[ok] - theirs[ok]) / np.maximum(np.abs(theirs[ok]), 1e-30)
    return float(rel.max(initial=0.0))
