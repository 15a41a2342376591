"""k6 load generation: script rendering, the k6 runner, streaming aggregation into a RunResult.

from scaling_lab.load import run_scenario
run = run_scenario(scenario, system, target="local", scale=0.2, out_dir=Path("runs"))
run.result   # RunResult, kind observed          run.path   # its JSON file
"""

from scaling_lab.load.aggregate import K6CsvAggregator, LiveSnapshot, LiveStats
from scaling_lab.load.k6bin import K6Binary, find_k6
from scaling_lab.load.plan import LoadPlan, check_plan, looks_like_production, make_plan
from scaling_lab.load.runner import LoadRun, prepare, run_load, run_scenario
from scaling_lab.load.script import k6_thresholds, render_script, vu_sizing

__all__ = [
    "K6Binary",
    "K6CsvAggregator",
    "LiveSnapshot",
    "LiveStats",
    "LoadPlan",
    "LoadRun",
    "check_plan",
    "find_k6",
    "k6_thresholds",
    "looks_like_production",
    "make_plan",
    "prepare",
    "render_script",
    "run_load",
    "run_scenario",
    "vu_sizing",
]
