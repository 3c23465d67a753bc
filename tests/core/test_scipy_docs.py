"""scipy's import-time docstring rewriting left out (checked in new processes: scipy is
imported once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CODE = """
import json, sys
from spec2x import scipy_docs
if {install}:
    scipy_docs.install()
import scipy.special
import scipy._lib._array_api as xp
print(json.dumps({{"doc": xp.FunctionDoc.__name__,
                  "note": "Array API Standard Support" in scipy.special.logsumexp.__doc__,
                  "table": scipy.special.logsumexp in xp.xp_capabilities_table,
                  "value": float(scipy.special.logsumexp([0.0, 0.0])),
                  "finders": sum(type(f).__name__ == "_Finder" for f in sys.meta_path)}}))
"""


def _run(install: bool) -> dict[str, object]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", _CODE.format(install=install)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_installed_scipy_keeps_its_docstrings_and_capabilities():
    plain, kept = _run(False), _run(True)
    assert plain == {"doc": "FunctionDoc", "note": True, "table": True, "value": plain["value"],
                     "finders": 0}  # fmt: skip
    assert kept == {"doc": "KeptDoc", "note": False, "table": True, "value": plain["value"],
                    "finders": 0}  # fmt: skip


def test_kept_doc_renders_the_docstring_after_a_signature_line():
    from spec2x.scipy_docs import KeptDoc

    def f():
        """Summary.

        Notes
        -----
        Kept.
        """

    doc = KeptDoc(f)
    doc["Notes"].append("dropped")
    assert str(doc).split("\n", 1)[1] == f.__doc__
    assert str(KeptDoc(lambda: None)) == "\n"


def test_a_scipy_using_function_doc_otherwise_keeps_its_own():
    """If the decorator fails with :class:`KeptDoc` (or changes a docstring), the module's
    own ``FunctionDoc`` is put back, so a newer scipy is never broken by the hook."""
    import types

    from spec2x.scipy_docs import KeptDoc, _keep_docs

    class OwnDoc(dict):
        def __init__(self, func):
            super().__init__(Notes=[])

    def failing(**_):
        def decorator(f):
            module.FunctionDoc(f).render()  # a method KeptDoc has not
            return f

        return decorator

    def fine(**_):
        def decorator(f):
            doc = module.FunctionDoc(f)
            doc["Notes"].append("note")
            f.__doc__ = str(doc).split("\n", 1)[1].lstrip(" \n")
            return f

        return decorator

    module = types.ModuleType("fake_array_api")
    module.FunctionDoc, module.xp_capabilities = OwnDoc, failing
    _keep_docs(module)
    assert module.FunctionDoc is OwnDoc
    module.xp_capabilities = fine
    _keep_docs(module)
    assert module.FunctionDoc is KeptDoc
