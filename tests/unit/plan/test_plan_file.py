"""Plan files: a file gives the same plan as the same command line, the command line replaces
the file's single values and extends its lists, and a bad file is one line naming the field
(exit 2, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scaling_lab.cli.main import main
from scaling_lab.plan import PlanFile, PlanSettings

RATE_CAP = Path(__file__).resolve().parents[2] / "fixtures" / "plan" / "rate-cap.yaml"


def _scenario(tmp_path: Path) -> Path:
    path = tmp_path / "rate-cap.yaml"
    path.write_text(RATE_CAP.read_text(encoding="utf-8"), encoding="utf-8")
    return path


GOOD = {
    "system": "staging-no-burst",
    "set": ["lambda.memory_mb=1024"],
    "ranges": [{"paths": ["lambda.reserved_concurrency"], "lo": 10, "hi": 120, "step": 10}],
    "choices": [{"path": "sdk.retry_mode", "values": ["legacy", "standard"]}],
    "seeds": 1,
    "seed": 3,
    "probes": 3,
    "executor": "serial",
}


def test_a_plan_file_gives_the_same_plan_json_as_the_command_line(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    assert main(["plan", str(scenario), "--plan", str(plan), "--out", str(tmp_path / "f")]) == 0
    cli = ["plan", str(scenario), "--system", "staging-no-burst"]
    cli += ["--set", "lambda.memory_mb=1024", "--range", "lambda.reserved_concurrency=10:120:10"]
    cli += ["--choice", "sdk.retry_mode=legacy,standard", "--seeds", "1", "--seed", "3"]
    cli += ["--probes", "3", "--executor", "serial", "--out", str(tmp_path / "c")]
    assert main(cli) == 0
    from_file = (tmp_path / "f" / "plan.json").read_text()
    assert from_file == (tmp_path / "c" / "plan.json").read_text()
    doc = json.loads(from_file)
    assert doc["seeds"] == [3] and len(doc["dimensions"]) == 2
    assert doc["recommended"]["values"]["lambda.reserved_concurrency"] >= 40  # the rate cap


def test_the_command_line_replaces_single_values_and_extends_lists(tmp_path: Path) -> None:
    f = PlanFile.model_validate(GOOD)
    s = PlanSettings.merge(
        f,
        tmp_path / "p.yaml",
        seeds=4,
        executor="local:2",
        ranges=["dynamodb.write.provisioned=100:200:50"],
        overrides=["lambda.memory_mb=2048"],
    )
    assert s.seeds == 4 and s.executor == "local:2" and s.seed == 3 and s.probes == 3
    assert [d.dimension.name for d in s.dimensions] == [
        "lambda.reserved_concurrency",
        "sdk.retry_mode",
        "dynamodb.write.provisioned",
    ]
    assert s.file_set == ("lambda.memory_mb=1024",) and s.cli_set == ("lambda.memory_mb=2048",)
    bare = PlanSettings.merge(None)
    assert (bare.seeds, bare.probes, bare.mode.value, str(bare.out)) == (10, 2, "fast", "plans")


#: (what is wrong, the plan file, what the one error line must hold)
BAD: list[tuple[str, object, str]] = [
    ("unknown key", {**GOOD, "seedz": 3}, "seedz: unknown key"),
    ("not a mapping", ["a"], "expected a mapping at the top"),
    ("paths empty", {"ranges": [{"paths": [], "lo": 1, "hi": 2, "step": 1}]}, "ranges[0].paths:"),
    (
        "path malformed",
        {"ranges": [{"paths": ["lambda..x"], "lo": 1, "hi": 2, "step": 1}]},
        "ranges[0].paths: expected a dotted",
    ),
    (
        "path not in a system file",
        {"ranges": [{"paths": "lambda.nope", "lo": 1, "hi": 2, "step": 1}]},
        "ranges[0].paths: lambda.nope=1: unknown key",
    ),
    (
        "value the system refuses",
        {"ranges": [{"paths": "lambda.reserved_concurrency", "lo": -5, "hi": 2, "step": 1}]},
        "ranges[0].paths: lambda.reserved_concurrency=-5:",
    ),
    (
        "step zero",
        {"ranges": [{"paths": "a.b", "lo": 1, "hi": 2, "step": 0}]},
        "ranges[0].step:",
    ),
    ("hi below lo", {"ranges": [{"paths": "a.b", "lo": 3, "hi": 2, "step": 1}]}, "ranges[0]: hi"),
    (
        "too many values",
        {"ranges": [{"paths": "a.b", "lo": 0, "hi": 1e9, "step": 1}]},
        "ranges[0]: 1,000,000,001 values",
    ),
    (
        "lo not a number",
        {"ranges": [{"paths": "a.b", "lo": "x", "hi": 2, "step": 1}]},
        "ranges[0].lo:",
    ),
    (
        "lo infinite",
        {"ranges": [{"paths": "a.b", "lo": float("inf"), "hi": 2, "step": 1}]},
        "ranges[0].lo:",
    ),
    (
        "range key misspelt",
        {"ranges": [{"paths": "a.b", "lo": 1, "hi": 2, "step": 1, "stpe": 1}]},
        "ranges[0].stpe",
    ),
    ("ranges not a list", {"ranges": {"paths": "a.b"}}, "ranges:"),
    (
        "choice without values",
        {"choices": [{"path": "sdk.retry_mode", "values": []}]},
        "choices[0].values:",
    ),
    (
        "choice value the system refuses",
        {"choices": [{"path": "sdk.retry_mode", "values": ["legacy", "bogus", "standard"]}]},
        "choices[0].paths: sdk.retry_mode=bogus:",
    ),
    ("seeds zero", {"seeds": 0}, "seeds:"),
    ("seeds too many", {"seeds": 1001}, "seeds:"),
    ("seed negative", {"seed": -1}, "seed:"),
    ("pass probability zero", {"min_pass_probability": 0}, "min_pass_probability:"),
    ("pass probability above one", {"min_pass_probability": 1.5}, "min_pass_probability:"),
    ("probes zero", {"probes": 0}, "probes:"),
    ("executor unknown", {"executor": "gpu"}, "executor: expected local"),
    ("mode unknown", {"mode": "slow"}, "mode:"),
    ("grid of one", {"grid": ["reserved"]}, "grid:"),
    (
        "grid names no dimension",
        {**GOOD, "grid": ["reserved_concurrency", "nope"]},
        "bad-plan.yaml: grid: 'nope' is not one of the plan's dimensions",
    ),
    ("set malformed", {"set": ["novalue"]}, "set[0]: 'novalue': expected dotted.path=value"),
    ("set unknown key", {"set": ["lambda.nope=3"]}, "set: lambda.nope: unknown key"),
]


@pytest.mark.parametrize(("what", "doc", "expected"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_plan_file_is_one_line_naming_the_field(
    what: str, doc: object, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _scenario(tmp_path)
    plan = tmp_path / "bad-plan.yaml"
    plan.write_text(yaml.safe_dump(doc), encoding="utf-8")
    args = ["plan", str(scenario), "--plan", str(plan), "--system", "staging-no-burst"]
    code = main([*args, "--executor", "serial", "--seeds", "1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2, (what, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and "Traceback" not in err
    assert expected in lines[0], lines[0]
    assert str(plan) in lines[0]  # names the file
    assert not (tmp_path / "o" / "plan.json").exists()  # refused before any trial ran


def test_a_missing_plan_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", str(_scenario(tmp_path)), "--plan", str(tmp_path / "nope.yaml")])
    assert code == 2 and "--plan" in capsys.readouterr().err
