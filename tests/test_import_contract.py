"""The rooms' import direction (pyproject.toml, run by `make lint`) holds on this tree,
and an upward import added anywhere breaks it with the offending line named."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def tree_copy(tmp_path):
    for package in ("provenance", "evidence"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_the_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout
    assert "Contracts: 1 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("provenance/teams/rules.py", "provenance.claims.models"),
        ("evidence/selectors.py", "provenance.claims.selectors"),
        ("provenance/claims/services.py", "provenance.publishing.webhooks"),
        ("provenance/common/dates.py", "provenance.teams.models"),
        ("provenance/teams/rules.py", "provenance.audit.chain"),
        ("provenance/audit/chain.py", "provenance.accounts.identity"),
    ],
)
def test_an_upward_import_breaks_it(tree_copy, module, upward):
    path = tree_copy / module
    lines = path.read_text().splitlines()
    line_number = len(lines) + 1
    path.write_text("\n".join([*lines, f"import {upward}  # noqa"]) + "\n")

    result = lint_imports(tree_copy)

    assert result.returncode == 1
    assert "Contracts: 0 kept, 1 broken." in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert f"- {importer} -> {upward} (l.{line_number})" in result.stdout
