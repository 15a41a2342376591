"""``chaos run --target URL``: k6 load against a staging URL (the same plan, safety rules and
result as ``run``) while AWS FIS injects the method's faults.

Before any load: the plan's template, runbooks and alarms are built (:mod:`scaling_lab.chaos.fis`)
and what the runbooks restore is checked against what is deployed (a runbook puts back the
system file's values, so they must be the deployed ones); then the alarms, the runbooks
(``ssm.create_document``) and the template are created. The experiment is started with
``fis.start_experiment`` when the load reaches the method's first start and read with
``fis.get_experiment`` every few seconds. A stop condition stops the load: FIS's own (its
alarm fired: the experiment is ``stopped``) or one of the experiment's, judged second by
second on the observed series as on the local stack; the rollbacks stop the experiment
(``fis.stop_experiment``: every runbook's cancel step restores) and wait for it to end. The
hypothesis is judged per phase on the observed series, as for the other targets.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from scaling_lab.chaos.fis import FisPlan
from scaling_lab.chaos.loader import LoadedExperiment
from scaling_lab.chaos.local_target import Step, Stops, observed_outcome, timed_activity
from scaling_lab.chaos.models import ActionKind
from scaling_lab.chaos.outcome import ActivityRun, ChaosOutcome
from scaling_lab.errors import EnvironmentProblem, InputError, Problem, ValidationFailed
from scaling_lab.jsontypes import JsonObject
from scaling_lab.load.abort import Aborted
from scaling_lab.load.hooks import LiveRun, RunHooks
from scaling_lab.load.runner import run_load
from scaling_lab.load.target import Target

if TYPE_CHECKING:
    from boto3.session import Session

__all__ = ["FisDriver", "check_deployed", "run_on_url"]

#: How often the experiment's state is read while the load goes.
POLL_S = 5.0
#: How long the rollback waits for a stopped experiment to end (its runbooks restore).
STOP_WAIT_S = 120.0
TERMINAL = ("completed", "stopped", "failed", "cancelled")


def _client_error(exc: Exception) -> str:
    """A botocore error in one line: a service's code and message, else its own text."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'error')}: {err.get('Message', '')}".strip()
    return str(exc)


def _aws(what: str, call: Callable[[], Any]) -> Any:
    """``call()``; an AWS error becomes one line saying what failed."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except (ClientError, BotoCoreError) as exc:
        raise EnvironmentProblem(f"{what}: {_client_error(exc)}") from None


def check_deployed(loaded: LoadedExperiment, plan: FisPlan, session: Session) -> None:
    """Refuse, one line per difference, when what a runbook restores is not what is deployed:
    the table's and its indexes' provisioned capacity, the function's timeout and reserved
    concurrency, a queue or table with a resource policy of its own (a runbook's restore
    removes the policy it put)."""
    from botocore.exceptions import ClientError

    system = loaded.system
    source = str(loaded.path)
    problems: list[Problem] = []
    kinds = {(a.kind, a.target) for a in plan.runbook_actions(loaded.experiment.method)}
    if not kinds:
        return
    function = plan.function_name
    ddb_client = session.client("dynamodb")
    table = functools.cache(
        lambda: _aws(
            f"DescribeTable {system.dynamodb.table}",
            lambda: ddb_client.describe_table(TableName=system.dynamodb.table),
        )["Table"]
    )

    def differs(field_: str, what: str, deployed: object, expected: object) -> None:
        if deployed != expected:
            problems.append(
                Problem(
                    source,
                    field_,
                    f"{what} is {deployed} deployed but {expected} in the system file; the "
                    "runbook would restore the system file's value",
                )
            )

    storm = [t for k, t in kinds if k is ActionKind.THROTTLE_STORM]
    if any(t in ("dynamodb", "all") for t in storm):
        ddb = system.dynamodb
        assert ddb.write is not None and ddb.read is not None
        tp = table().get("ProvisionedThroughput", {})
        differs(
            "dynamodb.write.provisioned",
            "WriteCapacityUnits",
            tp.get("WriteCapacityUnits"),
            int(ddb.write.provisioned),
        )
        differs(
            "dynamodb.read.provisioned",
            "ReadCapacityUnits",
            tp.get("ReadCapacityUnits"),
            int(ddb.read.provisioned),
        )
        deployed = {g["IndexName"]: g for g in table().get("GlobalSecondaryIndexes", [])}
        for g in ddb.gsis:
            got = deployed.get(g.name, {}).get("ProvisionedThroughput", {})
            differs(
                f"dynamodb.gsis[{g.name}]",
                f"index {g.name} WriteCapacityUnits",
                got.get("WriteCapacityUnits"),
                int((g.write or ddb.write).provisioned),
            )
            differs(
                f"dynamodb.gsis[{g.name}]",
                f"index {g.name} ReadCapacityUnits",
                got.get("ReadCapacityUnits"),
                int(ddb.read.provisioned),
            )
    lam = session.client("lambda")
    if any(t in ("lambda", "all") for t in storm) and function is not None:
        got = _aws(
            f"GetFunctionConcurrency {function}",
            lambda: lam.get_function_concurrency(FunctionName=function),
        )
        differs(
            "lambda.reserved_concurrency",
            "reserved concurrency",
            got.get("ReservedConcurrentExecutions"),
            system.lambda_.reserved_concurrency,
        )
    if any(k is ActionKind.COLD_START_STORM for k, _ in kinds) and function is not None:
        conf = _aws(
            f"GetFunctionConfiguration {function}",
            lambda: lam.get_function_configuration(FunctionName=function),
        )
        differs(
            "lambda.timeout",
            "the function's timeout (s)",
            conf.get("Timeout"),
            int(system.lambda_.timeout_s),
        )
    sqs_down = any(
        k is ActionKind.SQS_UNAVAILABLE
        or (k in (ActionKind.BACKEND_UNREACHABLE, ActionKind.BACKEND_RESTART) and t == "sqs")
        for k, t in kinds
    )
    if sqs_down:
        sqs = session.client("sqs")
        url = _aws(
            f"GetQueueUrl {system.sqs.queue}", lambda: sqs.get_queue_url(QueueName=system.sqs.queue)
        )["QueueUrl"]
        attrs = _aws(
            "GetQueueAttributes Policy",
            lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]),
        )
        if attrs.get("Attributes", {}).get("Policy"):
            problems.append(
                Problem(
                    source,
                    "sqs.queue",
                    f"queue {system.sqs.queue} has a policy of its "
                    "own; the runbook's restore would remove it",
                )
            )
    table_down = any(
        k in (ActionKind.BACKEND_UNREACHABLE, ActionKind.BACKEND_RESTART) and t == "dynamodb"
        for k, t in kinds
    )
    if table_down:
        try:
            ddb_client.get_resource_policy(ResourceArn=table()["TableArn"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in (
                "PolicyNotFoundException",
                "ResourceNotFoundException",
            ):
                raise EnvironmentProblem(f"GetResourcePolicy: {_client_error(exc)}") from None
        else:
            problems.append(
                Problem(
                    source,
                    "dynamodb.table",
                    f"table {system.dynamodb.table} has a "
                    "resource policy of its own; the runbook's restore would delete it",
                )
            )
    if problems:
        raise ValidationFailed(problems)


@dataclass
class FisDriver:
    """Creates what a plan needs and drives its experiment; every AWS error one line."""

    plan: FisPlan
    session: Session
    template_id: str | None = None
    experiment_id: str | None = None
    states: list[tuple[float, str]] = field(default_factory=list)  # (epoch s, status)
    last: JsonObject = field(default_factory=dict)  # the last get_experiment's experiment

    def create(self) -> str:
        """The alarms, the runbooks and the template; the template's id."""
        from botocore.exceptions import ClientError

        cw = self.session.client("cloudwatch")
        for alarm in self.plan.alarms:
            _aws(
                f"PutMetricAlarm {alarm['AlarmName']}",
                functools.partial(cw.put_metric_alarm, **alarm),
            )
        ssm = self.session.client("ssm")
        for doc in self.plan.documents:
            try:  # named by its content's digest: an existing one is this one
                ssm.create_document(**doc)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "DocumentAlreadyExists":
                    raise EnvironmentProblem(
                        f"CreateDocument {doc['Name']}: {_client_error(exc)}"
                    ) from None
        fis = self.session.client("fis")
        got = _aws(
            "CreateExperimentTemplate", lambda: fis.create_experiment_template(**self.plan.template)
        )
        self.template_id = str(got["experimentTemplate"]["id"])
        return self.template_id

    def start(self) -> str:
        assert self.template_id is not None
        fis = self.session.client("fis")
        got = _aws(
            "StartExperiment", lambda: fis.start_experiment(experimentTemplateId=self.template_id)
        )
        self._seen(got["experiment"])
        self.experiment_id = str(got["experiment"]["id"])
        return self.experiment_id

    def read(self) -> str:
        """The experiment's status now."""
        assert self.experiment_id is not None
        fis = self.session.client("fis")
        got = _aws("GetExperiment", lambda: fis.get_experiment(id=self.experiment_id))
        return self._seen(got["experiment"])

    def stop(self, wait_s: float = STOP_WAIT_S, poll_s: float = 2.0) -> str:
        """Stop it (unless it ended) and wait for it to end; its status then."""
        status = self.read()
        if status not in TERMINAL:
            fis = self.session.client("fis")
            _aws("StopExperiment", lambda: fis.stop_experiment(id=self.experiment_id))
        deadline = time.monotonic() + wait_s
        while status not in TERMINAL and time.monotonic() < deadline:
            time.sleep(poll_s)
            status = self.read()
        return status

    def _seen(self, experiment: dict[str, Any]) -> str:
        status = str(experiment.get("state", {}).get("status", "unknown"))
        if not self.states or self.states[-1][1] != status:
            self.states.append((time.time(), status))
        self.last = _plain(experiment)
        return status

    def reason(self) -> str:
        state = self.last.get("state")
        return str(state.get("reason", "")) if isinstance(state, dict) else ""


def _plain(value: Any) -> Any:
    """A boto3 answer as JSON values (datetimes as epoch seconds)."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass
class _Experiment:
    """Starts the experiment on time and watches it while the load goes."""

    driver: FisDriver
    start_at_s: float
    stops: Stops
    next_poll: float = 0.0
    stopped_by_fis: str | None = None
    started_epoch_s: float | None = None

    def check(self, run: LiveRun) -> Aborted | None:
        elapsed = run.elapsed_s
        if elapsed is None:
            return None
        if self.driver.experiment_id is None:
            if elapsed < self.start_at_s:
                return self.stops.check(run)
            self.driver.start()
            self.started_epoch_s = time.time()
            self.next_poll = time.monotonic() + POLL_S
        elif time.monotonic() >= self.next_poll:
            self.next_poll = time.monotonic() + POLL_S
            status = self.driver.read()
            if status in ("stopped", "failed") and self.stopped_by_fis is None:
                self.stopped_by_fis = f"FIS {status} the experiment: {self.driver.reason()}"
                return Aborted(self.stopped_by_fis, float("nan"), elapsed)
        return self.stops.check(run)


def _faults(loaded: LoadedExperiment, driver: FisDriver, started: float | None) -> list[JsonObject]:
    """The method's actions as FIS ran them, in the governor journal's form (index on the
    scenario's timeline, applied and rolled back epoch seconds)."""
    actions = driver.last.get("actions")
    if started is None or not isinstance(actions, dict):
        return []
    n_base = len(loaded.scenario.faults) - len(loaded.experiment.method)
    out: list[JsonObject] = []
    for i, action in enumerate(loaded.experiment.method):
        got = actions.get(f"a{i}")
        if not isinstance(got, dict):
            continue
        at = got.get("startTime")
        end = got.get("endTime")
        # a runbook's own sleep or an aws:fis:wait puts the fault later than the action start
        delay = action.at_s - driver.plan.start_at_s
        applied = started + delay if not isinstance(at, int | float) else max(at, started + delay)
        state = got.get("state")
        out.append(
            {
                "index": n_base + i,
                "injected": "fis",
                "applied_epoch_s": applied,
                "rolled_back_epoch_s": end if isinstance(end, int | float) else None,
                "fis_action": str(got.get("actionId", "")),
                "fis_state": state if isinstance(state, dict) else {},
                "affected_calls": None,
            }
        )
    return out


def run_on_url(
    loaded: LoadedExperiment,
    plan: FisPlan,
    session: Session,
    *,
    url: str,
    api_key: str,
    scale: float = 1.0,
    out_dir: Path = Path("runs"),
    k6_path: str | None = None,
    live: bool = False,
    console: Console | None = None,
    max_rate: float | None = None,
    allow_production: bool = False,
) -> ChaosOutcome:
    """Run the experiment against ``url`` (authorized by the caller: ``run``'s rules) with
    FIS injecting the method; the RunResult goes to ``out_dir``."""
    experiment, scenario = loaded.experiment, loaded.scenario
    if plan.start_at_s >= scenario.duration_s:
        raise InputError("method: the first action starts after the load ends")
    check_deployed(loaded, plan, session)
    driver = FisDriver(plan, session)
    driver.create()
    stops = Stops(experiment, scenario.duration_s)
    watcher = _Experiment(driver, plan.start_at_s, stops)
    rollbacks: list[ActivityRun] = []  # what the rollbacks did, once the load ended

    def stop(kind: str) -> Step:
        if driver.experiment_id is None:
            return True, {"fis": "not started: nothing to roll back"}, None
        status = driver.stop()
        output: JsonObject = {
            "fis": f"StopExperiment {driver.experiment_id}",
            "kind": kind,
            "status_after": status,
            "states": [s for _, s in driver.states],
        }
        return (
            status in TERMINAL,
            output,
            f"the experiment is still {status} after {STOP_WAIT_S:g} s",
        )

    def stopped(tgt: Target) -> list[str]:
        runs = [
            timed_activity(rb.name, functools.partial(stop, rb.kind.value))
            for rb in experiment.rollbacks
        ]
        if not experiment.rollbacks and driver.experiment_id is not None:
            driver.stop()  # no rollback written: the experiment still never outlives the load
        rollbacks[:] = runs
        return [
            f"rollback {r.name}: {'succeeded' if r.succeeded else 'FAILED ' + str(r.error)}"
            for r in runs
        ] + [f"FIS experiment {driver.experiment_id}: {' -> '.join(s for _, s in driver.states)}"]

    t0 = time.perf_counter()
    try:
        run = run_load(
            scenario,
            loaded.system,
            target=url,
            api_key=api_key,
            scale=scale,
            out_dir=out_dir,
            live=live,
            console=console,
            max_rate=max_rate,
            yes=True,
            allow_production=allow_production,
            k6_path=k6_path,
            hooks=RunHooks(check=watcher.check, stopped=stopped),
        )
    finally:
        if driver.experiment_id is not None and (
            not driver.states or driver.states[-1][1] not in TERMINAL
        ):
            with contextlib.suppress(EnvironmentProblem):  # never leave it running behind
                driver.stop()  # a failed run
    computed_s = time.perf_counter() - t0
    elsewhere = None
    if watcher.stopped_by_fis is not None:
        elsewhere = (watcher.stopped_by_fis, driver.states[-1][0] if driver.states else None)
    return observed_outcome(
        loaded,
        run,
        stops,
        computed_s,
        target="url",
        faults=_faults(loaded, driver, watcher.started_epoch_s),
        rollbacks=rollbacks,
        audit=[f"FIS: {n}" for n in plan.notes],
        stopped_elsewhere=elsewhere,
    )
