#!/usr/bin/python3
"""Doxygen INPUT_FILTER: reads a uvws header and writes it with its comments as Doxygen sees them.

The headers are commented in plain `//` sentences (the project's style); this filter lets Doxygen
take them as documentation without a second comment syntax in the sources:
  - the comment block at the top of the file (before #pragma once) documents the file (@file);
  - a block of `//` lines becomes `///`, documenting the declaration that follows it;
  - inside a class, a comment followed by overloads of one name with no blank line between
    them documents them all (a Doxygen member group, with DISTRIBUTE_GROUP_DOC);
  - a trailing `// text` after a declaration on the same line becomes `///< text`;
  - `#word` in a comment is escaped (the headers quote ABNF, where 1#element is a list).
Line numbers are kept (group markers share existing lines), so Doxygen's warnings point at the
right header line.
"""
import re
import sys

COMMENT = re.compile(r"^(\s*)//(?!/)\s?(.*)$")
TRAILING = re.compile(r"^(\s*[^/\s].*?[;,{])(\s+)//(?![/<])\s?(.*)$")
ACCESS = re.compile(r"^\s*(public|private|protected):")


def indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def member_starts(lines, start, ind):
    """The lines from `start` that begin declarations at indentation `ind`, up to the end of the
    run (a blank line, a comment, an access specifier, or a line indented less)."""
    starts, i, depth = [], start, 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or COMMENT.match(line) or ACCESS.match(line) or indent(line) < ind:
            break
        if depth == 0 and indent(line) == ind:
            starts.append(i)
        depth += line.count("{") - line.count("}") + line.count("(") - line.count(")")
        i += 1
    return starts, i


def text(comment: str) -> str:
    """Comment text as Doxygen should read it: `#word` is not a link (ABNF's 1#element)."""
    return re.sub(r"#(?=\w)", r"\\#", comment)


def name_of(line: str):
    """The name a declaration line declares (a function's), or None."""
    m = re.search(r"(~?\w+)\s*\(", line)
    return m.group(1) if m else None


def convert(lines):
    out = list(lines)
    n = len(lines)
    in_header = True
    i = 0
    while i < n:
        line = lines[i]
        m = COMMENT.match(line)
        if in_header:
            if m:
                out[i] = f"/// {text(m.group(2))}\n"
                i += 1
                continue
            in_header = False
            if line.startswith("#pragma once"):
                out[i] = "/// @file\n"  # closes the file comment, on the pragma's line
                i += 1
                continue
        if m:
            first = i
            while i < n and COMMENT.match(lines[i]) and indent(lines[i]) == indent(line):
                c = COMMENT.match(lines[i])
                out[i] = f"{c.group(1)}/// {text(c.group(2))}\n"
                i += 1
            ind = indent(line)
            if ind > 0 and i < n and indent(lines[i]) == ind:
                starts, end = member_starts(lines, i, ind)
                names = {name_of(lines[k]) for k in starts}
                if len(starts) > 1 and len(names) == 1 and None not in names:
                    # Overloads under one comment: one member group, on lines that exist.
                    # The group opens before the comment: on the line above it (a blank line,
                    # or the end of a declaration or access specifier).
                    out[first - 1] = out[first - 1].rstrip("\n") + " /** @{ */\n"
                    out[end - 1] = out[end - 1].rstrip("\n") + " /** @} */\n"
                    i = end
            continue
        t = TRAILING.match(line)
        if t:
            out[i] = f"{t.group(1)}{t.group(2)}///< {text(t.group(3))}\n"
        i += 1
    return [l if l.endswith("\n") else l + "\n" for l in out]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.readlines()
    sys.stdout.write("".join(convert(lines)))


if __name__ == "__main__":
    main()
