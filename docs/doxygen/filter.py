#!/usr/bin/python3
"""Doxygen INPUT_FILTER: reads a uvws header and writes it with its comments as Doxygen sees them.

The headers are commented in plain `//` sentences (the project's style); this filter lets Doxygen
take them as documentation without a second comment syntax in the sources:
  - the comment block at the top of the file (before #pragma once) becomes the file's
    documentation (@file);
  - a block of `//` lines becomes `///`, documenting the declaration that follows it;
  - a trailing `// text` after a declaration on the same line becomes `///< text`.
Line numbers are kept, so Doxygen's warnings point at the right header line.
"""
import re
import sys

COMMENT = re.compile(r"^(\s*)//(?!/)\s?(.*)$")
TRAILING = re.compile(r"^(\s*[^/\s].*?[;,{])(\s+)//(?![/<])\s?(.*)$")


def convert(lines):
    out = []
    in_header = True  # the file comment, up to #pragma once
    for line in lines:
        m = COMMENT.match(line)
        if in_header:
            if m:
                out.append(f"/// {m.group(2)}\n")
                continue
            if line.startswith("#pragma once"):
                # Same line count: the pragma's line closes the file comment with @file.
                out.append("/// @file\n")
                in_header = False
                continue
            in_header = False
        if m:
            out.append(f"{m.group(1)}/// {m.group(2)}\n")
            continue
        t = TRAILING.match(line)
        if t:
            out.append(f"{t.group(1)}{t.group(2)}///< {t.group(3)}\n")
            continue
        out.append(line if line.endswith("\n") else line + "\n")
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.readlines()
    sys.stdout.write("".join(convert(lines)))


if __name__ == "__main__":
    main()
