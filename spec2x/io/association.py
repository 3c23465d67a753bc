"""Level-2 associations (``*_asn.json``): which exposure to calibrate, with which helpers.

A jwst level-2 (spec2) association lists products; each product has members
with an ``expname`` (file, relative to the association's folder) and an
``exptype`` (its role: ``science``, ``background``, ``imprint``,
``selfcal``, ``sourcecat``, ``segmap``, ``direct_image``,
``target_acquisition`` ...)::

    {"asn_type": "spec2", "asn_pool": "...",
     "products": [{"name": "jw01234001001_01101_00001_nrs1",
                   "members": [{"expname": "jw..._rate.fits", "exptype": "science"},
                               {"expname": "jw..._rate.fits", "exptype": "background"}]}]}
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputFileError

__all__ = ["AsnProduct", "Association", "check_product_name", "read_association"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AsnProduct:
    """One product of a level-2 association: one science exposure and its helpers.

    Attributes
    ----------
    name : the product name (output base name in jwst).
    science : the science exposure.
    members : the other members by role (lowercase), in association order.
    """

    name: str
    science: Path
    members: dict[str, list[Path]] = field(default_factory=dict)


@dataclass(frozen=True)
class Association:
    """A level-2 association file, read and checked.

    Attributes
    ----------
    path : the association file.
    products : its products.
    asn_type, asn_pool : as written in the file (may be empty).
    """

    path: Path
    products: tuple[AsnProduct, ...]
    asn_type: str = ""
    asn_pool: str = ""

    def _only(self) -> AsnProduct:
        if len(self.products) != 1:
            raise InputFileError(
                f"association {self.path} has {len(self.products)} products; "
                "calibrate them one by one (spec2x run does)"
            )
        return self.products[0]

    @property
    def science(self) -> Path:
        """The science exposure of a one-product association."""
        return self._only().science

    @property
    def members(self) -> dict[str, list[Path]]:
        """The other members, by role, of a one-product association."""
        return self._only().members


def _load_json(path: Path) -> Mapping[str, Any]:
    if not path.is_file():
        raise InputFileError(f"association {path} does not exist")
    try:
        tree = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"association {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read association {path}: {exc}") from None
    if not isinstance(tree, Mapping):
        raise InputFileError(f"association {path} does not hold a JSON object")
    return tree


def check_product_name(name: str, where: str) -> str:
    """``name`` if it is a plain file stem (no folder, not ``.``/``..``); else an error.

    Product names become output file names (``<name>_cal.fits``) inside the
    output folder, so they may never lead out of it.

    Raises
    ------
    InputFileError
        The name carries a folder (``/``, ``\\``), is absolute, is ``.`` or
        ``..``, or holds a control character; ``where`` says whose name it is.
    """
    plain = (
        name not in ("", ".", "..")
        and not any(sep in name for sep in ("/", "\\"))
        and name.isprintable()
    )
    if not plain:
        raise InputFileError(
            f"{where}: product name {name!r} is not a plain file name; product names are "
            "output file stems (e.g. jw01234001001_01101_00001_nrs1) without a folder"
        )
    return name


def _product(path: Path, index: int, entry: Any) -> AsnProduct:
    where = f"association {path}, product {index}"
    if not isinstance(entry, Mapping) or not isinstance(entry.get("members"), list):
        raise InputFileError(f"{where} has no 'members' list")
    name = check_product_name(str(entry.get("name") or f"product{index}"), where)
    by_role: dict[str, list[Path]] = {}
    for j, member in enumerate(entry["members"]):
        if not isinstance(member, Mapping) or "expname" not in member:
            raise InputFileError(f"{where}, member {j} has no 'expname'")
        if not isinstance(member["expname"], str) or not member["expname"].strip():
            raise InputFileError(
                f"{where}, member {j}: 'expname' is {member['expname']!r}; it must be a file name"
            )
        role = str(member.get("exptype", "science")).strip().lower()
        file = Path(os.fspath(member["expname"]))
        file = file if file.is_absolute() else path.parent / file
        if not file.exists():
            raise InputFileError(
                f"{where}: {role} member {member['expname']} not found (looked for {file}); "
                "member paths are relative to the association's folder"
            )
        by_role.setdefault(role, []).append(file)
    science = by_role.pop("science", [])
    if not science:
        raise InputFileError(f"{where} ({name}) has no member with exptype 'science'")
    if len(science) > 1:
        log.warning("%s has %d science members; using the first, as jwst does", where, len(science))
    return AsnProduct(name, science[0], by_role)


def read_association(path: str | os.PathLike[str]) -> Association:
    """Read and check a level-2 association.

    Raises
    ------
    InputFileError
        For a missing or malformed file, a product without a science member,
        or a member file that does not exist.
    """
    path = Path(path)
    tree = _load_json(path)
    products = tree.get("products")
    if not isinstance(products, list) or not products:
        raise InputFileError(f"association {path} has no 'products' list")
    return Association(
        path,
        tuple(_product(path, i, p) for i, p in enumerate(products)),
        str(tree.get("asn_type", "")),
        str(tree.get("asn_pool", "")),
    )
