"""cube_build: IFU exposure -> spectral cubes ``(wavelength, y, x)``, one per band (``_s3d``).

jwst 3.0.0's ``CubeBuildStep`` with the settings calwebb_spec2 runs it
with: one cube per band (``output_type='band'``), ``coord_system='skyalign'``,
a linear wavelength axis, the sampling of the ``cubepar`` reference, and
``skip_dqflagging`` (the DQ plane says only where data arrived).  Weighting
``drizzle`` (jwst's default): each pixel's 3-D overlap with each spaxel;
``emsm``/``msm``: jwst's point-cloud weights of distance.
The exposure's mode supplies the point cloud (``Mode.cube_source``); the
grid and the weighting are shared (:mod:`spec2x.cube`).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr

from ..cube.build import BandCube, Weighting, build_band
from ..cube.cube_wcs import cube_gwcs, cube_keywords
from ..cube.cubepar import CubePars
from ..cube.overlap import check_overlap
from ..cube.pointcloud import CubeSource, PointCloud
from ..errors import ParameterError, UnsupportedModeError
from ..io.references import Reference, open_reference
from ..modes import MODES, mode_of
from ..wcs.store import WCS_ATTR, get_wcs, set_wcs, slit_wcs
from . import StepContext
from ._common import record_step, require

__all__ = ["build_cube", "cube_build", "cube_build_bands", "every_band", "from_chain"]

#: Exposure keywords a cube does not keep (jwst drops the pointing of the detector).
_DROPPED = ("V2_REF", "V3_REF", "RA_REF", "DEC_REF", "ROLL_REF", "V3I_YANG", "VPARITY", "S_REGION")


def _source(ds: xr.Dataset) -> CubeSource:
    mode = mode_of(ds, step="cube_build")
    if mode.cube_source is None:
        known = ", ".join(sorted(k for k, m in MODES.items() if m.cube_source is not None))
        raise UnsupportedModeError(
            f"cube_build: spec2x builds no cube for EXP_TYPE={mode.exp_type}; IFU types: {known}"
        )
    module, _, name = mode.cube_source.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _cubepar(cubepar: Reference | Any) -> tuple[Reference, CubePars]:
    ref = cubepar if isinstance(cubepar, Reference) else open_reference(cubepar, "cubepar")
    return ref, ref.content


def cube_build_bands(
    ds: xr.Dataset,
    cubepar: Reference | Any,
    *,
    weighting: Weighting = "drizzle",
    weight_power: float = 2.0,
    coord_system: Literal["skyalign", "ifualign"] = "skyalign",
) -> dict[str, xr.Dataset]:
    """Every band's cube of an IFU exposure, by band name (``ch1-short``), as calwebb_spec2 makes them.

    See :func:`cube_build` for the parameters.
    """
    source = _source(ds)
    return {
        source.name(key): cube_build(
            ds,
            cubepar,
            band=key,
            weighting=weighting,
            weight_power=weight_power,
            coord_system=coord_system,
        )  # fmt: skip
        for key in source.bands(ds)
    }


def cube_build(
    ds: xr.Dataset,
    cubepar: Reference | Any,
    *,
    band: tuple[str, str] | None = None,
    weighting: Weighting = "drizzle",
    weight_power: float = 2.0,
    coord_system: Literal["skyalign", "ifualign"] = "skyalign",
) -> xr.Dataset:
    """Build the spectral cube of one band of a calibrated IFU exposure.

    Parameters
    ----------
    ds : calibrated IFU exposure ``(y, x)`` (MJy/sr) with its WCS (assign_wcs).
    cubepar : the ``cubepar`` reference (opened or a path).
    band : the cubepar key of the band (MIRI ``("1", "short")``); None: the
        exposure's first band.
    weighting : ``drizzle`` (jwst's default: each pixel's 3-D overlap with each
        spaxel), ``emsm`` or ``msm`` (modified Shepard weights of distance, the
        regions of interest from cubepar).
    weight_power : the distance power of ``msm``.
    coord_system : ``skyalign`` (north up, east left) or ``ifualign`` (the
        IFU's along-slice axis along x).

    Returns
    -------
    Cube Dataset ``(wavelength, y, x)``: ``sci``, ``err`` (the input's units),
    ``dq``, ``weightmap`` (pixels per spaxel); coords ``wavelength`` (µm, plane
    centres), ``ra``, ``dec`` (deg, spaxel centres); the cube WCS keywords
    and gwcs; ``S_IFUCUB`` and ``R_CUBPAR``.

    Raises
    ------
    UnsupportedModeError
        The exposure type is not an IFU type spec2x builds cubes of.
    ParameterError
        ``band`` is not a band of the exposure, or ``weighting`` unknown.
    InputFileError
        No pixel of the band is usable.
    """
    return build_cube(
        [ds], cubepar, band=band, weighting=weighting, weight_power=weight_power,
        coord_system=coord_system,
    )  # fmt: skip


def build_cube(
    exposures: Sequence[xr.Dataset],
    cubepar: Reference | Any,
    *,
    band: tuple[str, str] | None = None,
    coord_system: Literal["skyalign", "ifualign"] = "skyalign",
    weighting: Weighting = "drizzle",
    weight_power: float = 2.0,
) -> xr.Dataset:
    """One band's cube from several calibrated exposures (a dither pattern), as jwst's
    CubeBuildStep combines the exposures of an association into one cube.

    Every exposure's pixels go onto one grid that covers all their
    footprints; ``msm``'s spatial region of interest is 1.5 times cubepar's
    with fewer than 4 exposures, as jwst has it.  The cube keeps the first
    exposure's keywords.  Parameters, result and errors as :func:`cube_build`
    (``band`` None: the first exposure's first band; every exposure must hold it);
    exposures with no sky in common (two fields, not a dither) are an
    :class:`~spec2x.errors.InputFileError` (:mod:`spec2x.cube.overlap`).
    """
    if not exposures:
        raise ParameterError("cube_build: no exposure given; pass one or more calibrated exposures")
    for ds in exposures:
        require(ds, "sci", "err", "dq", coords=("wavelength",), step="cube_build")
    first = exposures[0]
    source = _source(first)
    ref, pars = _cubepar(cubepar)
    key = source.bands(first)[0] if band is None else (str(band[0]).lower(), str(band[1]).lower())
    for ds in exposures:
        _check_band(ds, source, key)
    if weighting not in ("drizzle", "emsm", "msm"):
        raise ParameterError(
            f"cube_build: weighting={weighting!r}; choose 'drizzle', 'emsm' or 'msm'"
        )
    if coord_system not in ("skyalign", "ifualign"):
        raise ParameterError(
            f"cube_build: coord_system={coord_system!r}; choose 'skyalign' or 'ifualign'"
        )
    rotation = source.rotation(first, key, _wcs(first)) if coord_system == "ifualign" else None
    where = str(first.attrs.get("FILENAME", "the exposure"))
    corners = _footprint(exposures, source, key) if coord_system == "skyalign" else None
    # the pixel centres' sky positions: for a Shepard weighting, a grid from the pixels
    # and the exposures' overlap; a drizzle onto a footprint's grid reads the corners only
    centres = weighting != "drizzle" or corners is None or len(exposures) > 1
    cube = build_band(
        _pooled_clouds(exposures, source, key, centres), pars.band(key), weighting=weighting,
        weight_power=weight_power, rotation=rotation, nexposures=len(exposures), tear_cut=source.tear_cut, where=where,
        corners=corners,
    )  # fmt: skip
    out = _cube_dataset(first, source, cube, key, weighting, weight_power)
    cube_wcs = cube_gwcs(cube.grid)
    corners = cube_wcs.footprint(axis_type="spatial").ravel()
    out.attrs["S_REGION"] = "POLYGON ICRS  " + " ".join(f"{v:.9f}" for v in corners)
    return record_step(set_wcs(out, cube_wcs), "cube_build", ref)


def _check_band(ds: xr.Dataset, source: CubeSource, key: tuple[str, str]) -> None:
    bands = source.bands(ds)
    if key not in bands:
        raise ParameterError(
            f"cube_build: band {key} is not in {ds.attrs.get('FILENAME', 'the exposure')}; "
            f"it holds {bands}"
        )


def _wcs(ds: xr.Dataset) -> Any:
    """The exposure's gwcs; None when it holds one per slice (NIRSpec IFU: the source reads them)."""
    return None if slit_wcs(ds) is not None else get_wcs(ds)


def _footprint(
    exposures: Sequence[xr.Dataset], source: CubeSource, key: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The corners of every exposure's footprint, where the mode gives one (None: from the pixels)."""
    if source.footprint is None:
        return None
    found = [source.footprint(ds, key) for ds in exposures]
    if any(f is None for f in found):
        return None
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def _pooled_clouds(
    exposures: Sequence[xr.Dataset], source: CubeSource, key: tuple[str, str], centres: bool
) -> PointCloud:
    """The pixels of the band in every exposure as one point cloud (their sky overlap checked;
    ``centres`` False: the centres' RA, Dec may be NaN, one exposure).

    Nothing else keeps the clouds, so :func:`~spec2x.cube.build.build_band` frees them
    once it has taken the pixels it uses.
    """
    clouds = [source.cloud(ds, key, _wcs(ds), centres=centres) for ds in exposures]
    check_overlap(clouds, [str(ds.attrs.get("FILENAME", f"exposure {i + 1}"))
                           for i, ds in enumerate(exposures)])  # fmt: skip
    if len(clouds) == 1:
        return clouds[0]
    fields = PointCloud.__dataclass_fields__
    return PointCloud(*(np.concatenate([getattr(c, f) for c in clouds]) for f in fields))


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter for one step (``run_step``): the cube of the exposure's first band,
    the one calwebb_spec2 saves as ``_s3d``.

    The chain itself runs :func:`every_band`.  Parameters jwst's step has and
    spec2x does not (``channel``, ``band``, ``grating``, ``filter``,
    ``output_type`` other than ``band``, user-set scales, wavelength limits and
    ROIs) are refused when set.
    """
    return cube_build(ds, ctx.require_ref("cubepar", ds), **_options(ctx.params))


def every_band(ds: xr.Dataset, ctx: StepContext) -> list[xr.Dataset]:
    """Chain adapter as Spec2Pipeline runs cube_build: every band's cube, in jwst's order
    (its ModelContainer; MIRI ``ch1-short`` before ``ch2-short``).  calwebb_spec2 saves the
    first as ``_s3d`` and extract_1d extracts each (``_0_x1d``, ``_1_x1d``... when there
    are several).  Parameters as :func:`from_chain`.
    """
    cubes = cube_build_bands(ds, ctx.require_ref("cubepar", ds), **_options(ctx.params))
    return list(cubes.values())


from_chain.every_band = every_band  # type: ignore[attr-defined]  # what the chain runs


def _options(params: Any) -> dict[str, Any]:
    """cube_build's keyword arguments from the step parameters (unsupported ones refused)."""
    _refuse_unsupported(params)
    system = params.get("coord_system")
    return {
        "weighting": params.get("weighting", "drizzle"),
        "weight_power": float(params.get("weight_power", 2.0)),
        "coord_system": _SKYALIGN_ALIASES.get(system, system),
    }


#: jwst's synonyms of ``skyalign``.
_SKYALIGN_ALIASES = {"world": "skyalign", None: "skyalign"}

#: cube_build parameters and the values under which spec2x builds the cube.
_DEFAULTS: dict[str, tuple[Any, ...]] = {
    "channel": ("all",), "band": ("all",), "grating": ("all",), "filter": ("all",),
    "output_type": ("band",), "scalexy": (0.0,), "scalew": (0.0,), "rois": (0.0,),
    "roiw": (0.0,), "wavemin": (None,), "wavemax": (None,), "nspax_x": (None,),
    "nspax_y": (None,), "ra_center": (None,), "dec_center": (None,), "cube_pa": (None,),
    "offset_file": (None,), "linear_wave": (True,),
}  # fmt: skip


def _refuse_unsupported(params: Any) -> None:
    for name, allowed in _DEFAULTS.items():
        if name in params and params[name] not in allowed:
            raise ParameterError(
                f"cube_build: {name}={params[name]!r} is not supported by spec2x yet; "
                f"leave it at jwst's default ({allowed[0]!r})"
            )


def _cube_dataset(
    ds: xr.Dataset,
    source: CubeSource,
    cube: BandCube,
    key: tuple[str, str],
    weighting: str,
    power: float,
) -> xr.Dataset:
    units = ds["sci"].attrs.get("units")
    dims = ("wavelength", "y", "x")
    ra, dec = cube.grid.sky()
    attrs = {k: v for k, v in ds.attrs.items() if k not in _DROPPED and k != WCS_ATTR}
    attrs.update(cube_keywords(cube.grid))
    if source.band_keywords is not None:
        attrs.update(source.band_keywords(key))
    attrs.update(DATAMODL="IFUCubeModel", WTYPE=weighting, ROIS=cube.rois, ROIW=cube.roiw,
                 WPOWER=0.0 if weighting == "drizzle" else power)  # fmt: skip
    return xr.Dataset(
        {
            "sci": (dims, cube.sci, {"units": units} if units else {}),
            "err": (dims, cube.err, {"units": units} if units else {}),
            "dq": (dims, cube.dq),
            "weightmap": (dims, cube.weightmap),
        },
        coords={
            "wavelength": ("wavelength", cube.grid.zcoord, {"units": "um"}),
            "ra": (("y", "x"), ra, {"units": "deg"}),
            "dec": (("y", "x"), dec, {"units": "deg"}),
        },
        attrs=attrs,
    )
