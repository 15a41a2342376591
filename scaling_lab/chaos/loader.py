"""Load an experiment file with its scenario and system: the method's faults merged into the
scenario's ``faults:`` timeline, every problem one line naming the file and the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaling_lab.chaos.models import Experiment
from scaling_lab.errors import InputError, Problem, ValidationFailed
from scaling_lab.scenario.loader import (
    list_scenario_files,
    load_model,
    load_scenario,
    read_yaml,
    resolve_file,
    scenarios_dir,
)
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.loader import load_system
from scaling_lab.system.models import SystemConfig

__all__ = ["LoadedExperiment", "experiments_dir", "find_experiment", "load_experiment"]


def experiments_dir() -> Path:
    """Where shipped experiments live: ``experiments/`` of the scenarios folder."""
    return scenarios_dir() / "experiments"


def find_experiment(ref: str | Path) -> Path:
    """An experiment by name (``ddb-throttle-storm``) or path."""
    return resolve_file(ref, experiments_dir(), "experiment")


@dataclass(frozen=True)
class LoadedExperiment:
    path: Path
    experiment: Experiment
    scenario_path: Path
    scenario: Scenario  # the scenario file's, with the method's faults on its timeline
    system: SystemConfig

    @property
    def name(self) -> str:
        return self.path.stem


def _with_method(experiment: Experiment, scenario: Scenario, source: str) -> Scenario:
    problems = [
        Problem(
            source,
            f"method[{i}].at",
            f"starts at {a.at_s:g} s, after the load ends ({scenario.duration_s:g} s of "
            f"scenario {scenario.name!r})",
        )
        for i, a in enumerate(experiment.method)
        if a.at_s >= scenario.duration_s
    ]
    if problems:
        raise ValidationFailed(problems)
    faults = [*scenario.faults, *(a.fault() for a in experiment.method)]
    return scenario.model_copy(update={"faults": faults})


def _unknown_scenario(name: str, folder: Path) -> str:
    """The error for a ``scenario:`` that names nothing: the scenarios next to the experiment
    (files with a ``traffic`` section) and the shipped ones, not the experiments beside it."""
    names = {p.stem for p in list_scenario_files()}
    for candidate in folder.glob("*.yaml"):
        try:
            if "traffic" in read_yaml(candidate):
                names.add(candidate.stem)
        except InputError:
            continue  # unreadable: not a candidate
    return f"unknown scenario {name!r}; expected a file path or one of: {', '.join(sorted(names))}"


def load_experiment(ref: str | Path) -> LoadedExperiment:
    """Load an experiment by name or path, then its scenario (named relative to the
    experiment's folder first, then the scenarios folder) and system (the experiment's
    ``system:``, else the scenario's)."""
    path = find_experiment(ref)
    experiment = load_model(path, Experiment)
    try:
        scenario_path = resolve_file(
            experiment.scenario, [path.parent, scenarios_dir()], "scenario", base=path.parent
        )
    except ValidationFailed:
        raise
    except InputError as exc:
        message = str(exc)
        if message.startswith("unknown scenario"):  # list scenarios, not the experiments here
            message = _unknown_scenario(experiment.scenario, path.parent)
        raise ValidationFailed([Problem(str(path), "scenario", message)]) from None
    scenario = load_scenario(scenario_path)
    if experiment.seed is not None:
        scenario = scenario.model_copy(update={"seed": experiment.seed})
    # the experiment's system:, else the scenario's; an unknown one is named where it is given
    ref, named_in = (
        (experiment.system, path)
        if experiment.system is not None
        else (scenario.system, scenario_path)
    )
    try:
        system = load_system(ref, relative_to=named_in)
    except ValidationFailed:
        raise
    except InputError as exc:
        raise ValidationFailed([Problem(str(named_in), "system", str(exc))]) from None
    merged = _with_method(experiment, scenario, str(path))
    return LoadedExperiment(path, experiment, scenario_path, merged, system)
