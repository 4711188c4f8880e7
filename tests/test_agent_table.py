"""The agent table, its CLI, and the rule that every config field cites its source."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

from wmagents.__main__ import main
from wmagents.agents import AGENT_TABLE, PLANNER_TABLE, get_agent

# a citation: a paper location (section, table, equation, appendix, algorithm, figure), the
# released code, or a decision of this project that says why
CITATION = re.compile(r"(our choice: \S|Table \d|Sec\. ?\d|Section \d|eq\. ?\d|App\. [A-Z]|"
                      r"\bA\.\d|Algorithm \d|Figure \d|released .*code|\bcode\b)")


def config_classes():
    """Every ``*Config`` dataclass defined in the agent side of wmagents."""
    found = {}
    for package in ("agents", "models", "nn", "planners"):
        module = importlib.import_module(f"wmagents.{package}")
        for info in pkgutil.iter_modules(module.__path__):
            sub = importlib.import_module(f"wmagents.{package}.{info.name}")
            for name, cls in vars(sub).items():
                if (name.endswith("Config") and dataclasses.is_dataclass(cls)
                        and cls.__module__ == sub.__name__):
                    found[f"{sub.__name__}.{name}"] = cls
    return found


def field_comments(cls) -> dict[str, str]:
    """``{field: trailing comment}`` for the fields a class defines itself."""
    source = inspect.getsourcelines(cls)[0]
    comments = {}
    for node in ast.parse(textwrap.dedent("".join(source))).body[0].body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            line = source[node.lineno - 1]
            comments[node.target.id] = line.partition("#")[2].strip() if "#" in line else ""
    return comments


CONFIGS = config_classes()


def test_the_scan_finds_every_agent_config():
    names = {cls.__name__ for cls in CONFIGS.values()}
    assert {entry.config for entry in AGENT_TABLE + PLANNER_TABLE} <= names
    assert {"CEMConfig", "WorldModelConfig"} <= names


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_config_field_cites_its_source(name):
    uncited = {field: comment for field, comment in field_comments(CONFIGS[name]).items()
               if not CITATION.search(comment)}
    assert not uncited, f"{name}: fields without a source comment: {uncited}"


def test_the_citation_rule_fails_an_uncited_field():
    @dataclasses.dataclass
    class ToyConfig:
        lr: float = 1e-3          # Table 2: learning rate
        width: int = 64           # a good size
        depth: int = 2

    assert {f for f, c in field_comments(ToyConfig).items() if not CITATION.search(c)} == \
        {"width", "depth"}


def test_rows_are_unique_and_name_real_modules_and_configs():
    names = [entry.name for entry in AGENT_TABLE + PLANNER_TABLE]
    assert len(names) == len(set(names))
    for entry in AGENT_TABLE:
        assert hasattr(entry.load(), "make_agent") and dataclasses.is_dataclass(entry.config_class())
        assert entry.paper and entry.source
        assert set(entry.observations) <= {"vector", "image", "goal"}
        assert set(entry.actions) <= {"box", "discrete"}
    for entry in PLANNER_TABLE:
        assert hasattr(entry.load(), "make_planner") and not hasattr(entry.load(), "make_agent")
    with pytest.raises(KeyError, match="known"):
        get_agent("dreamerv9")


def test_cli_lists_every_agent_with_its_paper(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for entry in AGENT_TABLE + PLANNER_TABLE:
        line = next(row for row in out.splitlines() if row.startswith(entry.name + " "))
        assert entry.module in line and entry.source in line


def test_agent_side_never_imports_the_harness():
    offenders = []
    for package in ("agents", "models", "nn", "planners"):
        root = importlib.import_module(f"wmagents.{package}").__path__[0]
        for path in sorted(Path(root).rglob("*.py")):
            if re.search(r"^\s*(from|import) wmagents\.harness", path.read_text(), re.M):
                offenders.append(str(path))
    assert offenders == []
