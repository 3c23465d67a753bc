"""Helpers shared by the WFSS tests: exposure keywords and jwst's grism WCS for the same files."""

from __future__ import annotations

from typing import Any

import numpy as np
from helpers import REALDATA, set_jwst_pointing

from spec2x.synthetic.niriss_wfss_refs import NIS_REFERENCE
from spec2x.synthetic.wfss import WFSS_POINTING

#: The real NIRCam grism dispersion files (module A, ground).
REAL_SPECWCS = {
    "GRISMR": REALDATA / "nircam" / "jwst_nircam_specwcs_0010.asdf",
    "GRISMC": REALDATA / "nircam" / "jwst_nircam_specwcs_0011.asdf",
}


def nrc_attrs(pupil: str = "GRISMR", **extra: Any) -> dict[str, Any]:
    """Keywords of a full-frame NIRCam WFSS exposure (module A long wave)."""
    attrs = dict(
        INSTRUME="NIRCAM",
        DETECTOR="NRCALONG",
        MODULE="A",
        CHANNEL="LONG",
        FILTER="F356W",
        PUPIL=pupil,
        EXP_TYPE="NRC_WFSS",
        **WFSS_POINTING,
    )
    attrs.update(extra)
    return attrs


def nis_attrs(grism: str = "GR150R", **extra: Any) -> dict[str, Any]:
    """Keywords of a full-frame NIRISS WFSS exposure."""
    attrs = dict(
        INSTRUME="NIRISS",
        DETECTOR="NIS",
        FILTER=grism,
        PUPIL="F200W",
        FWCPOS=354.5,
        EXP_TYPE="NIS_WFSS",
        **{**WFSS_POINTING, "V2_REF": NIS_REFERENCE[0], "V3_REF": NIS_REFERENCE[1]},
    )
    attrs.update(extra)
    return attrs


def jwst_wfss(attrs: dict[str, Any], refs: dict[str, Any]) -> Any:
    """jwst 3.0.0's WFSS gwcs (``jwst.assign_wcs.nircam.wfss`` or ``niriss.wfss``)."""
    from gwcs import wcs as gwcs_wcs
    from jwst.assign_wcs import nircam, niriss
    from stdatamodels.jwst.datamodels import ImageModel

    model = ImageModel(np.zeros((2048, 2048), np.float32))
    model.meta.exposure.type = attrs["EXP_TYPE"]
    for key in ("DETECTOR", "MODULE", "CHANNEL", "FILTER", "PUPIL"):
        if key in attrs:
            setattr(model.meta.instrument, key.lower(), attrs[key])
    model.meta.instrument.name = attrs["INSTRUME"]
    if "FWCPOS" in attrs:
        model.meta.instrument.filter_position = attrs["FWCPOS"]
    set_jwst_pointing(model, attrs)
    build = nircam.wfss if attrs["INSTRUME"] == "NIRCAM" else niriss.wfss
    return gwcs_wcs.WCS(build(model, {k: str(v) for k, v in refs.items()}))


#: The per-source metadata columns of jwst's WFSS x1d, each equal to spec2x's coord.
META_COLUMNS = (
    "SOURCE_XPOS", "SOURCE_YPOS", "SOURCE_RA", "SOURCE_DEC",
    "EXTRACT2D_XSTART", "EXTRACT2D_YSTART", "EXTRACT2D_XSTOP", "EXTRACT2D_YSTOP",
)  # fmt: skip


def compare_wfss_x1d(
    ours: Any, tables: Any, columns: dict[str, str], rtol: float, atol: float = 0.0
) -> int:
    """Compare spec2x's spectra ``(slit, spectral)`` with jwst's WFSSMultiSpecModel tables (one
    per order, a row per source) column by column (``atol`` in the column's unit, for values
    near zero) and the source metadata columns exactly; return how many spectra were compared."""
    compared = 0
    for table in tables:
        t = table.spec_table
        for i, sid in enumerate(t["SOURCE_ID"]):
            pick = (ours["source_id"].values == sid) & (
                ours["spectral_order"].values == table.spectral_order
            )
            one = ours.isel(slit=int(np.flatnonzero(pick)[0]))
            n = int(t["N_ALONGDISP"][i])
            for name, column in columns.items():
                np.testing.assert_allclose(
                    one[name].values[:n], t[column][i][:n], rtol=rtol, atol=atol, equal_nan=True,
                    err_msg=f"source {sid} order {table.spectral_order}: {name}",
                )  # fmt: skip
            for name in META_COLUMNS:  # the cut-out's source and extent (jwst's copy)
                assert one[name.lower()].values == t[name][i], f"source {sid}: {name}"
            compared += 1
    return compared


def mended_backplane(slit0, slit1):
    """jwst's ``match_backplane_prefer_first`` with the overlap ending at min(y1 + h1, h0)
    (and likewise in x), where jwst's ends at min(y1 + h1, h0, h1); the ``fluxmodel_k``
    images moved likewise."""
    from jwst.wfss_contam.wfss_contam import SlitOverlapError

    h0, w0 = slit0.data.shape
    y1, x1 = slit1.ystart - slit0.ystart, slit1.xstart - slit0.xstart
    i0, i1 = max(y1, 0), min(y1 + slit1.data.shape[0], h0)
    j0, j1 = max(x1, 0), min(x1 + slit1.data.shape[1], w0)
    if i0 >= i1 or j0 >= j1:
        raise SlitOverlapError(f"no overlap for slit {slit0.source_id}")
    k = 1  # the polyfit's Legendre images (fluxmodel_1, ...) too, as jwst's
    while getattr(slit1, f"fluxmodel_{k}", None) is not None:
        model = np.asarray(getattr(slit1, f"fluxmodel_{k}"))
        plane = np.zeros_like(slit0.data)
        plane[i0:i1, j0:j1] = model[i0 - y1 : i1 - y1, j0 - x1 : j1 - x1]
        setattr(slit1, f"fluxmodel_{k}", plane)
        k += 1
    plane = np.zeros_like(slit0.data)
    plane[i0:i1, j0:j1] = slit1.data[i0 - y1 : i1 - y1, j0 - x1 : j1 - x1]
    slit1.data = plane
    slit1.xstart, slit1.ystart = slit0.xstart, slit0.ystart
    slit1.xsize, slit1.ysize = slit0.xsize, slit0.ysize
    return slit1


def jwst_contam_corr(scene: dict[str, Any], tmp: Any, runs: dict[str, tuple[bool, dict]]) -> dict:
    """jwst's AssignWcs and Extract2d (order 1) of a ``contam_scene``, then ``contam_corr`` once
    per entry of ``runs`` (name -> (``match_backplane_prefer_first`` mended?, its keyword
    arguments)); the results by name."""
    import contextlib

    import pytest
    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_2d import Extract2dStep
    from jwst.wfss_contam import wfss_contam as jwst_wc
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst import datamodels

    out = {}
    with contextlib.chdir(scene["folder"]):
        model = run_jwst_step(
            AssignWcsStep, str(scene["files"]["rate"]), scene["wcs_refs"], rest="N/A",
            tmp_path=tmp, sip_approx=False,
        )  # fmt: skip
        ranges = {"wavelengthrange": str(scene["refs"]["wavelengthrange"])}
        cut = run_jwst_step(Extract2dStep, model, ranges, tmp_path=tmp, extract_orders=[1])
        with (
            datamodels.WavelengthrangeModel(ranges["wavelengthrange"]) as wr,
            datamodels.open(scene["photom"].path) as ph,
        ):
            for name, (mended, kwargs) in runs.items():
                with pytest.MonkeyPatch.context() as mp:
                    if mended:
                        mp.setattr(jwst_wc, "match_backplane_prefer_first", mended_backplane)
                    out[name] = jwst_wc.contam_corr(cut.copy(), wr, ph, "1", orders=[1], **kwargs)
    return out


def jwst_tsgrism_cube(attrs: dict[str, Any], shape: tuple[int, int]) -> Any:
    """A jwst CubeModel (two integrations of ``shape``) of an NRC_TSGRISM exposure with these
    keywords: instrument, pointing, subarray and reference point, no WCS."""
    from stdatamodels.jwst.datamodels import CubeModel

    model = CubeModel(np.zeros((2, *shape), np.float32))
    model.meta.exposure.type = "NRC_TSGRISM"
    model.meta.instrument.name = "NIRCAM"
    for key in ("DETECTOR", "MODULE", "CHANNEL", "FILTER", "PUPIL"):
        setattr(model.meta.instrument, key.lower(), attrs[key])
    set_jwst_pointing(model, attrs)
    sub = model.meta.subarray
    sub.name, sub.xstart, sub.ystart = attrs["SUBARRAY"], attrs["SUBSTRT1"], attrs["SUBSTRT2"]
    sub.xsize, sub.ysize = shape[1], shape[0]
    model.meta.wcsinfo.siaf_xref_sci = attrs["XREF_SCI"]
    model.meta.wcsinfo.siaf_yref_sci = attrs["YREF_SCI"]
    return model
