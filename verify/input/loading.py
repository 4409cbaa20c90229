"""Case files to YAML nodes: safe reading, line numbers, ``defaults:``, ids.

We compose YAML into nodes (which keep their line marks) and never let a
constructor build Python objects from tags, so ``!!python/...`` tags are
refused rather than run. Each case mapping, with its defaults merged in,
goes to :func:`verify.input.cases.build_case`.
"""
from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

MAX_FILE_BYTES = 50_000_000
MAX_NODES = 2_000_000  # bounds alias expansion ("billion laughs")
MAX_FLOW_DEPTH = 300  # [ and { levels; the composer's recursion allows about 330
YAML_FRAMES = 1_000  # recursion the YAML composer may use (about 330 levels of nesting)
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
TOP_KEYS = ("cases", "defaults")
EXCERPT = 60  # characters of a scalar a message may quote: never a whole file
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_YAML11_NUMBER = "tag:verify,2026:yaml11-number"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 (core schema) numbers, and a node count kept
    while composing so a huge file stops at the limit, not after it.

    YAML 1.1 reads ``010`` as 8, ``1:30`` as 90 and ``0b11`` as 3; YAML 1.2
    reads ``010`` as 10 and the other two as text. We follow 1.2, and tag
    the 1.1-only forms so they are refused with a message, never reread.
    """

    nodes = 0

    def compose_node(self, parent, index):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise CaseError(f"the file expands to more than {MAX_NODES} YAML nodes",
                            line=self.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)

    def fetch_flow_collection_start(self, token_class):
        # PyYAML's scanner slows quadratically with '[' / '{' depth: stop early
        if self.flow_level >= MAX_FLOW_DEPTH:
            raise CaseError(f"malformed YAML: nested too deeply (more than {MAX_FLOW_DEPTH} "
                            "levels)", line=self.get_mark().line + 1)
        super().fetch_flow_collection_start(token_class)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7][0-7_]*|0x[0-9a-fA-F][0-9a-fA-F_]*)$"),
    list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*(?:\.[0-9_]*)?)"
                       r"(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"))
_Loader.add_implicit_resolver(
    _YAML11_NUMBER, re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$"),
    list("-+0123456789"))


class CaseError(ValueError):
    """Bad input, located: file, line, case and key."""

    def __init__(self, what, *, file="", line=None, case=None, key=None):
        self.what, self.file, self.line, self.case, self.key = what, file, line, case, key
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where] if where else []
        if self.case:
            parts.append(f"case '{self.case}'")
        if self.key:
            parts.append(f"key '{self.key}'")
        return ": ".join(parts + [self.what])

    def located(self, **where) -> "CaseError":
        fields = {k: getattr(self, k) for k in ("file", "line", "case", "key")}
        fields.update({k: v for k, v in where.items() if v is not None and not fields.get(k)})
        return CaseError(self.what, **fields)


@dataclass(frozen=True)
class Source:
    """Where a case came from: the file as shown, and its id prefix."""

    file: str
    group: str
    folder: Path


def line_of(node) -> int:
    return node.start_mark.line + 1


def suggest(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def items(node, *, what="mapping"):
    """The (key, key node, value node) triples of a mapping node, checked."""
    if not isinstance(node, yaml.MappingNode):
        raise CaseError(f"expected a {what}, got {kind_of(node)}", line=line_of(node))
    seen = {}
    triples = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
            raise CaseError("keys must be plain names", line=line_of(key_node))
        key = key_node.value
        if key == "<<":
            raise CaseError("YAML merge keys ('<<') are not supported; use 'defaults:'",
                            line=line_of(key_node))
        if key in seen:
            raise CaseError(f"duplicate key '{key}' (first at line {seen[key]})",
                            line=line_of(key_node))
        seen[key] = line_of(key_node)
        triples.append((key, key_node, value_node))
    return triples


def kind_of(node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return excerpt(node.value)


def excerpt(text: str) -> str:
    """``text`` quoted, cut to EXCERPT characters: a message never carries a whole file."""
    return repr(text if len(text) <= EXCERPT else text[:EXCERPT] + "...")


def _tag_problem(node, key) -> str:
    at = f"key '{key}': " if key else ""
    if node.tag == _TIMESTAMP:
        return (f"{at}{excerpt(node.value)} is read by YAML as a date, which a case cannot "
                "use; write a number, or quote it if it is text")
    if node.tag == _YAML11_NUMBER:
        return (f"{at}{excerpt(node.value)} is a YAML 1.1 number (base 60 or binary) that "
                "case files do not read (YAML 1.2 rules); write it in decimal")
    return f"YAML tag {node.tag!r} is not allowed (case files are data)"


def check_tags(root) -> None:
    """Refuse any tag other than YAML's plain ones, and huge alias fan-out.

    Each distinct node is visited once and the size of the tree the aliases
    expand to is added up from the sizes of its parts, so an alias bomb is
    measured without being walked (and a recursive alias has no size).
    """
    too_many = f"the file expands to more than {MAX_NODES} YAML nodes"
    sizes, on_path, stack = {}, set(), [(root, None, False)]
    while stack:
        node, key, finished = stack.pop()
        ident = id(node)
        if finished:
            on_path.discard(ident)
            sizes[ident] = 1 + sum(sizes[id(child)] for child, _ in _children(node, key))
            if sizes[ident] > MAX_NODES:
                raise CaseError(too_many)
            continue
        if ident in sizes:
            continue
        if ident in on_path:  # an alias inside its own anchor: endless
            raise CaseError(too_many, line=line_of(node))
        if node.tag == "tag:yaml.org,2002:merge":
            raise CaseError("YAML merge keys ('<<') are not supported; use 'defaults:'",
                            line=line_of(node))
        if node.tag not in _PLAIN_TAGS:
            raise CaseError(_tag_problem(node, key), line=line_of(node))
        on_path.add(ident)
        stack.append((node, key, True))
        stack.extend((child, name, False) for child, name in _children(node, key))


def _children(node, key):
    """The child nodes of ``node``, each with the mapping key it sits under."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            yield key_node, key
            yield value, key_node.value if isinstance(key_node, yaml.ScalarNode) else key
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield item, key


def merge(default, case):
    """Merge a defaults node under a case node (CASES.md, "Files")."""
    if not (isinstance(default, yaml.MappingNode) and isinstance(case, yaml.MappingNode)):
        return case
    case_keys = {k.value: (k, v) for k, v in case.value}
    dropped = set()
    for one, other in (("function", "graph"), ("at", "points")):
        if one in case_keys:
            dropped.add(other)
        if other in case_keys:
            dropped.add(one)
    merged = []
    for key_node, value_node in default.value:
        name = key_node.value
        if name in dropped:
            continue
        if name in case_keys:
            merged.append((case_keys[name][0], merge(value_node, case_keys[name][1])))
        else:
            merged.append((key_node, value_node))
    default_keys = {k.value for k, _ in default.value}
    merged.extend((k, v) for k, v in case.value if k.value not in default_keys)
    return yaml.MappingNode(case.tag, merged, case.start_mark, case.end_mark)


def _frames() -> int:
    frame, count = sys._getframe(), 0
    while frame is not None:
        frame, count = frame.f_back, count + 1
    return count


def read_nodes(path: Path, shown: str):
    """The case mapping nodes of one file, each paired with its line.

    Returns a list of ``(node, name_or_None)``; raises :class:`CaseError`
    for a file that cannot be read as a whole.
    """
    from verify.input.files import read_limited  # files.py builds on this module's CaseError
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except CaseError as exc:
        raise exc.located(file=shown) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseError(f"not a text file (invalid UTF-8 at byte {exc.start})", file=shown) from None
    if "\x00" in text:
        raise CaseError("not a text file (it holds NUL bytes)", file=shown)
    limit = sys.getrecursionlimit()
    # PyYAML composes by recursion: give it Python's usual 1000 frames whatever
    # the run raised the limit to, so a file of 20,000 '[' fails fast
    sys.setrecursionlimit(_frames() + YAML_FRAMES)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if "another document" in problem:
            problem = ("the file holds a second YAML document (after '---'); a case file is "
                       "one document: put every case in one list under 'cases:'")
            raise CaseError(problem, file=shown, line=mark.line + 1 if mark else None) from None
        raise CaseError(f"malformed YAML: {problem}", file=shown,
                        line=mark.line + 1 if mark else None) from None
    except CaseError as exc:
        raise exc.located(file=shown) from None
    except RecursionError:
        raise CaseError("malformed YAML: nested too deeply", file=shown) from None
    finally:
        sys.setrecursionlimit(limit)
    if root is None:
        raise CaseError("file is empty (expected 'cases:' or a single case)", file=shown)
    try:
        check_tags(root)
        return _case_nodes(root)
    except CaseError as exc:
        raise exc.located(file=shown) from None


def _case_nodes(root):
    if isinstance(root, yaml.SequenceNode):
        raise CaseError("the top level is a list; expected a mapping with 'cases:' "
                        "or a single case with 'name:'", line=line_of(root))
    triples = items(root, what="mapping with 'cases:' or a single case")
    keys = {key: value for key, _, value in triples}
    if "cases" not in keys:
        if "name" not in keys:
            raise CaseError("expected 'cases:' (a list of cases) or a single case with 'name:'",
                            line=line_of(root))
        return [root]
    for key, key_node, _ in triples:
        if key not in TOP_KEYS:
            raise CaseError(f"unknown top-level key '{key}'{suggest(key, TOP_KEYS)} "
                            "(a file with 'cases:' may hold only 'cases' and 'defaults')",
                            line=line_of(key_node), key=key)
    cases = keys["cases"]
    if not isinstance(cases, yaml.SequenceNode):
        raise CaseError(f"'cases' must be a list, got {kind_of(cases)}", line=line_of(cases),
                        key="cases")
    defaults = keys.get("defaults")
    if defaults is not None:
        items(defaults, what="mapping")
        for key, key_node, _ in items(defaults):
            if key == "name":
                raise CaseError("'defaults' cannot set 'name'", line=line_of(key_node),
                                key="defaults")
    return [merge(defaults, node) if defaults is not None else node for node in cases.value]
