"""asdf as spec2x uses it: only the extensions its files need.

The first ``asdf.open`` in a process loads every asdf plugin that any
installed package registers (entry points ``asdf.extensions`` and
``asdf.resource_mappings``), importing those packages.  Where specutils,
ndcube, stpipe and jwst's datamodel schemas are installed (a JWST user's
environment) that is several seconds, more than spec2x spends calibrating a
small exposure.  spec2x's files (CRDS ASDF references, the gwcs and the
spec2x node in its products, jwst's products) need only the plugins of the
packages listed in :data:`PLUGIN_PACKAGES`; :func:`spec2x_asdf` opens and
writes with those alone, leaving the user's global asdf configuration as it
is.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

__all__ = ["PLUGIN_PACKAGES", "spec2x_asdf"]

#: Distributions whose asdf plugins spec2x's files use: the ASDF core and
#: standard, astropy's models, units and coordinates, gwcs, and the JWST
#: transforms (stdatamodels' ``jwst_pipeline`` plugin; not its datamodel schemas).
PLUGIN_PACKAGES = {
    "asdf": None,
    "asdf_standard": None,
    "asdf_astropy": None,
    "asdf_transform_schemas": None,
    "asdf_wcs_schemas": None,
    "asdf_coordinates_schemas": None,
    "asdf_unit_schemas": None,
    "gwcs": None,
    "stdatamodels": {"jwst_pipeline"},
}


def _wanted(dist: str, name: str) -> bool:
    key = dist.lower().replace("-", "_")
    if key not in PLUGIN_PACKAGES:
        return False
    names = PLUGIN_PACKAGES[key]
    return names is None or name in names


@functools.cache
def _plugins(group: str) -> tuple[Any, ...]:
    """The proxies of the wanted plugins of one entry-point group, in asdf's order."""
    from asdf.extension import ExtensionProxy
    from asdf.resource import ResourceMappingProxy

    proxy = ExtensionProxy if group == "asdf.extensions" else ResourceMappingProxy
    seen: dict[tuple[str, str], Any] = {}
    for point in entry_points(group=group):
        dist = point.dist
        if dist is None or not _wanted(dist.name, point.name):
            continue
        seen.setdefault((dist.name, point.name), (dist, point))
    # asdf's own plugins last, the others by package name (as asdf orders them)
    ordered = sorted(seen.values(), key=lambda dp: (dp[0].name == "asdf", dp[0].name))
    out = []
    for dist, point in ordered:
        elements = point.load()()
        for element in elements if isinstance(elements, list) else [elements]:
            out.append(proxy(element, package_name=dist.name, package_version=dist.version))
    return tuple(out)


@contextmanager
def spec2x_asdf(*, validate: bool = False) -> Iterator[Any]:
    """An asdf configuration with only :data:`PLUGIN_PACKAGES`' plugins.

    Use around ``asdf.open`` and ``AsdfFile(...)`` / ``write_to``.  Yields the
    ``asdf.config.AsdfConfig``; ``validate`` sets ``validate_on_read``.
    Falls back to asdf's full plugin list when this asdf keeps its lists
    elsewhere than the attributes set here.
    """
    import asdf

    with asdf.config_context() as config:
        if hasattr(config, "_extensions") and hasattr(config, "_resource_mappings"):
            # mappings first: loading an extension may ask for the resource manager
            config._resource_mappings = list(_plugins("asdf.resource_mappings"))
            config._resource_manager = None
            config._extensions = list(_plugins("asdf.extensions"))
        config.validate_on_read = validate
        yield config
