#!/usr/bin/python3
"""The guide's C++ samples are compiled code: every ```cpp block in docs/guide/*.md and in
README.md must be preceded by a marker line

    <!-- sample: examples/guide/FILE.cpp#NAME -->

and be, word for word, the region of that file between its two `// [NAME]` lines (which
examples/guide/CMakeLists.txt compiles; scripts/install_check.sh builds it against an installed
uvws).

    guide_snippets.py           check: exits 1 naming every block that differs or has no marker
    guide_snippets.py --update  rewrites the blocks from the files
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- sample: (\S+)#(\S+) -->$")


def region(path: str, name: str) -> str:
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == f"// [{name}]"]
    if len(marks) != 2:
        raise SystemExit(f"{path}: expected two '// [{name}]' lines, found {len(marks)}")
    body = lines[marks[0] + 1 : marks[1]]
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return "\n".join(l[indent:] for l in body)


def process(md: pathlib.Path, update: bool) -> list:
    errors = []
    lines = md.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```cpp"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
            if end is None:
                errors.append(f"{md}:{i + 1}: unterminated code block")
                break
            m = MARKER.match(lines[i - 1]) if i else None
            if not m:
                errors.append(f"{md}:{i + 1}: a C++ block without a '<!-- sample: ... -->' line")
                out.extend(lines[i : end + 1])
            else:
                want = region(m.group(1), m.group(2))
                got = "\n".join(lines[i + 1 : end])
                if got != want and not update:
                    errors.append(f"{md}:{i + 1}: differs from {m.group(1)}#{m.group(2)}")
                out.append(line)
                out.extend((want if update else got).splitlines())
                out.append(lines[end])
            i = end + 1
            continue
        out.append(line)
        i += 1
    if update:
        md.write_text("\n".join(out) + "\n", encoding="utf-8")
    return errors


def main() -> None:
    update = "--update" in sys.argv[1:]
    errors = []
    files = sorted((ROOT / "docs" / "guide").glob("*.md")) + [ROOT / "README.md"]
    for md in files:
        errors += process(md, update)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"guide samples: {len(files)} pages checked (docs/guide, README.md)")


if __name__ == "__main__":
    main()
