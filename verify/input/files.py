"""The files a run reads: which case files a command line names, and reading
one file within a size limit.

Sizes are checked before reading, on the open file (fstat), so what is
checked is what is read; anything but a regular file is refused, and a
case file that is a symbolic link leaving its folder is refused like a
data path that does, unless the run allows it.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from verify.input.loading import CaseError, Source


def read_limited(path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, checked before reading.

    Opened without blocking (a FIFO would wait for a writer) and checked with
    fstat on the open file, so what is checked is what is read; a device,
    FIFO or folder is refused, and reading stops one byte past the limit in
    case the file grows.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise CaseError(f"cannot read the {what}: {exc.strerror}") from None
    except ValueError as exc:  # a NUL byte in the path
        raise CaseError(f"cannot read the {what}: {exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CaseError(f"the {what} is not a regular file (a folder, device or pipe "
                            "cannot be read as one)")
        if info.st_size > limit:
            raise CaseError(f"the {what} is larger than {limit} bytes ({info.st_size} bytes)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise CaseError(f"cannot read the {what}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise CaseError(f"the {what} is larger than {limit} bytes")
    return b"".join(chunks)


def find_files(paths, allow_outside: bool = False):
    """Expand the command line into ``(path, shown, Source, refused)``, sorted and
    unique; ``refused`` is why a path is not read ('' when it is).

    A case file that is a symbolic link leaving its folder (the folder given,
    or the file's own) is refused like a data path that does, unless
    ``allow_outside``: a link to ``/etc/passwd`` is not read.
    """
    found = []
    for given in paths:
        root = Path(given)
        if root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")
                           and (p.is_file() or p.is_symlink()))
            for path in files:
                relative = path.relative_to(root)
                group = str(relative.with_suffix("")).replace("\\", "/")
                found.append((path, str(path), Source(str(path), group, path.parent),
                              _refused(path, root, allow_outside)))
        else:
            found.append((root, str(root), Source(str(root), root.stem, root.parent),
                          _refused(root, root.parent, allow_outside)))
    unique, seen = [], set()
    for entry in found:
        key = _resolved(entry[0]) or entry[0]
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return _distinct_groups(unique)


def _distinct_groups(entries):
    """Ids stay unique across roots: files of the same relative name under two
    roots (``a/g.yaml``, ``b/g.yaml``) take their path as shown for their group
    (``a/g``, ``b/g``), as pytest's node ids carry the path from the root."""
    counts = {}
    for _, _, source, _ in entries:
        counts[source.group] = counts.get(source.group, 0) + 1
    fixed = []
    for path, shown, source, refused in entries:
        if counts[source.group] > 1:
            group = str(Path(shown).with_suffix("")).replace("\\", "/")
            source = Source(source.file, group, source.folder)
        fixed.append((path, shown, source, refused))
    return fixed


def _resolved(path: Path):
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # missing, a loop, a NUL byte
        return None


def _refused(path: Path, folder: Path, allow_outside: bool) -> str:
    target = _resolved(path)
    if target is None:
        if path.is_symlink():
            return "the file is a symbolic link that leads nowhere (or in a loop)"
        return "no such file or folder"
    base = _resolved(folder)
    if not allow_outside and base is not None and not target.is_relative_to(base):
        return ("the file is a symbolic link that leaves its folder (the run allows this "
                "only with --allow-outside-data)")
    return ""
