"""The README's code map is generated from the package docstrings and must be current."""

import subprocess
import sys

from helpers.infra.paths import REPO_ROOT


def test_code_map_is_current():
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "code_map.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
