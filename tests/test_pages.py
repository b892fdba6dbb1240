"""The pages of formulations/ and the code name each other (formulations/README.md): every page is
in the index, every module a page names exists, and every quoted section that the code cites as
``formulations/PAGE.md, "Section"`` starts a heading of that page."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "formulations").glob("*.md"))
CITE = re.compile(r'(?:formulations/)?([a-z_]+\.md),\s*"([^"]+)"')


def headings(page: Path) -> list[str]:
    return [line.lstrip("#").strip() for line in page.read_text().splitlines() if line.startswith("#")]


def test_every_page_is_in_the_index():
    index = (ROOT / "formulations" / "README.md").read_text()
    missing = [p.name for p in PAGES if p.name != "README.md" and f"]({p.name})" not in index]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_named_modules_exist(page):
    named = set(re.findall(r"`(milp_market/[\w/]+\.py)`", page.read_text()))
    assert [m for m in sorted(named) if not (ROOT / m).is_file()] == []


def test_cited_sections_exist():
    # a citation names a section by a prefix of its heading: "Progress" for "Progress: the tree
    # weight (`SearchResult.tree_weight`)"
    wrong = []
    files = [*ROOT.glob("milp_market/**/*.py"), *ROOT.glob("scripts/*.py"), ROOT / "README.md"]
    for path in files:
        text = path.read_text()
        for page, section in CITE.findall(text.replace("\n#:", " ").replace("\n    ", " ").replace("\n", " ")):
            target = ROOT / "formulations" / page
            if not target.is_file():
                continue  # e.g. reports/*.md, cited elsewhere with their own paths
            section = " ".join(section.split())
            if not any(h.startswith(section) for h in headings(target)):
                wrong.append(f"{path.relative_to(ROOT)}: {page}, {section!r}")
    assert wrong == []
