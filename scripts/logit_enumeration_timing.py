"""Logit enumeration with the vectorized entry screen vs the per-profile check it replaced.

Writes reports/logit-enumeration.md. Run from the repository root:
    .venv/bin/python scripts/logit_enumeration_timing.py
The old path (exact welfare and game.is_equilibrium for every count vector) is timed on the first
2,000 profiles and extrapolated to all of them; the new path is timed in full.
"""

from __future__ import annotations

import platform
import sys
import time

from milp_market import game
from milp_market.enumeration import count_vectors, enumerate_profiles
from milp_market.generators import generate

SIZES = [(10, 20, 3), (20, 40, 5), (30, 40, 6)]


def main() -> None:
    rows = []
    for fam in ("specialist", "uniform"):
        for M, K, N in SIZES:
            for seed in range(2):
                inst = generate(fam, M, K, N, seed, choice="softmax", beta=5)
                t = time.perf_counter()
                res = enumerate_profiles(inst)
                new = time.perf_counter() - t
                sample = next(count_vectors(M, N, 2000))
                t = time.perf_counter()
                for c in sample:
                    game.welfare(inst, c)
                    game.is_equilibrium(inst, c)
                old = (time.perf_counter() - t) / len(sample) * res.profiles_total
                rows.append(
                    f"| {fam}@logit5 | {M},{K},{N} | {seed} | {res.profiles_total:,} | {new:.3g} | ~{old:.3g} | "
                    f"{old / new:.0f} | {len(res.equilibria)} |"
                )
                print(rows[-1], file=sys.stderr, flush=True)
    text = "\n".join(
        [
            "# Logit enumeration: vectorized entry screen vs per-profile check",
            "",
            "Regenerate with: `.venv/bin/python scripts/logit_enumeration_timing.py` (from the repository root).",
            "",
            f"Python {platform.python_version()}, {platform.machine()}. Complete enumeration of every count vector "
            "under logit choice (beta 5), with `enumeration._batch_screen_logit` (entry payoffs against the whole "
            "profile, vectorized over batches; survivors checked by `game.is_equilibrium`), against the path it "
            "replaced (exact welfare and `game.is_equilibrium` for every profile; timed on 2,000 profiles and "
            "extrapolated, marked ~). Both give the same equilibria and social optimum (tests/test_softmax.py "
            "checks the screen against brute force on 96 instances, beta 0.5 to 1e4).",
            "",
            "| family | M,K,N | seed | profiles | screened s | per-profile s | speed-up | equilibria |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    with open("reports/logit-enumeration.md", "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
