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

Loading those plugins parses some fifty extension manifests (YAML) with
PyYAML's pure-Python safe loader, as asdf does; :func:`_fast_manifests` has
asdf parse them with libyaml's safe loader instead (the same documents, a
few times faster), when PyYAML has libyaml.
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


@contextmanager
def _fast_manifests() -> Iterator[None]:
    """asdf's manifest reader (``asdf.extension._manifest``) parsing with libyaml's safe
    loader while the plugins load; left as asdf has it where either is missing."""
    import yaml

    try:
        from asdf.extension import _manifest
    except ImportError:  # another asdf layout: its own parser
        yield
        return
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None or getattr(_manifest, "yaml", None) is not yaml:
        yield
        return

    class _YAML:
        @staticmethod
        def safe_load(stream: Any) -> Any:
            return yaml.load(stream, Loader=loader)  # noqa: S506  (a safe loader)

    _manifest.yaml = _YAML  # type: ignore[assignment]
    try:
        yield
    finally:
        _manifest.yaml = yaml


@functools.cache
def _plugins(group: str) -> tuple[Any, ...]:
    """The proxies of the wanted plugins of one entry-point group, in asdf's order."""
    from asdf.extension import ExtensionProxy
    from asdf.resource import ResourceMappingProxy

    proxy = ExtensionProxy if group == "asdf.extensions" else ResourceMappingProxy
    seen: dict[tuple[str, str], tuple[str, str, Any]] = {}
    for point in entry_points(group=group):
        # the packages' import names are their distribution names: others are passed over
        # without reading their metadata (each ``dist.name`` parses the METADATA file)
        if point.module.partition(".")[0] not in PLUGIN_PACKAGES or point.dist is None:
            continue
        meta = point.dist.metadata
        name, version = meta["Name"], meta["Version"]
        if _wanted(name, point.name):
            seen.setdefault((name, point.name), (name, version, point))
    # asdf's own plugins last, the others by package name (as asdf orders them)
    ordered = sorted(seen.values(), key=lambda nvp: (nvp[0] == "asdf", nvp[0]))
    out = []
    with _fast_manifests():
        for name, version, point in ordered:
            elements = point.load()()
            for element in elements if isinstance(elements, list) else [elements]:
                out.append(proxy(element, package_name=name, package_version=version))
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
