"""Rendering scenarios into k6 scripts: golden files plus the rules behind them.

A golden file holds what a scenario decides in its script (the CONFIG and options objects);
the rest of the script is the template, verbatim. Regenerate the golden files after an
intended change with SCALING_LAB_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from load_helpers import FIXTURES, ROOT

from scaling_lab.load.script import k6_thresholds, render_script, vu_sizing
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system

GOLDEN = FIXTURES / "golden"
CASES = {
    "smoke": (ROOT / "scenarios" / "smoke.yaml", 1.0),
    "mixed-x0.02": (ROOT / "scenarios" / "mixed.yaml", 0.02),
    "ci-spike": (ROOT / "scenarios" / "ci-spike.yaml", 1.0),
    "ack-mix": (FIXTURES / "ack-mix.yaml", 1.0),
}


def render(name: str) -> str:
    path, scale = CASES[name]
    sc = load_scenario(path).scaled(scale)
    return render_script(sc, load_system("staging"))


_CONFIG = re.compile(r"const CONFIG = (\{.*?\n\});", re.S)
_OPTIONS = re.compile(r"export const options = (\{.*?\n\});", re.S)


def options_of(script: str) -> dict:
    m = _OPTIONS.search(script)
    assert m
    return json.loads(m.group(1))


def config_of(script: str) -> dict:
    m = _CONFIG.search(script)
    assert m
    return json.loads(m.group(1))


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    text = render(name)
    decided = {"config": config_of(text), "options": options_of(text)}
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("SCALING_LAB_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(decided, indent=2) + "\n", encoding="utf-8")
    assert decided == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rest_of_the_script_is_the_template(name):
    from importlib import resources

    template = resources.files("scaling_lab.load").joinpath("k6_script.js").read_text("utf-8")
    text = _OPTIONS.sub("export const options = /*@OPTIONS@*/;", render(name))
    assert _CONFIG.sub("const CONFIG = /*@CONFIG@*/;", text) == template


def test_one_open_model_executor_per_endpoint_with_its_share():
    opts = options_of(render("mixed-x0.02"))
    post, inbox = opts["scenarios"]["post_events"], opts["scenarios"]["get_inbox"]
    assert {post["executor"], inbox["executor"]} == {"ramping-arrival-rate"}
    # mixed: 0 -> 1000/s over 30 s, hold 2 min; x0.02 = 20/s, split 80/20
    assert [s["target"] for s in post["stages"]] == [16, 16]
    assert [s["target"] for s in inbox["stages"]] == [4, 4]
    assert post["stages"][0]["duration"] == "30s" and post["stages"][1]["duration"] == "120s"


def test_a_step_is_a_zero_length_stage():
    post = options_of(render("ci-spike"))["scenarios"]["post_events"]
    assert post["startRate"] == 100
    assert post["stages"] == [
        {"duration": "30s", "target": 100},
        {"duration": "0s", "target": 5000},
        {"duration": "60s", "target": 5000},
        {"duration": "0s", "target": 100},
        {"duration": "60s", "target": 100},
    ]


def test_fractional_rates_use_a_per_minute_unit():
    ack = options_of(render("ack-mix"))["scenarios"]["ack"]
    assert ack["timeUnit"] == "1m"
    assert ack["stages"][-1]["target"] == 90  # 1.5 req/s


def test_thresholds_use_k6_metrics_and_the_scenario_tag():
    sc = load_scenario(FIXTURES / "ack-mix.yaml")
    assert k6_thresholds(sc) == {
        "http_req_duration{phase:load}": ["p(95)<200"],
        "http_req_failed{phase:load}": ["rate<0.01"],
        "http_reqs{scenario:ack}": ["count>10"],
    }
    smoke = k6_thresholds(load_scenario(ROOT / "scenarios" / "smoke.yaml"))
    assert smoke["http_req_duration{scenario:post_events}"] == [
        "p(95)<100",
        "p(99)<300",
        "max<5000",
    ]
    assert smoke["http_req_failed{scenario:post_events}"] == ["rate<0.001"]


def test_vus_follow_littles_law_with_headroom():
    # 10,000 req/s x 68 ms = 680 busy; x2 headroom = 1,360 pre-allocated, x4 max
    v = vu_sizing(10_000, 68.0)
    assert (v.preallocated, v.maximum) == (1360, 5440)
    # a spike to 250 req/s: max covers a 500 ms mean latency (125) or x4 (136)
    assert vu_sizing(250, 68.0).maximum == 136
    assert vu_sizing(250, 10.0).maximum == 125
    assert vu_sizing(1, 10.0).preallocated == 2


def test_script_holds_no_secret_nor_target(monkeypatch):
    monkeypatch.setenv("SCALING_LAB_API_KEY", "slk_secret_key_value")
    text = render("smoke")
    assert "slk_secret" not in text
    assert "http://" not in text and "https://" not in text
    assert "__ENV.SL_API_KEYS" in text and "__ENV.SL_BASE_URL" in text


@pytest.mark.parametrize("name", sorted(CASES))
def test_k6_accepts_the_rendered_script(name, tmp_path):
    """k6 itself parses the script and its options (no requests: ``k6 inspect``)."""
    import subprocess

    from scaling_lab.load.k6bin import find_k6

    script = tmp_path / "script.js"
    script.write_text(render(name), encoding="utf-8")
    proc = subprocess.run(
        [
            find_k6().path,
            "inspect",
            "-e",
            "SL_BASE_URL=http://127.0.0.1:9",
            "--execution-requirements",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    path, _scale = CASES[name]
    assert info["totalDuration"]  # k6 computed the schedule
    assert set(info["scenarios"]) == {e.value for e in load_scenario(path).mix.fractions()}
