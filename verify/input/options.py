"""The ``checks`` key: check names and their options, validated by schema."""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import yaml

from verify.input import schema
from verify.input.loading import CaseError, items, kind_of, line_of, suggest
from verify.input.values import Value, parse_value


@dataclass(frozen=True)
class Check:
    """A check of a case with its validated options (``name: value``)."""

    name: str
    options: tuple[tuple[str, object], ...] = ()
    line: int = 0

    def option(self, key: str):
        """The option's value, or its default from :mod:`verify.input.schema`."""
        found = dict(self.options)
        if key in found:
            return found[key]
        default = schema.option_default(self.name, key)
        kind = schema.CHECK_OPTIONS[self.name][key][0]
        if kind == "number" and isinstance(default, str):
            return parse_value(default)
        return default

    def given(self, key: str) -> bool:
        return key in dict(self.options)

    def steps(self, method: str) -> tuple:
        """The steps ``h`` given for ``method`` as float64 numbers, one row each
        (``h`` may be a number, a list, or a mapping method: number or list);
        ``(None,)`` when none is given, for the method's standard step."""
        h = self.option("h")
        if isinstance(h, tuple) and h and isinstance(h[0], tuple):  # method: steps
            h = dict(h).get(method)
        if h is None:
            return (None,)
        return tuple(v.float64 for v in (h if isinstance(h, tuple) else (h,)))

    def step(self, method: str) -> float | None:
        """The first step written for ``method`` (see :meth:`steps`), or None:
        the method's standard step. For rows that take one step (backprop's
        three-way row)."""
        return self.steps(method)[0]


def read_checks(node, variables, value_of, vector: bool = False) -> tuple[Check, ...]:
    if node is None:
        return tuple(Check(name) for name in schema.default_checks(len(variables), vector))
    if isinstance(node, yaml.SequenceNode):
        entries = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                raise CaseError(f"expected a check name, got {kind_of(item)}", line=line_of(item),
                                key="checks")
            entries.append((item.value, item, None))
    elif isinstance(node, yaml.MappingNode):
        entries = [(key, key_node, value) for key, key_node, value in items(node)]
    else:
        raise CaseError("expected a list of check names or a mapping check: options",
                        line=line_of(node), key="checks")
    checks, seen = [], set()
    for name, name_node, options in entries:
        if name not in schema.CHECKS:
            raise CaseError(f"unknown check '{name}'{suggest(name, schema.CHECKS)} "
                            f"(known: {', '.join(schema.CHECKS)})", line=line_of(name_node),
                            key="checks")
        if name in seen:
            raise CaseError(f"check '{name}' is listed twice", line=line_of(name_node), key="checks")
        seen.add(name)
        checks.append(_read_options(name, name_node, options, variables, value_of))
    return tuple(checks)


def _read_options(name, name_node, node, variables, value_of) -> Check:
    found = []
    if node is not None and not (isinstance(node, yaml.ScalarNode) and node.value in ("", "null", "~")):
        known = schema.CHECK_OPTIONS[name]
        for key, key_node, value_node in items(node, what=f"mapping of options for '{name}'"):
            if key not in known:
                raise CaseError(f"check '{name}' has no option '{key}'{suggest(key, known)} "
                                f"(options: {', '.join(known)})", line=line_of(key_node),
                                key="checks")
            kind = known[key][0]
            found.append((key, _read_option(kind, value_node, f"{name}.{key}", variables, value_of)))
    given = {key for key, _ in found}
    for required in schema.REQUIRED_OPTIONS.get(name, ()):
        if required not in given:
            raise CaseError(f"check '{name}' needs the option '{required}'",
                            line=line_of(name_node), key="checks")
    check = Check(name, tuple(found), line_of(name_node))
    if name == "descent":
        problem = _descent_problem(check)
        if problem:
            raise CaseError(problem, line=line_of(name_node), key="checks")
    return check


def _descent_problem(check) -> str | None:
    """What is wrong with the descent options taken together, or None."""
    lrs = check.option("lr") or ()
    if any(not v.float64 > 0 for v in lrs):
        return "check 'descent': `lr` must be positive."
    outcomes = check.option("outcome") or ()
    if len(outcomes) not in (0, 1, len(lrs)):
        return (f"check 'descent': `outcome` lists {len(outcomes)} entries for {len(lrs)} "
                "learning rates (give one, or one per lr).")
    for key in ("xtol", "bound"):
        value = check.option(key)
        if value is not None and not value.float64 > 0:
            return f"check 'descent': `{key}` must be positive."
    return None


def _read_option(kind, node, where, variables, value_of):
    line = line_of(node)
    if kind in schema.INTEGER_LIMITS:
        low, high = schema.INTEGER_LIMITS[kind]
        text = node.value if isinstance(node, yaml.ScalarNode) else None
        if text is None or node.tag != "tag:yaml.org,2002:int":
            raise CaseError(f"`{where}` must be an integer.", line=line, key="checks")
        try:
            # YAML 1.2: 010 is ten; 0o and 0x prefixes are octal and hexadecimal
            number = int(text.replace("_", ""), 0) if text.lower().startswith(("0x", "0o")) \
                else int(text.replace("_", ""))
        except ValueError:
            raise CaseError(f"`{where}` must be an integer.", line=line, key="checks") from None
        if not low <= number <= high:
            raise CaseError(f"`{where}` must be between {low} and {high}, got {number}.",
                            line=line, key="checks")
        return number
    if kind == "methods":
        names = [node] if isinstance(node, yaml.ScalarNode) else node.value \
            if isinstance(node, yaml.SequenceNode) else None
        if names is None:
            raise CaseError(f"`{where}` must be a list of methods.", line=line, key="checks")
        methods = []
        for item in names:
            method = getattr(item, "value", None)
            if method not in schema.METHODS:
                raise CaseError(f"unknown method {method!r}{suggest(str(method), schema.METHODS)} "
                                f"(methods: {', '.join(schema.METHODS)})", line=line_of(item),
                                key="checks")
            methods.append(method)
        return tuple(dict.fromkeys(methods))
    if kind == "h":
        if isinstance(node, yaml.MappingNode):
            steps = {}
            for method, key_node, value_node in items(node):
                if method not in schema.METHODS:
                    raise CaseError(f"unknown method {method!r}{suggest(method, schema.METHODS)}",
                                    line=line_of(key_node), key="checks")
                steps[method] = _steps(value_node, f"{where}.{method}", value_of)
            return tuple(sorted(steps.items()))
        return _steps(node, where, value_of)
    if kind == "number":
        return value_of(node, "checks")
    if kind == "numbers":
        if isinstance(node, yaml.SequenceNode):
            if not node.value:
                raise CaseError(f"`{where}` must not be empty.", line=line, key="checks")
            return tuple(value_of(item, "checks") for item in node.value)
        return (value_of(node, "checks"),)
    if kind == "point":
        return read_point(node, variables, "checks", value_of)
    if kind == "direction":
        return read_direction(node, variables, where, value_of)
    if kind == "outcomes":
        words = node.value if isinstance(node, yaml.SequenceNode) else [node]
        outcomes = []
        for item in words:
            word = getattr(item, "value", None)
            if word not in schema.OUTCOMES:
                raise CaseError(f"`{where}` must be one of {', '.join(schema.OUTCOMES)}, "
                                f"got {word!r}", line=line_of(item), key="checks")
            outcomes.append(word)
        return tuple(outcomes)
    raise AssertionError(f"unhandled option kind {kind}")  # a schema bug, not user input


MAX_STEP = 1e30  # h**10 stays inside float64 in the error bound
MAX_STEPS = 20   # steps in one list of h: one row each


def _steps(node, where, value_of):
    """``h``: one step, or (CASES.md v1.1) a list of steps, one row each."""
    if not isinstance(node, yaml.SequenceNode):
        return _positive(value_of(node, "checks"), where, line_of(node))
    if not node.value:
        raise CaseError(f"`{where}` must not be an empty list.", line=line_of(node), key="checks")
    if len(node.value) > MAX_STEPS:
        raise CaseError(f"`{where}` lists {len(node.value)} steps; at most {MAX_STEPS}",
                        line=line_of(node), key="checks")
    return tuple(_positive(value_of(item, "checks"), where, line_of(item)) for item in node.value)


def _positive(value: Value, where, line) -> Value:
    """A step: positive, decidably so, and a positive float64 no larger than MAX_STEP."""
    positive = value.exact.is_positive
    if positive is None:  # e.g. cos(1)**2 + sin(1)**2 - 1: exactly 0, which SymPy cannot decide
        try:
            positive = bool(value.exact.evalf(30, strict=True) > 0)
        except (ArithmeticError, TypeError, ValueError):  # PrecisionExhausted is one
            raise CaseError(f"`{where}` = {value.text[:80]!r}: cannot tell whether it is positive "
                            "(it may be exactly 0); write the step as a number", line=line,
                            key="checks") from None
    if not positive:
        raise CaseError(f"`{where}` must be positive.", line=line, key="checks")
    step = value.float64
    if not step > 0:
        raise CaseError(f"`{where}` = {value.text[:80]!r} rounds to 0 in float64 (below about "
                        "5e-324); write a larger step", line=line, key="checks")
    if not (math.isfinite(step) and step <= MAX_STEP):
        raise CaseError(f"`{where}` = {value.text[:80]!r} is too large: the limit is "
                        f"{MAX_STEP:g} (a larger step overflows float64 in the error bound)",
                        line=line, key="checks")
    return value


def read_direction(node, variables, where, value_of) -> tuple[Value, ...]:
    """A direction v for directional derivatives: mapping variable: number, one
    entry per variable in ``variables`` order (a variable left out is 0)."""
    found = {}
    for name, name_node, value_node in items(node, what=f"mapping of variable: number for `{where}`"):
        name = normal_name(name)
        if name not in variables:
            raise CaseError(f"`{where}`: variable '{name}' is not in the function"
                            f"{suggest(name, variables)}", line=line_of(name_node), key="checks")
        if name in found:
            raise CaseError(f"`{where}`: variable '{name}' is given twice",
                            line=line_of(name_node), key="checks")
        found[name] = value_of(value_node, "checks")
    if not found or all(value.exact == 0 for value in found.values()):
        raise CaseError(f"`{where}` must give a non-zero direction (mapping variable: number)",
                        line=line_of(node), key="checks")
    zero = parse_value("0")
    return tuple(found.get(v, zero) for v in variables)


def normal_name(name: str) -> str:
    """A name as Python reads it in the function text: NFKC-normalised, so a
    fullwidth 'ｘ' in a point is the 'x' of 'sin(ｘ)'."""
    return unicodedata.normalize("NFKC", name)


def read_point(node, variables, key, value_of) -> tuple[Value, ...]:
    """A point: mapping variable: value with every variable and no other."""
    found = {}
    for name, name_node, value_node in items(node, what="mapping of variable: value"):
        name = normal_name(name)
        if name in found:
            raise CaseError(f"variable '{name}' is given twice", line=line_of(name_node), key=key)
        if name not in variables:
            raise CaseError(f"variable '{name}' is not in the function"
                            f"{suggest(name, variables)}", line=line_of(name_node), key=key)
        found[name] = value_of(value_node, key)
    missing = [v for v in variables if v not in found]
    if missing:
        raise CaseError(f"no value for variable '{missing[0]}'", line=line_of(node), key=key)
    return tuple(found[v] for v in variables)
