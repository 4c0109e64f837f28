"""Fills the catalogue tables of docs/hardening.md from a run of the hardening tests:
    doc_tables.py BUILD/tests/hardening docs/hardening.md
Each section named below gets the rows of its table-CATEGORY.md (written by bad_inputs.sh),
with the test's work directory removed from paths, and a row "X (run)" followed by "X (run
--dry-run)" with the same status and line shown once, as "X". Other sections are left as
they are."""
import os
import sys

SECTIONS = {"## Command line": "cli", "## Job files": "jobs", "## MNIST": "mnist",
            "## Results files": "results", "## Paths": "paths", "## Writers": "writers"}


def rows(tables, cat):
    text = open(os.path.join(tables, "table-%s.md" % cat)).read()
    root = os.path.realpath(tables) + "/"
    out = []
    for line in text.splitlines():
        if not line.startswith("| "):
            continue
        line = line.replace(root, "")
        label, rest = line[2:].split(" | ", 1)
        if out and label.endswith(" (run --dry-run)"):
            prev_label, prev_rest = out[-1][2:].split(" | ", 1)
            if prev_label == label[:-len(" (run --dry-run)")] + " (run)" and prev_rest == rest:
                out[-1] = "| %s | %s" % (prev_label[:-len(" (run)")], rest)
                continue
        out.append(line)
    return out


def main():
    tables, page = sys.argv[1], sys.argv[2]
    out, cat = [], None
    for line in open(page).read().splitlines():
        if line.startswith("## "):
            cat = next((c for h, c in SECTIONS.items() if line.startswith(h)), None)
        if cat and line.startswith("| ") and not line.startswith("| input") and \
                not line.startswith("| ---"):
            continue  # an old row
        out.append(line)
        if cat and line.startswith("| ---"):
            out.extend(rows(tables, cat))
    open(page, "w").write("\n".join(out) + "\n")


main()
