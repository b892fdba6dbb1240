"""ruff passes on the package, the tests and the scripts (configuration in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_passes():
    # ruff is a test dependency (pyproject.toml, [test]); run it as a module when the script is
    # not on PATH (a venv that is not activated)
    cmd = [shutil.which("ruff")] if shutil.which("ruff") else [sys.executable, "-m", "ruff"]
    out = subprocess.run([*cmd, "check", "milp_market", "tests", "scripts"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
