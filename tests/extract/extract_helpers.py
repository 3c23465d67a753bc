"""Shared builders for the extract_1d / resample_spec tests (same arrays for spec2x and jwst)."""

from __future__ import annotations

from typing import Any

import numpy as np
from helpers import nirspec_multislit

from spec2x.datamodel import make_exposure
from spec2x.dq import DQ
from spec2x.wcs.store import set_wcs


def _world_frame() -> Any:
    """Celestial + spectral output frame, as jwst's assign_wcs builds it."""
    import astropy.units as u
    from astropy import coordinates as coord
    from gwcs import coordinate_frames as cf

    sky = cf.CelestialFrame(name="sky", axes_order=(0, 1), reference_frame=coord.ICRS())
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    return cf.CompositeFrame([sky, spec], name="world")


def vertical_wcs(shape: tuple[int, int], wl0: float = 7.5, dwl: float = -0.01) -> Any:
    """A gwcs with the dispersion along y (like MIRI LRS): RA/Dec from x, wavelength from y."""
    import gwcs
    from astropy.modeling.models import Mapping, Scale, Shift

    xc = shape[1] // 2.0
    ra = Shift(1 - xc) | Scale(1e-7 / 3600) | Shift(45.0)
    dec = Shift(1 - xc) | Scale(0.1 / 3600) | Shift(45.1)
    wave = Scale(dwl) | Shift(wl0)
    transform = Mapping((0, 0, 1), n_inputs=2) | ra & dec & wave
    frame_in = gwcs.Frame2D(name="detector")
    w = gwcs.WCS(transform, input_frame=frame_in, output_frame=_world_frame())
    w.bounding_box = ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5))
    return w


def horizontal_wcs(shape: tuple[int, int], wl0: float = 1.0, dwl: float = 0.01) -> Any:
    """A gwcs with the dispersion along x and a slit frame (like a NIRSpec cut-out)."""
    import gwcs
    from astropy.modeling.models import Identity, Mapping, Scale, Shift

    yc = shape[0] // 2.0
    ra = Shift(1 - yc) | Scale(1e-7 / 3600) | Shift(45.0)
    dec = Shift(1 - yc) | Scale(0.1 / 3600) | Shift(45.1)
    wave = Scale(dwl) | Shift(wl0)
    det2slit = Mapping((1, 1, 0), n_inputs=2) | Identity(2) & wave
    slit2world = ra & dec & Identity(1)
    frame_in = gwcs.Frame2D(name="detector")
    slit_frame = gwcs.CoordinateFrame(
        name="slit_frame",
        naxes=3,
        axes_order=(0, 1, 2),
        axes_type=["SPATIAL", "SPATIAL", "SPECTRAL"],
    )
    w = gwcs.WCS([(frame_in, det2slit), (slit_frame, slit2world), (_world_frame(), None)])
    w.bounding_box = ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5))
    return w


def image_arrays(shape: tuple[int, ...], seed: int = 3, n_bad: int = 6) -> dict[str, np.ndarray]:
    """Science, variances and DQ with a source, a sloped background, NaNs and DO_NOT_USE pixels."""
    rng = np.random.default_rng(seed)
    ny, nx = shape[-2:]
    yy, xx = np.mgrid[:ny, :nx]
    sci = 2.0 + 0.05 * xx + 0.03 * yy + 30.0 * np.exp(-0.5 * ((xx - nx / 2 + 0.3) / 1.5) ** 2)
    sci = np.broadcast_to(sci, shape) + rng.normal(0, 0.2, shape)
    sci = sci.astype(np.float32)
    dq = np.zeros(shape, np.uint32)
    flat = sci.reshape(-1)
    dqf = dq.reshape(-1)
    idx = rng.choice(flat.size, n_bad, replace=False)
    flat[idx[: n_bad // 2]] = np.nan
    dqf[idx[n_bad // 2 :]] = DQ.DO_NOT_USE
    return {
        "sci": sci,
        "dq": dq,
        "var_poisson": (np.abs(sci) * 0.01 + 0.001).astype(np.float32),
        "var_rnoise": np.full(shape, 0.02, np.float32),
        "var_flat": (np.abs(sci) * 0.001).astype(np.float32),
    }


def spec2x_exposure(arrays: dict[str, np.ndarray], wcs: Any, attrs: dict[str, Any]) -> Any:
    """An exposure Dataset with the wavelength coord and WCS of ``wcs``."""
    ny, nx = arrays["sci"].shape[-2:]
    ds = make_exposure(
        arrays["sci"],
        dq=arrays["dq"],
        var_poisson=arrays["var_poisson"],
        var_rnoise=arrays["var_rnoise"],
        var_flat=arrays["var_flat"],
        attrs=attrs,
    )
    yy, xx = np.mgrid[:ny, :nx].astype(float)
    wl = np.asarray(wcs(xx, yy)[2], dtype=np.float64)
    ds = ds.assign_coords(wavelength=(("y", "x"), wl))
    return set_wcs(ds, wcs)


def spec2x_slits(slits: list[dict[str, Any]], attrs: dict[str, Any]) -> Any:
    """A slits Dataset (slit, y, x) padded to a common shape, from per-slit arrays and WCS."""
    import xarray as xr

    from spec2x.datamodel import PADDING_DQ

    ny = max(s["sci"].shape[0] for s in slits)
    nx = max(s["sci"].shape[1] for s in slits)
    n = len(slits)
    names = ("sci", "var_poisson", "var_rnoise", "var_flat")
    out = {k: np.full((n, ny, nx), np.nan, np.float32) for k in names}
    dq = np.full((n, ny, nx), PADDING_DQ, np.uint32)
    wl = np.full((n, ny, nx), np.nan)
    for i, s in enumerate(slits):
        h, w = s["sci"].shape
        for k in names:
            out[k][i, :h, :w] = s[k]
        dq[i, :h, :w] = s["dq"]
        yy, xx = np.mgrid[:h, :w].astype(float)
        wl[i, :h, :w] = s["wcs"](xx, yy)[2]
    err = np.sqrt(out["var_poisson"] + out["var_rnoise"] + out["var_flat"])
    dims = ("slit", "y", "x")
    ds = xr.Dataset(
        {
            "sci": (dims, out["sci"], {"units": attrs.get("BUNIT", "MJy")}),
            "err": (dims, err, {"units": attrs.get("BUNIT", "MJy")}),
            "dq": (dims, dq, {"units": ""}),
            **{k: (dims, out[k], {"units": "MJy^2"}) for k in names[1:]},
        },
        coords={
            "y": np.arange(ny),
            "x": np.arange(nx),
            "wavelength": (dims, wl),
            "slit_name": ("slit", [s["name"] for s in slits]),
            "source_id": ("slit", np.arange(1, n + 1)),
            "xstart": ("slit", np.ones(n, int)),
            "ystart": ("slit", np.ones(n, int)),
            "xsize": ("slit", [s["sci"].shape[1] for s in slits]),
            "ysize": ("slit", [s["sci"].shape[0] for s in slits]),
            "srctype": ("slit", [s["srctype"] for s in slits]),
            "source_xpos": ("slit", [s.get("source_xpos", 0.0) for s in slits]),
            "source_ypos": ("slit", [s.get("source_ypos", 0.0) for s in slits]),
            "pixar_sr": ("slit", [s.get("pixar_sr", 1.0) for s in slits]),
        },
        attrs=dict(attrs),
    )
    for s in slits:
        ds = set_wcs(ds, s["wcs"], slit=s["name"])
    return ds


#: NIRSpec FS slits of the parity tests: name, (ny, nx), srctype, source position, first µm.
NIRSPEC_FS_SLITS = (
    ("S200A1", (22, 50), "POINT", 10.4, 1.0),
    ("S200A2", (20, 44), "POINT", 8.7, 1.2),
    ("S1600A1", (26, 56), "EXTENDED", 0.0, 1.4),
)

NIRSPEC_FS_ATTRS = {
    "INSTRUME": "NIRSPEC",
    "EXP_TYPE": "NRS_FIXEDSLIT",
    "DETECTOR": "NRS1",
    "FILTER": "CLEAR",
    "GRATING": "PRISM",
    "DISPAXIS": 1,
    "S_PHOTOM": "COMPLETE",
}


def nirspec_fs_slits(specs: Any = NIRSPEC_FS_SLITS) -> tuple[list[dict[str, Any]], Any]:
    """Per-slit arrays and WCS (for :func:`spec2x_slits`) and the same slits as a jwst
    ``MultiSlitModel`` (MJy, dispersion along x, recentred point sources)."""

    slits = []
    for i, (name, shape, srctype, ypos, wl0) in enumerate(specs):
        arrays = image_arrays(shape[::-1], seed=20 + i)
        arrays = {k: np.ascontiguousarray(v.T) for k, v in arrays.items()}
        slits.append(
            {
                "name": name,
                "wcs": horizontal_wcs(shape, wl0=wl0, dwl=0.02),
                "srctype": srctype,
                "source_xpos": ypos,
                "source_ypos": ypos,
                "pixar_sr": 1e-13 * (i + 1),
                **arrays,
            }
        )
    model = nirspec_multislit(dated=True, **{"exposure.nints": 1, "cal_step.photom": "COMPLETE"})
    for i, s in enumerate(slits):
        slit = jwst_slit(s, i + 1, s["pixar_sr"])
        slit.meta.instrument.name = "NIRSPEC"
        slit.source_type = s["srctype"]
        slit.source_xpos, slit.source_ypos = s["source_xpos"], s["source_ypos"]
        model.slits.append(slit)
    return slits, model


def jwst_slit(s: dict[str, Any], source_id: int, pixar_sr: float) -> Any:
    """A jwst ``SlitModel`` of one horizontally dispersed slit dict (arrays, name, wcs)."""
    from stdatamodels.jwst import datamodels as dm

    slit = dm.SlitModel()
    slit.name = s["name"]
    slit.source_id = source_id
    slit.data = s["sci"].copy()
    slit.dq = s["dq"].copy()
    slit.var_poisson, slit.var_rnoise, slit.var_flat = (
        s[k].copy() for k in ("var_poisson", "var_rnoise", "var_flat")
    )
    slit.err = np.sqrt(slit.var_poisson + slit.var_rnoise + slit.var_flat)
    slit.meta.wcsinfo.dispersion_direction = 1
    slit.meta.photometry.pixelarea_steradians = pixar_sr
    slit.meta.wcs = s["wcs"]
    return slit
