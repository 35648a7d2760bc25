"""Packaging: what pyproject.toml declares exists, and module and function sizes stay readable."""

from __future__ import annotations

import ast
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simtrials"


def test_declared_package_files_exist():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = config["tool"]["setuptools"]["package-data"]["simtrials"]
    for name in declared:
        if not any(ch in name for ch in "*?["):  # globs name built data (``_data/*``)
            assert (PACKAGE / name).is_file(), f"pyproject.toml declares {name}, which is missing"


def test_every_package_folder_is_a_package():
    for folder in PACKAGE.rglob("*"):
        if folder.is_dir() and any(folder.glob("*.py")) and "__pycache__" not in folder.parts:
            assert (folder / "__init__.py").is_file(), f"{folder} lacks __init__.py"


STAGES = ["trial_index.py", "cli", "search", "index", "plot", "persist.py"]


def test_the_refactored_modules_stay_small():
    """No module over 450 lines; no function over 80 with its docstring (simtrials/README.md)."""
    files = [
        p
        for s in STAGES
        for p in ([PACKAGE / s] if s.endswith(".py") else (PACKAGE / s).glob("*.py"))
    ]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 450, f"{path.name}: {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= 80, f"{path.name}:{node.name} is {length} lines"
