"""Include / exclude globs on keys relative to a prefix (`drafts/**`, `*.tmp`), as rclone and .gitignore read them:

- `*` matches within one path segment (never a '/'), `?` one character but '/', `[abc]` / `[!abc]` a class;
- `**` matches across segments: `drafts/**` is everything under drafts/, `**/x.txt` x.txt at any depth;
- a pattern without a '/' matches the last segment at any depth (`*.tmp` excludes a/b/c.tmp); one with a '/' is
  anchored at the prefix (`db/*.sql` matches db/a.sql, not x/db/a.sql).

A key is selected when it matches an include (or no include is given) and matches no exclude.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


class GlobError(ValueError):
    pass


def compile_glob(pattern: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise GlobError(f"{pattern!r} is not a glob: give a pattern such as *.tmp or drafts/**")
    anchored = "/" in pattern.rstrip("/")
    body = pattern.lstrip("/") if anchored else pattern
    if body.endswith("/"):
        body += "**"  # `drafts/` names the folder: everything under it
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = body.find("]", i + 2 if body[i + 1:i + 2] in ("!", "^") else i + 1)
            if end < 0:
                raise GlobError(f"{pattern!r}: '[' opens a character class that is never closed")
            inner = body[i + 1:end]
            negate = inner[:1] in ("!", "^")
            inner = inner[1:] if negate else inner
            out.append("[" + ("^/" if negate else "") + inner.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    regex = "".join(out)
    return re.compile(regex if anchored else f"(?:.*/)?{regex}", re.DOTALL)


@dataclass(frozen=True)
class KeyFilter:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    _inc: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)
    _exc: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, include=None, exclude=None) -> "KeyFilter":
        inc, exc = tuple(include or ()), tuple(exclude or ())
        return cls(inc, exc, tuple(compile_glob(p) for p in inc), tuple(compile_glob(p) for p in exc))

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def selects(self, rel_key: str) -> bool:
        if self._inc and not any(p.fullmatch(rel_key) for p in self._inc):
            return False
        return not any(p.fullmatch(rel_key) for p in self._exc)


def glob_problems(patterns) -> list[str]:
    """What is wrong with each pattern of a list, for a check failure."""
    problems = []
    for pattern in patterns or ():
        try:
            compile_glob(pattern)
        except GlobError as e:
            problems.append(str(e))
    return problems
