"""Step parameters: defaults, parameter files, command-line overrides.

Parameters are a plain mapping ``step name -> {parameter: value}``.  They
come, in order of precedence, from the registry defaults (jwst 3.0.0's), a
parameter file, then ``--steps.NAME.PARAM=VALUE`` overrides.

Parameter files have the shape jwst writes with
``Spec2Pipeline.export_config`` (ASDF, or the same tree as YAML)::

    class: jwst.pipeline.calwebb_spec2.Spec2Pipeline
    name: Spec2Pipeline
    parameters: {}
    steps:
    - class: jwst.flatfield.flat_field_step.FlatFieldStep
      name: flat_field
      parameters: {inverse: false, skip: false, ...}

so a file spec2x exports loads in jwst (``Spec2Pipeline.call(input,
config_file=...)``) and a file jwst exports loads here (its generic stpipe
I/O parameters are passed over).  A single-step file (a CRDS ``pars-*`` file:
``class`` of one step, no ``steps``) is read as that step's parameters.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import InputFileError, OutputError, ParameterError
from .registry import STEPS, Param, get_step

__all__ = [
    "PIPELINE_CLASS",
    "coerce",
    "defaults",
    "export_params",
    "load_params",
    "merge",
    "parse_override",
    "resolve",
]

PIPELINE_CLASS = "jwst.pipeline.calwebb_spec2.Spec2Pipeline"
PIPELINE_NAME = "Spec2Pipeline"

#: stpipe's generic parameters (I/O and hooks): accepted in files, not used by spec2x.
GENERIC_PARAMS = frozenset(
    {
        "input_dir",
        "output_dir",
        "output_ext",
        "output_file",
        "output_use_index",
        "output_use_model",
        "post_hooks",
        "pre_hooks",
        "save_results",
        "search_output_file",
        "suffix",
    }
)
#: Spec2Pipeline's own parameters (accepted in files, not used by spec2x).
PIPELINE_PARAMS = frozenset({"fail_on_exception", "save_bsub", "save_wfss_esec", "skip"})

Params = dict[str, dict[str, Any]]


def _param(step: str, name: str) -> Param:
    spec = get_step(step)
    try:
        return spec.param(name)
    except KeyError:
        raise ParameterError.unknown(
            "parameter", name, [p.name for p in spec.params], f" of step {step}"
        ) from None


def defaults() -> Params:
    """Every step's parameters with jwst 3.0.0's defaults."""
    return {name: spec.defaults() for name, spec in STEPS.items()}


_TRUE = {"true", "yes", "on", "1", "t", "y"}
_FALSE = {"false", "no", "off", "0", "f", "n"}
_NONE = {"none", "null", ""}


def _scalar(text: str, kind: str) -> Any:
    if kind == "bool":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("not a boolean (true/false)")
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise ValueError("not an integer" if kind == "int" else "not a number") from None
    return text


def _from_text(p: Param, text: str) -> Any:
    if text.strip().lower() in _NONE and (p.default is None or None in (p.choices or ())):
        return None
    if p.type in ("int_list", "float_list", "list"):
        body = text.strip()
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        items = [t.strip() for t in body.split(",") if t.strip()]
        if p.type == "list":
            return [yaml.safe_load(t) for t in items]
        return [_scalar(t, p.type.split("_")[0]) for t in items]
    if p.type == "option":
        return text
    return _scalar(text, p.type)


def coerce(step: str, name: str, value: Any) -> Any:
    """Check ``value`` for parameter ``name`` of ``step``; convert it if given as text.

    Raises
    ------
    ParameterError
        For an unknown step or parameter, or a value of the wrong type.
    """
    p = _param(step, name)
    where = f"--steps.{step}.{name}"
    try:
        if isinstance(value, str) and p.type not in ("str",):
            value = _from_text(p, value)
        elif isinstance(value, str) and value.strip().lower() in ("none", "null"):
            value = None if p.default is None else value
        value = _check(p, value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{where}={value!r}: {exc}") from None
    return value


#: Scalar parameter types: (accepts the value, converts it, what it must be).
_SCALARS: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any], str]] = {
    "bool": (lambda v: isinstance(v, bool), lambda v: v, "true or false"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), int, "an integer"),
    "float": (
        lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        float,
        "a number",
    ),
    "str": (lambda v: isinstance(v, str), lambda v: v, "text"),
}
_LIST_ITEMS: dict[str, tuple[str, Any]] = {"int_list": ("int", 0), "float_list": ("float", 0.0)}


def _check(p: Param, value: Any) -> Any:
    if value is None:
        if p.default is None or None in (p.choices or ()):
            return None
        raise TypeError(f"may not be None (default {p.default!r})")
    if p.type == "option":
        if value not in (p.choices or ()):
            raise ValueError(f"must be one of {[c for c in p.choices or () if c is not None]}")
        return value
    if p.type in _SCALARS:
        accepts, convert, what = _SCALARS[p.type]
        if not accepts(value):
            raise TypeError(f"must be {what}")
        return convert(value)
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError("must be a list")
    items = list(value)
    if p.type not in _LIST_ITEMS:
        return items
    kind, default = _LIST_ITEMS[p.type]
    return [_check(Param(p.name, default, kind, ""), v) for v in items]


def parse_override(text: str) -> tuple[str, str, Any]:
    """Read ``NAME.PARAM=VALUE`` (``--steps.`` prefix optional) into (step, parameter, value)."""
    body = text[2:] if text.startswith("--") else text
    body = body.removeprefix("steps.")
    key, sep, value = body.partition("=")
    step, dot, name = key.partition(".")
    if not sep or not dot or not step or not name:
        raise ParameterError(
            f"cannot read parameter override {text!r}; write it as --steps.NAME.PARAM=VALUE"
        )
    return step, name, coerce(step, name, value)


def merge(base: Mapping[str, Mapping[str, Any]], update: Mapping[str, Mapping[str, Any]]) -> Params:
    """``base`` with the values of ``update`` laid over it (each checked)."""
    out: Params = {step: dict(values) for step, values in base.items()}
    for step, values in update.items():
        get_step(step)
        for name, value in values.items():
            out.setdefault(step, {})[name] = coerce(step, name, value)
    return out


def resolve(
    params: Mapping[str, Mapping[str, Any]] | str | os.PathLike[str] | None = None,
    *,
    overrides: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> Params:
    """The full parameter set: defaults < ``params`` (mapping or file) < overrides < skip.

    Parameters
    ----------
    params : step -> {parameter: value}, or a parameter file (ASDF/YAML).
    overrides : ``NAME.PARAM=VALUE`` texts.
    skip : step names to skip.
    """
    given = load_params(params) if isinstance(params, str | os.PathLike) else (params or {})
    out = merge(defaults(), given)
    for text in overrides:
        step, name, value = parse_override(text)
        out[step][name] = value
    for step in skip:
        get_step(step)
        out[step]["skip"] = True
    return out


# -- files -------------------------------------------------------------------


def _tree(params: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    steps = []
    for name, spec in STEPS.items():
        values = dict(spec.defaults())
        values.update(params.get(name, {}))
        steps.append(
            {
                "class": spec.jwst_class,
                "name": name,
                "parameters": {k: values[k] for k in sorted(values)},
            }
        )
    return {"class": PIPELINE_CLASS, "name": PIPELINE_NAME, "parameters": {}, "steps": steps}


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def export_params(
    path: str | os.PathLike[str], params: Mapping[str, Mapping[str, Any]] | None = None
) -> Path:
    """Write a jwst-shaped parameter file (ASDF, or YAML for ``.yaml``/``.yml``).

    Parameters
    ----------
    path : the file to write.
    params : values to write (defaults fill the rest; None: all defaults).
    """
    path = Path(path)
    tree = _tree(merge(defaults(), params or {}))
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if _is_yaml(path):
            tmp.write_text(yaml.safe_dump(tree, sort_keys=False))
        else:
            import asdf

            asdf.AsdfFile(tree).write_to(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write parameter file {path}: {exc.strerror or exc}") from None
    return path


def _read_tree(path: Path) -> Mapping[str, Any]:
    if not path.is_file():
        raise InputFileError(f"parameter file {path} does not exist")
    try:
        with open(path, "rb") as f:
            is_asdf = f.read(5) == b"#ASDF"
        if is_asdf:
            import asdf

            with asdf.open(path, lazy_load=False, memmap=False) as af:
                return {k: v for k, v in af.tree.items() if not k.startswith("asdf_")}
        tree = yaml.safe_load(path.read_text())
    except Exception as exc:  # asdf and yaml raise many kinds
        raise InputFileError(
            f"cannot read parameter file {path}: {' '.join(str(exc).split())}; is it ASDF or YAML?"
        ) from None
    if not isinstance(tree, Mapping):
        raise InputFileError(f"parameter file {path} does not hold a mapping")
    return tree


def _step_by_class(cls: str) -> str | None:
    short = cls.rsplit(".", 1)[-1]
    for name, spec in STEPS.items():
        if spec.jwst_class.rsplit(".", 1)[-1] == short:
            return name
    return None


def _step_values(path: Path, step: str, values: Any) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InputFileError(f"{path}: parameters of step {step} are not a mapping")
    known = {p.name for p in get_step(step).params}
    try:
        return {
            str(k): coerce(step, str(k), v)
            for k, v in values.items()
            if k in known or (k not in GENERIC_PARAMS and not str(k).startswith("override_"))
        }
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None


def _steps_list(path: Path, steps: Any) -> list[Any]:
    """The ``steps`` of a parameter file as a list of ``{name, parameters}`` entries."""
    if isinstance(steps, Mapping):  # a "steps: {name: {...}}" mapping (cfg style)
        return [{"name": k, "parameters": v} for k, v in steps.items()]
    if not isinstance(steps, list):
        raise InputFileError(
            f"{path}: 'steps' is a {type(steps).__name__}; it must be a list of "
            "{name, parameters} entries or a mapping of step names"
        )
    return steps


def load_params(path: str | os.PathLike[str]) -> Params:
    """Read the step parameters a jwst-shaped ASDF or YAML file sets.

    Returns only the values the file holds; unknown steps or parameters are a
    :class:`ParameterError` naming the closest known one.
    """
    path = Path(path)
    tree = _read_tree(path)
    out: Params = {}
    steps = tree.get("steps")
    if steps is None:  # a single-step file
        cls = str(tree.get("class", ""))
        step = _step_by_class(cls) or str(tree.get("name", ""))
        if step not in STEPS:
            raise ParameterError.unknown("step", step or cls, STEPS, f" in {path}")
        out[step] = _step_values(path, step, tree.get("parameters"))
        return out
    for entry in _steps_list(path, steps):
        if not isinstance(entry, Mapping) or "name" not in entry:
            raise InputFileError(f"{path}: each entry of 'steps' needs a 'name'")
        step = str(entry["name"])
        if step not in STEPS:
            raise ParameterError.unknown("step", step, STEPS, f" in {path}")
        out[step] = _step_values(path, step, entry.get("parameters"))
    pipeline = tree.get("parameters") or {}
    if not isinstance(pipeline, Mapping):
        raise InputFileError(f"{path}: 'parameters' must be a mapping of pipeline parameters")
    extra = set(map(str, pipeline)) - PIPELINE_PARAMS - GENERIC_PARAMS
    if extra:
        raise ParameterError(
            f"{path}: unknown pipeline parameter(s) {sorted(extra)}; step parameters go "
            "under 'steps'"
        )
    return out
