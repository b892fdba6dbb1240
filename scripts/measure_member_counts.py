"""Rule 16 (formulations/search.md, "Rules 7-16": per-member bounds on the counts): the support search with and
without it, one thread, 60 s limit, on the real tables at several numbers of platforms and on a few
generated instances. Prints the rows of the page's table.

Run from the repository root: ``.venv/bin/python scripts/measure_member_counts.py`` (about 9 minutes).
"""

import dataclasses

from milp_market.generators import generate
from milp_market.instance import load_instance
from milp_market.search import RULE_MEMBER_COUNTS, RULES, SupportSearch

cases = []
for name, Ns in [("arena_explorer_topics", (10, 20, 30, 100)), ("arena_explorer_topics_no_leader", (10, 30, 100)), ("wildbench_tasks", (10, 30, 100)),
                 ("lmarena_categories", (10, 30, 100)), ("lmarena_full", (10, 30, 100)), ("livebench_tasks", (10, 20, 30, 40, 50))]:
    base = load_instance(f"instances/{name}.json")
    for N in Ns:
        cases.append((f"{name} N={N}", dataclasses.replace(base, platforms=N)))
for fam, shape, seed in [("uniform", (30, 40, 6), 0), ("ties", (30, 40, 6), 0), ("ties", (30, 40, 6), 1), ("uniform", (50, 100, 8), 0), ("specialist", (50, 100, 8), 0)]:
    cases.append((f"{fam} {shape} seed {seed}", generate(fam, *shape, seed)))
SupportSearch(cases[0][1]).run(time_limit=1, threads=1)
for label, inst in cases:
    row = [label]
    for rules in (RULES & ~RULE_MEMBER_COUNTS, RULES):
        best = None
        for rep in range(2):
            r = SupportSearch(inst, rules=rules).run(time_limit=60, threads=1)
            if best is None or r.seconds < best.seconds:
                best = r
            if r.seconds > 2:
                break
        r = best
        st = ("none" if not r.equilibria else f"{len(r.equilibria)} eq") if r.complete else f"unknown, weight {r.tree_weight:.3f}"
        row.append(f"{r.seconds:.3f} s, {r.nodes:,} nodes, {r.profiles_checked:,} vectors, {st}")
    print(" | ".join(row), flush=True)
