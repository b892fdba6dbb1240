"""The pages of formulations/ and the code name each other (formulations/README.md): every page is
in the index, every module a page names exists, and every quoted section that the code, the
scripts, the README or a page cites as ``formulations/PAGE.md, "Section"`` (or ``PAGE.md,
"Section"``) starts a heading of that page."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "formulations").glob("*.md"))
# a page named with its folder, or a bare page name not inside another path (reports/entry.md)
CITE = re.compile(r'(?:(?<=formulations/)|(?<![/\w.-]))([A-Za-z_]+\.md),\s*"([^"]+)"')


def headings(page: Path) -> list[str]:
    out, fenced = [], False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif line.startswith("#") and not fenced:
            out.append(line.lstrip("#").strip())
    return out


def starts(heading: str, section: str) -> bool:
    # "Progress" cites "Progress: the tree weight (...)"; "Lemma 5" must not cite "Lemma 50"
    return heading == section or (heading.startswith(section) and not heading[len(section)].isalnum())


def test_every_page_is_in_the_index():
    index = (ROOT / "formulations" / "README.md").read_text()
    missing = [p.name for p in PAGES if p.name != "README.md" and f"]({p.name})" not in index]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_named_modules_exist(page):
    named = set(re.findall(r"`(milp_market/[\w/]+\.py)`", page.read_text()))
    assert [m for m in sorted(named) if not (ROOT / m).is_file()] == []


def test_cited_sections_exist():
    wrong, checked = [], 0
    files = [*ROOT.glob("milp_market/**/*.py"), *ROOT.glob("scripts/*.py"), ROOT / "README.md", *PAGES]
    for path in files:
        # a citation may be broken over lines (comments, docstrings): join them
        text = re.sub(r"\n\s*(#:?)?\s*", " ", path.read_text())
        for m in CITE.finditer(text):
            page, section = m.group(1), " ".join(m.group(2).split())
            prefixed = text[max(0, m.start() - 13) : m.start()].endswith("formulations/")
            if not section:
                continue  # '(search.md, "' + '"Progress...' split across string literals
            if page == "README.md" and not prefixed:
                continue  # the top-level README's own sections are not pages of formulations/
            target = ROOT / "formulations" / page
            if not target.is_file():
                continue
            checked += 1
            if not any(starts(h, section) for h in headings(target)):
                wrong.append(f"{path.relative_to(ROOT)}: {page}, {section!r}")
    assert wrong == [] and checked >= 40
