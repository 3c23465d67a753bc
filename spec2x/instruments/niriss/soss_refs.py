"""Readers for the NIRISS SOSS reference files jwst 3.0.0 asks for.

- ``pastasoss`` (ASDF, ``PastasossModel``): per order the trace at the
  commanded pupil-wheel position (``traces[i].trace``, (N, 2) x, y pixels of
  SUBSTRIP256), the pivot it rotates about, its column cutoff; the
  wavelength model (``wavecal_models[i]``: a 2-D polynomial of the column
  and the pupil-wheel offset, both min-max scaled by ``scale_extents``); the
  throughput; and ``meta`` (``pwcpos_cmd``, ``pwcpos_bounds``, the
  wavelength grid of the maps ``wavemap_wlmin/wlmax/nwl``, ``soss_xdim``,
  ``soss_ydim``, ``subarray_ymin``, ``order2_separation_cutoff``).
  extract_1d builds the traces and wavelength maps from it
  (:mod:`spec2x.instruments.niriss.soss_traces`).
- ``specprofile`` (FITS, ``SpecProfileModel``): one ``ORDER`` image per order
  (the spatial profile, with ``OVERSAMP`` and ``PADDING``).
- ``speckernel`` (FITS, ``SpecKernelModel``): ``WAVELENGTHS`` and
  ``KERNELS`` images (the spectral resolution kernels of ATOCA).
- ``specwcs`` (ASDF): the transforms ``1``, ``2``, ``3`` (full-frame
  (y, x) pixel -> wavelength µm) assign_wcs builds the per-order WCS from.

The older ``spectrace`` and ``wavemap`` types (FITS tables and images) are
not read by jwst 3.0; spec2x uses the real ones only as the truth the
synthetic references are checked against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ReferenceMismatchError
from ...io.references import Reference, open_asdf_reference

__all__ = [
    "SOSS_ORDERS",
    "Pastasoss",
    "SossKernels",
    "SossOrderModel",
    "SossProfiles",
    "SossSpecwcs",
    "pastasoss_from_tree",
    "read_pastasoss",
    "read_soss_specwcs",
    "read_speckernel",
    "read_specprofile",
    "soss_content",
]

#: The spectral orders of the GR700XD grism jwst models.
SOSS_ORDERS = (1, 2, 3)


@dataclass(frozen=True)
class SossOrderModel:
    """One order of a ``pastasoss`` reference.

    Attributes
    ----------
    order : spectral order.
    trace : (N, 2) x, y (0-based SUBSTRIP256 pixels) at the commanded position.
    pivot : (x, y) pixel the trace rotates about when the pupil wheel moves.
    cutoff : columns ``< cutoff`` hold the trace (jwst's ``trace_cutoff``).
    short_cutoff : shortest wavelength (µm) to use, or None.
    coefficients : wavelength polynomial, jwst's order (C00, C10, C01, C20, C11, C02 ...).
    scale_extents : [[x_min, offset_min], [x_max, offset_max]] of the min-max scaling.
    throughput_wavelength, throughput : the order's throughput curve (µm, fraction).
    """

    order: int
    trace: np.ndarray
    pivot: tuple[float, float]
    cutoff: int
    short_cutoff: float | None
    coefficients: np.ndarray
    scale_extents: np.ndarray
    throughput_wavelength: np.ndarray
    throughput: np.ndarray


@dataclass(frozen=True)
class Pastasoss:
    """Content of a ``pastasoss`` reference (see the module notes)."""

    orders: Mapping[int, SossOrderModel]
    pwcpos_cmd: float
    pwcpos_bounds: tuple[float, float]
    wavemap_grid: tuple[float, float, int]
    soss_xdim: int
    soss_ydim: int
    subarray_ymin: int
    order2_separation_cutoff: tuple[float, float] | None


@dataclass(frozen=True)
class SossProfiles:
    """Content of a ``specprofile``: per order the (y, x) profile, its oversampling and padding."""

    profiles: Mapping[int, np.ndarray]
    oversampling: Mapping[int, int]
    padding: Mapping[int, int]


@dataclass(frozen=True)
class SossKernels:
    """Content of a ``speckernel``: ``wavelengths`` and ``kernels`` (2-D), with the keywords."""

    wavelengths: np.ndarray
    kernels: np.ndarray
    halfwidth: int
    oversampling: int
    centroid_index: int


@dataclass(frozen=True)
class SossSpecwcs:
    """Content of a SOSS ``specwcs``: order -> astropy model of full-frame (y, x) -> µm."""

    wavelength: Mapping[int, Any]


def _tree(path: str) -> dict[Any, Any]:
    with open_asdf_reference(path, lazy_load=False) as af:
        return {k: v for k, v in af.tree.items() if not str(k).startswith("asdf_")}


def _bad(path: str, what: str) -> ReferenceMismatchError:
    return ReferenceMismatchError(
        f"{path} {what}: it is not a NIRISS SOSS reference of jwst's layout"
    )


def _by_order(items: Any, path: str, what: str) -> dict[int, Mapping[str, Any]]:
    if not isinstance(items, list | tuple) or not items:
        raise _bad(path, f"has no {what} list")
    return {int(item["spectral_order"]): item for item in items}


def _order_model(order: int, trace: Any, wavecal: Any, thru: Any) -> SossOrderModel:
    short = trace.get("short_cutoff")
    return SossOrderModel(
        order=order,
        trace=np.asarray(trace["trace"], dtype=np.float64),
        pivot=(float(trace["pivot_x"]), float(trace["pivot_y"])),
        cutoff=int(trace.get("cutoff", 2048)),
        short_cutoff=None if short is None else float(short),
        coefficients=np.asarray(wavecal["coefficients"], dtype=np.float64),
        scale_extents=np.asarray(wavecal["scale_extents"], dtype=np.float64),
        throughput_wavelength=np.asarray(thru["wavelength"], dtype=np.float64),
        throughput=np.asarray(thru["throughput"], dtype=np.float64),
    )


def pastasoss_from_tree(tree: Mapping[str, Any], path: str = "pastasoss") -> Pastasoss:
    """:class:`Pastasoss` from a ``pastasoss`` ASDF tree (``meta``, ``traces`` ...)."""
    if not all(k in tree for k in ("meta", "traces", "wavecal_models", "throughputs")):
        raise _bad(path, "lacks traces, wavecal_models, throughputs or meta")
    traces = _by_order(tree["traces"], path, "traces")
    wavecal = _by_order(tree["wavecal_models"], path, "wavecal_models")
    thru = _by_order(tree["throughputs"], path, "throughputs")
    if set(wavecal) != set(traces) or set(thru) != set(traces):
        raise _bad(path, "has traces, wavecal models and throughputs of different orders")
    meta = tree["meta"]
    sep = meta.get("order2_separation_cutoff")
    return Pastasoss(
        orders={o: _order_model(o, traces[o], wavecal[o], thru[o]) for o in traces},
        pwcpos_cmd=float(meta["pwcpos_cmd"]),
        pwcpos_bounds=(float(meta["pwcpos_bounds"][0]), float(meta["pwcpos_bounds"][1])),
        wavemap_grid=(
            float(meta["wavemap_wlmin"]),
            float(meta["wavemap_wlmax"]),
            int(meta["wavemap_nwl"]),
        ),
        soss_xdim=int(meta["soss_xdim"]),
        soss_ydim=int(meta["soss_ydim"]),
        subarray_ymin=int(meta["subarray_ymin"]),
        order2_separation_cutoff=None if sep is None else (float(sep[0]), float(sep[1])),
    )


def read_pastasoss(path: str, header: dict[str, Any]) -> Reference:
    """Open a ``pastasoss`` reference as :class:`Pastasoss`."""
    return Reference("pastasoss", path, header, pastasoss_from_tree(_tree(path), path))


def read_specprofile(path: str, header: dict[str, Any]) -> Reference:
    """Open a ``specprofile`` reference (``ORDER`` extensions) as :class:`SossProfiles`."""
    from astropy.io import fits

    profiles: dict[int, np.ndarray] = {}
    oversampling: dict[int, int] = {}
    padding: dict[int, int] = {}
    with fits.open(path, memmap=False) as hdul:
        for hdu in hdul[1:]:
            if hdu.name != "ORDER" or hdu.data is None:
                continue
            order = int(hdu.header.get("ORDER", hdu.ver))
            profiles[order] = np.asarray(hdu.data, dtype=np.float32)
            oversampling[order] = int(hdu.header.get("OVERSAMP", 1))
            padding[order] = int(hdu.header.get("PADDING", 0))
    if not profiles:
        raise _bad(path, "has no ORDER image")
    return Reference("specprofile", path, header, SossProfiles(profiles, oversampling, padding))


def read_speckernel(path: str, header: dict[str, Any]) -> Reference:
    """Open a ``speckernel`` reference (``WAVELENGTHS``, ``KERNELS``) as :class:`SossKernels`."""
    from astropy.io import fits

    with fits.open(path, memmap=False) as hdul:
        names = [hdu.name for hdu in hdul]
        if "WAVELENGTHS" not in names or "KERNELS" not in names:
            raise _bad(path, "lacks the WAVELENGTHS or KERNELS extension")
        kern = hdul["KERNELS"]
        content = SossKernels(
            wavelengths=np.asarray(hdul["WAVELENGTHS"].data, dtype=np.float32),
            kernels=np.asarray(kern.data, dtype=np.float32),
            halfwidth=int(kern.header.get("HALFWIDT", 0)),
            oversampling=int(kern.header.get("SPECOS", 1)),
            centroid_index=int(kern.header.get("INDCENTR", 0)),
        )
    return Reference("speckernel", path, header, content)


def read_soss_specwcs(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRISS ``specwcs``: a SOSS one (transforms ``1``-``3``) as :class:`SossSpecwcs`.

    The NIRISS WFSS ``specwcs`` (the grism dispersion) goes to
    :func:`~spec2x.io.refs_grism.read_grism_specwcs`.
    """
    tree = _tree(path)
    models = {int(k): v for k, v in tree.items() if str(k) in ("1", "2", "3")}
    if not models:  # the WFSS one: the grism dispersion
        from ...io.refs_grism import read_grism_specwcs

        return read_grism_specwcs(path, header)
    if set(models) != set(SOSS_ORDERS):
        raise _bad(path, f"has the transforms of orders {sorted(models)}, not 1, 2 and 3")
    return Reference("specwcs", path, header, SossSpecwcs(models))


def soss_content(ref: Any, reftype: str, kind: type) -> Any:
    """The content of a SOSS reference (opened, a path, or the content itself), checked to be ``kind``.

    Raises
    ------
    ReferenceMismatchError
        The file is not the SOSS kind of ``reftype``.
    """
    from ...io.references import typed_content

    if isinstance(ref, kind):
        return ref
    return typed_content(ref, reftype, kind, what="NIRISS SOSS", shown=("INSTRUME", "EXP_TYPE"))
