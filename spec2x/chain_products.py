"""The chain's outputs: which steps' results are products, their names, and what
``--save-steps`` writes (stpipe's names for the members of a container of band cubes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import xarray as xr

from .chain import PRODUCT_STEPS
from .io.fits_stripe_times import with_stripe_times


def first(current: Any) -> Any:
    """The product, or the first band's of a list of band cubes (or their spectra)."""
    return current[0] if isinstance(current, list) else current


def save_step(
    on_step: Callable[[str, xr.Dataset], None],
    step: str,
    current: Any,
    products: Mapping[str, xr.Dataset] | None,
    stamped: Callable[[xr.Dataset], xr.Dataset],
) -> None:
    """``--save-steps``: the step's output as ``step``, unless it is a product (``products``
    given: the step's output is, or holds, one); the band cubes of an IFU exposure of several
    bands (or their spectra) each as ``<i>_<step>``, stpipe's names for a container's members,
    but for those that are products (``_s3d`` is the first band's cube)."""
    if not isinstance(current, list) or len(current) == 1:
        if products is None:
            on_step(step, stamped(first(current)))
        return
    kept = {id(p) for p in products.values()} if products is not None else set()
    for i, band in enumerate(current):
        if id(band) not in kept:
            on_step(f"{i}_{step}", stamped(band))


def spectra(current: Any, suffix: str) -> dict[str, Any]:
    """The spectra products by suffix: one, or one per band cube when there are several
    (``0_x1d``, ``1_x1d``..., the names stpipe gives a container of x1d models)."""
    if not isinstance(current, list):
        return {suffix: current}
    if len(current) == 1:
        return {suffix: current[0]}
    return {f"{i}_{suffix}": spectrum for i, spectrum in enumerate(current)}


def final_steps(chain: Sequence[str]) -> set[str]:
    """The steps whose output is a product (not written again by ``--save-steps``): the last
    one before the product steps (``cal``), resample_spec, cube_build, and the last of the
    spectral steps (``x1d``)."""
    first = next((i for i, s in enumerate(chain) if s in PRODUCT_STEPS), len(chain))
    finals = {chain[first - 1]} if first > 0 else set()
    finals |= {s for s in chain[first:] if s in ("resample_spec", "cube_build")}
    if "extract_1d" in chain:
        finals.add(chain[-1] if chain[-1] == "photom" else "extract_1d")
    return finals


def with_int_times(spectra: xr.Dataset, exposure: xr.Dataset) -> xr.Dataset:
    """The x1dints with the exposure's integration times (``INT_TIMES``, and a superstripe
    exposure's ``INT_TIMES_STRIPE``), as jwst carries them."""
    if not isinstance(spectra, xr.Dataset) or "integration" not in spectra.dims:
        return spectra
    spectra = with_stripe_times(spectra, exposure)
    times = {k: v for k, v in exposure.coords.items() if str(k).startswith("int_times_")}
    if not times:
        return spectra
    if spectra.sizes["integration"] != exposure.sizes["integration"]:
        return spectra
    return spectra.assign_coords({k: ("integration", v.values) for k, v in times.items()})


def record(
    step: str, current: Any, before: Any, products: dict[str, Any], suffix: Mapping[str, str]
) -> Any:
    """Put the products ``step``'s output is (``s2d``, ``s3d``, ``x1d``...) into ``products``;
    return the chain's product to go on with (spectra with the input's integration times)."""
    if step == "resample_spec":
        products["s2d"] = current
    elif step == "cube_build":
        products["s3d"] = first(current)  # jwst saves the first band's cube
    elif step == "extract_1d" or (step == "photom" and suffix["x1d"] in products):
        current = with_int_times(current, before)
        products.update(spectra(current, suffix["x1d"]))  # SOSS: photom converts them
    return current
