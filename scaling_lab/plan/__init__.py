"""Capacity planning: the cheapest configuration that meets a scenario's SLOs.

from scaling_lab.plan import parse_range, search, make_executor
dims = [parse_range("dynamodb.write.provisioned,dynamodb.write.auto_scaling.min=8000:12000:50")]
outcome = search(scenario, system, dims, seeds=list(range(42, 52)), executor=make_executor(None))
outcome.best  # the cheapest candidate passing every seed, or None
"""

from scaling_lab.plan.evaluate import HOURS_PER_MONTH, Trial, run_trial, standing_monthly_usd
from scaling_lab.plan.executor import DaskExecutor, Executor, LocalExecutor, make_executor
from scaling_lab.plan.grid import PassGrid, pass_grid
from scaling_lab.plan.planfile import (
    PlanFile,
    PlanSettings,
    check_dimensions,
    load_plan_file,
    pick_grid,
)
from scaling_lab.plan.render import (
    dump_json,
    plan_json,
    recommended_yaml,
    write_frontier_png,
    write_pass_probability_png,
)
from scaling_lab.plan.search import Candidate, PlanOutcome, pareto, search
from scaling_lab.plan.space import Dimension, parse_choice, parse_range

__all__ = [
    "HOURS_PER_MONTH",
    "Candidate",
    "DaskExecutor",
    "Dimension",
    "Executor",
    "LocalExecutor",
    "PassGrid",
    "PlanFile",
    "PlanOutcome",
    "PlanSettings",
    "Trial",
    "check_dimensions",
    "dump_json",
    "load_plan_file",
    "make_executor",
    "pareto",
    "parse_choice",
    "parse_range",
    "pass_grid",
    "pick_grid",
    "plan_json",
    "recommended_yaml",
    "run_trial",
    "search",
    "standing_monthly_usd",
    "write_frontier_png",
    "write_pass_probability_png",
]
