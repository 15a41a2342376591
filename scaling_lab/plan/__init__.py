"""Capacity planning: the cheapest configuration that meets a scenario's SLOs.

from scaling_lab.plan import parse_range, search, make_executor
dims = [parse_range("dynamodb.write.provisioned,dynamodb.write.auto_scaling.min=8000:12000:50")]
outcome = search(scenario, system, dims, seeds=list(range(42, 52)), executor=make_executor(None))
outcome.best  # the cheapest candidate passing every seed, or None
"""

from scaling_lab.plan.evaluate import HOURS_PER_MONTH, Trial, run_trial, standing_monthly_usd
from scaling_lab.plan.executor import DaskExecutor, Executor, LocalExecutor, make_executor
from scaling_lab.plan.render import dump_json, plan_json, recommended_yaml, write_frontier_png
from scaling_lab.plan.search import Candidate, PlanOutcome, pareto, search
from scaling_lab.plan.space import Dimension, parse_choice, parse_range

__all__ = [
    "HOURS_PER_MONTH",
    "Candidate",
    "DaskExecutor",
    "Dimension",
    "Executor",
    "LocalExecutor",
    "PlanOutcome",
    "Trial",
    "dump_json",
    "make_executor",
    "pareto",
    "parse_choice",
    "parse_range",
    "plan_json",
    "recommended_yaml",
    "run_trial",
    "search",
    "standing_monthly_usd",
    "write_frontier_png",
]
