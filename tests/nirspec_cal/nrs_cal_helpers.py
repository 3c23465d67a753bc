"""Helpers for NIRSpec fixed-slit calibration tests: slits Datasets by hand, small synthetic references,
and the conversion of a slits Dataset into a jwst MultiSlitModel for parity tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from spec2x.dq import DQ

#: Detector corner covered by the small synthetic flats (ny, nx).
REF_SHAPE = (96, 320)
FS = ("S200A1", "S200A2", "S400A1", "S1600A1", "S200B1")


def make_slits(
    names: Sequence[str] = FS,
    *,
    srctype: Sequence[str] | None = None,
    shape: tuple[int, int] = (16, 300),
    wl_range: tuple[float, float] = (0.95, 1.90),
    exp_type: str = "NRS_FIXEDSLIT",
    nint: int | None = None,
    seed: int = 0,
    substrt: tuple[int, int] = (1, 1),
    source_xpos: Sequence[float] | None = None,
    grating: str = "G140M",
    filter_name: str = "F100LP",
) -> xr.Dataset:
    """A slits product (slit, [integration,] y, x) with a realistic wavelength(slit, y, x).

    Each slit has its own real size (xsize, ysize) inside the common ``shape``;
    the rest is padding (NaN, DO_NOT_USE|NON_SCIENCE).  Wavelengths rise along
    x with a slight tilt in y, NaN on the first and last rows (outside the
    slit image), and span ``wl_range`` (µm) over the common width.
    """
    g = np.random.default_rng(seed)
    ns = len(names)
    ny, nx = shape
    iy, ix = np.mgrid[0:ny, 0:nx]
    wl = np.full((ns, ny, nx), np.nan)
    pad = np.ones((ns, ny, nx), bool)
    xsize = np.array([nx - 7 * (i % 3) for i in range(ns)])
    ysize = np.array([ny - (i % 2) * 2 for i in range(ns)])
    lo, hi = wl_range
    for s in range(ns):
        real = (iy < ysize[s]) & (ix < xsize[s])
        pad[s] = ~real
        disp = (hi - lo) / nx * (1 + 0.01 * s)
        w = lo + 0.003 * s + disp * ix + 0.1 * disp * (iy - ysize[s] / 2) + 2e-7 * ix**2
        w[~real] = np.nan
        w[0] = np.nan
        w[ysize[s] - 1] = np.nan
        wl[s] = w
    full = (ns, nint, ny, nx) if nint else (ns, ny, nx)
    sci = (10.0 + g.normal(0, 1, full)).astype(np.float32)
    vp = np.abs(g.normal(0.5, 0.1, full)).astype(np.float32)
    vr = np.full(full, 0.2, np.float32)
    vf = np.zeros(full, np.float32)
    dq = np.zeros(full, np.uint32)
    padb = pad[:, None] if nint else pad
    padb = np.broadcast_to(padb, full)
    hot = g.random(full) < 0.003
    dq[hot] |= np.uint32(DQ.HOT)
    dnu = g.random(full) < 0.002
    dq[dnu] |= np.uint32(DQ.DO_NOT_USE)
    sci[dnu] = np.nan
    dq[padb] = np.uint32(DQ.DO_NOT_USE | DQ.NON_SCIENCE)
    for a in (sci, vp, vr, vf):
        a[padb] = np.nan
    err = np.sqrt(vp + vr + vf).astype(np.float32)
    dims = ("slit", "integration", "y", "x") if nint else ("slit", "y", "x")
    units = {"sci": "DN/s", "err": "DN/s", "dq": ""}
    data = {
        "sci": sci,
        "err": err,
        "dq": dq,
        "var_poisson": vp,
        "var_rnoise": vr,
        "var_flat": vf,
    }
    data_vars = {k: (dims, v, {"units": units.get(k, "(DN/s)^2")}) for k, v in data.items()}
    srctype = list(srctype) if srctype is not None else ["POINT", "EXTENDED"] * 3
    xpos = list(source_xpos) if source_xpos is not None else [0.1 * (i - 2) for i in range(ns)]
    coords = {
        "y": ("y", np.arange(ny)),
        "x": ("x", np.arange(nx)),
        "wavelength": (("slit", "y", "x"), wl, {"units": "um"}),
        "slit_name": ("slit", np.array(names)),
        "source_id": ("slit", np.arange(1, ns + 1)),
        "xstart": ("slit", np.array([1 + 3 * s for s in range(ns)])),
        "ystart": ("slit", np.array([1 + (ny + 2) * s for s in range(ns)])),
        "xsize": ("slit", xsize),
        "ysize": ("slit", ysize),
        "srctype": ("slit", np.array(srctype[:ns])),
        "source_xpos": ("slit", np.array(xpos[:ns], float)),
        "source_ypos": ("slit", np.array([0.05 * (i - 2) for i in range(ns)], float)),
    }
    if nint:
        coords["integration"] = ("integration", np.arange(1, nint + 1))
    attrs = {
        "INSTRUME": "NIRSPEC",
        "EXP_TYPE": exp_type,
        "DETECTOR": "NRS1",
        "FILTER": filter_name,
        "GRATING": grating,
        "SUBARRAY": "FULL",
        "SUBSTRT1": substrt[0],
        "SUBSTRT2": substrt[1],
        "DISPAXIS": 1,
        "DATAMODL": "SlitModel" if exp_type == "NRS_BRIGHTOBJ" else "MultiSlitModel",
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def to_multislit(ds: xr.Dataset, *, wavelength: str = "wavelength"):
    """The jwst MultiSlitModel (or SlitModel for BOTS) holding the same slits."""
    from stdatamodels.jwst import datamodels as dm

    def slit_model(i: int):
        ys, xs = int(ds["ysize"][i]), int(ds["xsize"][i])
        cut = {
            k: np.asarray(ds[k][i])[..., :ys, :xs].copy()
            for k in ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")
        }
        m = dm.SlitModel(data=cut["sci"], dq=cut["dq"], err=cut["err"])
        m.var_poisson, m.var_rnoise, m.var_flat = (
            cut["var_poisson"],
            cut["var_rnoise"],
            cut["var_flat"],
        )
        m.wavelength = np.asarray(ds[wavelength][i])[:ys, :xs].copy()
        m.name = str(ds["slit_name"][i].values)
        m.xstart, m.ystart = int(ds["xstart"][i]), int(ds["ystart"][i])
        m.xsize, m.ysize = xs, ys
        m.source_type = str(ds["srctype"][i].values)
        m.source_xpos = float(ds["source_xpos"][i])
        m.source_ypos = float(ds["source_ypos"][i])
        m.meta.wcsinfo.dispersion_direction = 1
        return m

    def fill_meta(model):
        model.meta.instrument.name = "NIRSPEC"
        model.meta.instrument.detector = ds.attrs["DETECTOR"]
        model.meta.instrument.filter = ds.attrs["FILTER"]
        model.meta.instrument.grating = ds.attrs["GRATING"]
        model.meta.exposure.type = ds.attrs["EXP_TYPE"]
        model.meta.subarray.xstart = int(ds.attrs["SUBSTRT1"])
        model.meta.subarray.ystart = int(ds.attrs["SUBSTRT2"])
        if hasattr(model.meta, "wcsinfo"):
            model.meta.wcsinfo.dispersion_direction = 1

    if ds.attrs["EXP_TYPE"] == "NRS_BRIGHTOBJ":
        m = slit_model(0)
        fill_meta(m)
        return m
    model = dm.MultiSlitModel()
    fill_meta(model)
    for i in range(ds.sizes["slit"]):
        model.slits.append(slit_model(i))
    return model


def padded(ds: xr.Dataset, i: int, arr: np.ndarray) -> np.ndarray:
    """Our padded slit ``i`` of a pixel variable cut to its real size."""
    ys, xs = int(ds["ysize"][i]), int(ds["xsize"][i])
    return np.asarray(arr[i])[..., :ys, :xs]
