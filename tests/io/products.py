"""Small synthetic product Datasets (slits, s2d, x1d, x1dints, cube) for the I/O tests."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import xarray as xr
from astropy.coordinates import ICRS
from astropy.modeling import models as m
from gwcs import WCS
from gwcs import coordinate_frames as cf

from spec2x.datamodel import PADDING_DQ, make_exposure
from spec2x.wcs.store import wcs_coord, wcs_to_text

SLIT_SIZES = [(12, 40), (8, 30), (10, 35)]


def slit_wcs(nx: int, ny: int, offset: float = 0.0) -> WCS:
    """A rectified slit WCS: wavelength along x, dec along y (good for specutils' s2d loader)."""
    det = cf.Frame2D(name="detector", axes_order=(0, 1))
    sky = cf.CelestialFrame(name="sky", axes_order=(0, 1), reference_frame=ICRS())
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    world = cf.CompositeFrame([sky, spec], name="world")
    transform = m.Mapping((0, 1, 0)) | (
        (m.Scale(0) | m.Shift(10 + offset))
        & (m.Scale(1e-5) | m.Shift(-5))
        & (m.Scale(0.01) | m.Shift(1.0))
    )
    wcs = WCS([(det, transform), (world, None)])
    wcs.bounding_box = ((-0.5, nx - 0.5), (-0.5, ny - 0.5))
    return wcs


def cube_wcs() -> WCS:
    det = cf.CoordinateFrame(
        name="detector",
        naxes=3,
        axes_order=(0, 1, 2),
        axes_type=("PIXEL",) * 3,
        unit=(u.pix,) * 3,
        axes_names=("x", "y", "z"),
    )
    sky = cf.CelestialFrame(name="sky", axes_order=(0, 1), reference_frame=ICRS())
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    world = cf.CompositeFrame([sky, spec], name="world")
    transform = (
        (m.Scale(1e-5) | m.Shift(10))
        & (m.Scale(1e-5) | m.Shift(-5))
        & (m.Scale(0.01) | m.Shift(1.0))
    )
    return WCS([(det, transform), (world, None)])


def slits(seed: int = 0, sizes: list[tuple[int, int]] | None = None) -> xr.Dataset:
    """A NIRSpec-FS-like cal product: 3 padded cut-outs with per-slit coords and wavelength."""
    rng = np.random.default_rng(seed)
    sizes = SLIT_SIZES if sizes is None else sizes
    ns = len(sizes)
    ny = max(a for a, _ in sizes)
    nx = max(b for _, b in sizes)
    inside = np.zeros((ns, ny, nx), bool)
    for i, (a, b) in enumerate(sizes):
        inside[i, :a, :b] = True

    def pixels(lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
        return np.where(inside, rng.uniform(lo, hi, inside.shape), np.nan).astype(np.float32)

    dq = rng.integers(0, 2**32, inside.shape, dtype=np.uint64).astype(np.uint32)
    dims = ("slit", "y", "x")
    ds = xr.Dataset(
        {
            "sci": (dims, pixels(-1, 1), {"units": "MJy"}),
            "err": (dims, pixels(), {"units": "MJy"}),
            "dq": (dims, np.where(inside, dq, np.uint32(PADDING_DQ)), {"units": ""}),
            "var_poisson": (dims, pixels(), {"units": "(MJy)^2"}),
            "var_rnoise": (dims, pixels(), {"units": "(MJy)^2"}),
            "var_flat": (dims, pixels(), {"units": "(MJy)^2"}),
        },
        coords={
            "y": np.arange(ny, dtype=np.int32),
            "x": np.arange(nx, dtype=np.int32),
            "wavelength": (dims, np.where(inside, rng.uniform(1, 5, inside.shape), np.nan)),
            "slit_name": ("slit", np.array(["S200A1", "S200A2", "S400A1", "S1600A1"][:ns])),
            "source_id": ("slit", np.arange(1, ns + 1)),
            "xstart": ("slit", 100 * np.arange(1, ns + 1)),
            "ystart": ("slit", 10 * np.arange(1, ns + 1)),
            "xsize": ("slit", np.array([b for _, b in sizes])),
            "ysize": ("slit", np.array([a for a, _ in sizes])),
            "srctype": ("slit", np.array(["POINT", "EXTENDED", "POINT", "POINT"][:ns])),
            "source_xpos": ("slit", rng.uniform(-0.5, 0.5, ns)),
            "source_ypos": ("slit", rng.uniform(-0.5, 0.5, ns)),
        },
        attrs={
            "INSTRUME": "NIRSPEC",
            "DETECTOR": "NRS1",
            "EXP_TYPE": "NRS_FIXEDSLIT",
            "FILTER": "F170LP",
            "GRATING": "G235M",
            "V2_REF": 321.0,
            "DATAMODL": "MultiSlitModel",
            "S_EXTR2D": "COMPLETE",
        },
    )
    ds["wavelength"].attrs["units"] = "um"
    return ds


def s2d(nslit: int = 1, seed: int = 1) -> xr.Dataset:
    """A resampled 2-D product (SlitModel for one slit, MultiSlitModel for several) with WCS."""
    rng = np.random.default_rng(seed)
    ny, nx = 20, 60
    dims = ("slit", "y", "x")
    shape = (nslit, ny, nx)
    names = [f"SLIT{i}" for i in range(nslit)]
    data = {
        n: (dims, rng.normal(size=shape).astype(np.float32), {"units": "MJy/sr"})
        for n in ("sci", "err", "wht", "var_poisson", "var_rnoise", "var_flat")
    }
    data["dq"] = (dims, np.zeros(shape, np.uint32), {"units": ""})
    data["con"] = (dims, np.ones(shape, np.int32), {})
    wl = np.broadcast_to(1 + 0.01 * np.arange(nx), shape).copy()
    return xr.Dataset(
        data,
        coords={
            "y": np.arange(ny, dtype=np.int32),
            "x": np.arange(nx, dtype=np.int32),
            "wavelength": (dims, wl, {"units": "um"}),
            "slit_name": ("slit", np.array(names)),
            "xstart": ("slit", np.ones(nslit, int)),
            "ystart": ("slit", np.ones(nslit, int)),
            "xsize": ("slit", np.full(nslit, nx)),
            "ysize": ("slit", np.full(nslit, ny)),
            "wcs": wcs_coord([wcs_to_text(slit_wcs(nx, ny, i)) for i in range(nslit)]),
        },
        attrs={
            "INSTRUME": "MIRI",
            "EXP_TYPE": "MIR_LRS-FIXEDSLIT",
            "DATAMODL": "SlitModel" if nslit == 1 else "MultiSlitModel",
            "DISPAXIS": 1,
            "SRCTYPE": "POINT",
        },
    )


def x1d(seed: int = 2, nspec: int = 50) -> xr.Dataset:
    """Two spectra (slit, spectral); the second one shorter (NaN-padded at the end)."""
    rng = np.random.default_rng(seed)
    names = ["flux", "flux_error", "flux_var_poisson", "surf_bright", "sb_error", "background"]
    names += ["bkg_error", "bkg_var_flat", "npixels"]
    ds = xr.Dataset(
        {n: (("slit", "spectral"), rng.normal(size=(2, nspec)), {"units": "Jy"}) for n in names},
        coords={
            "wavelength": (
                ("slit", "spectral"),
                np.stack([np.linspace(1, 5, nspec), np.linspace(1, 4, nspec)]),
                {"units": "um"},
            ),
            "slit_name": ("slit", np.array(["S200A1", "S200A2"])),
            "source_id": ("slit", np.array([1, 2], dtype=np.int32)),
            "source_type": ("slit", np.array(["POINT", "EXTENDED"])),
            "spectral_order": ("slit", np.array([1, 1])),
        },
        attrs={"INSTRUME": "NIRSPEC", "EXP_TYPE": "NRS_FIXEDSLIT", "XPOSURE": 100.0},
    )
    dq = rng.integers(0, 2**32, (2, nspec), dtype=np.uint64).astype(np.uint32)
    ds["dq"] = (("slit", "spectral"), dq, {"units": ""})
    short = nspec - 10
    ds["wavelength"].values[1, short:] = np.nan
    for n in names:
        ds[n].values[1, short:] = np.nan
    ds["dq"].values[1, short:] = 1
    return ds.assign_attrs(DATAMODL="MultiSpecModel")


def x1dints(seed: int = 3, nint: int = 4, nspec: int = 30) -> xr.Dataset:
    """One spectrum per integration (integration, spectral), as extract_1d makes for TSO."""
    rng = np.random.default_rng(seed)
    names = ["flux", "flux_error", "flux_var_poisson", "surf_bright", "background", "npixels"]
    ds = xr.Dataset(
        {
            n: (("integration", "spectral"), rng.normal(size=(nint, nspec)), {"units": "Jy"})
            for n in names
        },
        coords={
            "wavelength": (
                ("integration", "spectral"),
                np.tile(np.linspace(5, 12, nspec), (nint, 1)),
                {"units": "um"},
            ),
            "integration": np.arange(1, nint + 1, dtype=np.int32),
            "int_num": ("integration", np.arange(1, nint + 1, dtype=np.int32)),
            "mjd_avg": ("integration", np.linspace(60000, 60000.01, nint)),
            "slit_name": "",
            "source_type": "POINT",
            "spectral_order": 1,
        },
        attrs={"INSTRUME": "MIRI", "EXP_TYPE": "MIR_LRS-SLITLESS", "DATAMODL": "TSOMultiSpecModel"},
    )
    ds["dq"] = (("integration", "spectral"), np.zeros((nint, nspec), np.uint32), {"units": ""})
    return ds


def cube(seed: int = 4) -> xr.Dataset:
    """A small IFU cube (wavelength, y, x) with ra/dec images and a WCS."""
    rng = np.random.default_rng(seed)
    nw, ny, nx = 15, 8, 9
    dims = ("wavelength", "y", "x")
    ds = xr.Dataset(
        {
            n: (dims, rng.normal(size=(nw, ny, nx)).astype(np.float32), {"units": "MJy/sr"})
            for n in ("sci", "err", "weightmap")
        },
        coords={
            "wavelength": ("wavelength", 1 + 0.01 * np.arange(nw), {"units": "um"}),
            "y": np.arange(ny, dtype=np.int32),
            "x": np.arange(nx, dtype=np.int32),
            "ra": (("y", "x"), rng.uniform(size=(ny, nx))),
            "dec": (("y", "x"), rng.uniform(size=(ny, nx))),
        },
        attrs={
            "INSTRUME": "NIRSPEC",
            "EXP_TYPE": "NRS_IFU",
            "DATAMODL": "IFUCubeModel",
            "CRVAL3": 1.0,
            "CDELT3": 0.01,
            "WCSAXES": 3,
            "wcs": wcs_to_text(cube_wcs()),
        },
    )
    ds["dq"] = (dims, np.zeros((nw, ny, nx), np.uint32), {"units": ""})
    return ds


def rateints(nint: int = 3, seed: int = 5, ny: int = 72, nx: int = 416) -> xr.Dataset:
    """A NIRSpec BOTS-like rateints (subarray SUBSTRT1=1, SUBSTRT2=529)."""
    rng = np.random.default_rng(seed)
    shape = (nint, ny, nx)
    var = rng.uniform(0, 1, (3, *shape)).astype(np.float32)
    return make_exposure(
        rng.normal(size=shape).astype(np.float32),
        dq=rng.integers(0, 2**32, shape, dtype=np.uint64).astype(np.uint32),
        var_poisson=var[0],
        var_rnoise=var[1],
        var_flat=var[2],
        attrs={"INSTRUME": "NIRSPEC", "EXP_TYPE": "NRS_BRIGHTOBJ", "SUBARRAY": "SUB2048"},
        xstart=1,
        ystart=529,
        int_times={
            "integration_number": np.arange(1, nint + 1, dtype=np.int32),
            "int_mid_MJD_UTC": np.linspace(60000.0, 60000.1, nint),
        },
    )


PRODUCTS = {
    "rateints": rateints,
    "slits": slits,
    "s2d": s2d,
    "s2d_multi": lambda: s2d(nslit=2),
    "x1d": x1d,
    "x1dints": x1dints,
    "cube": cube,
}


def calints_slit() -> xr.Dataset:
    """A NIRSpec BOTS calints: one slit with integrations (slit, integration, y, x) -> SlitModel."""
    r = rateints(nint=3, ny=10, nx=20)
    s = r.expand_dims(slit=1).transpose("slit", "integration", "y", "x")
    s = s.assign_coords(
        slit_name=("slit", np.array(["S1600A1"])),
        xstart=("slit", [1]),
        ystart=("slit", [529]),
        xsize=("slit", [20]),
        ysize=("slit", [10]),
        y=np.arange(10, dtype=np.int32),
        x=np.arange(20, dtype=np.int32),
    )
    return s.assign_attrs(DATAMODL="SlitModel")


def ifu_cal() -> xr.Dataset:
    """A 2-D IFU cal exposure written as IFUImageModel."""
    e = rateints(nint=1, ny=10, nx=20).isel(integration=0, drop=True)
    e = e.drop_vars([c for c in e.coords if str(c).startswith("int_times")])
    return e.assign_attrs(DATAMODL="IFUImageModel")


PRODUCTS.update(calints_slit=calints_slit, ifu_cal=ifu_cal)
