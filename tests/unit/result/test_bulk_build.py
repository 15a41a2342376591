"""The model's bulk path: a whole run's latencies filed at once give the result that recording
them one value at a time gives, and a second's histogram encoded only when read is the one
written."""

import json
import pickle

import numpy as np

from scaling_lab.provenance import make_provenance
from scaling_lab.result import ErrorClass, LatencyHistogram, ResultBuilder, ResultKind
from scaling_lab.result.io import dump_result
from scaling_lab.result.models import EndpointSecond, ErrorCounts, Percentiles, RunResult
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system


def _builder() -> ResultBuilder:
    sc = Scenario.model_validate(
        {"name": "bulk", "traffic": {"start_rate": 5, "stages": [{"duration": "40s", "target": 5}]}}
    )
    return ResultBuilder(
        sc,
        load_system("staging"),
        ResultKind.PREDICTED,
        make_provenance(target="model", backend=None, seed=1),
    )


def _requests(seed: int) -> tuple[np.ndarray, np.ndarray, list[ErrorClass | None]]:
    """Seconds 0-39, some quiet, 0-60 requests each, latencies from 0.4 ms to 40 s."""
    rng = np.random.default_rng(seed)
    per = rng.poisson(6.0, 40) * (rng.random(40) > 0.3)
    secs = np.repeat(np.arange(40), per)
    lat = np.exp(rng.uniform(np.log(0.4), np.log(40_000.0), secs.size))
    errs = [ErrorClass.SERVER if x < 0.1 else None for x in rng.random(secs.size)]
    return secs, lat, errs


def test_bulk_filing_matches_one_value_at_a_time() -> None:
    secs, lat, errs = _requests(7)
    one, bulk = _builder(), _builder()
    for t, v, e in zip(secs.tolist(), lat.tolist(), errs, strict=True):
        one.record(t + 0.5, "post_events", v, e)
    for err in (None, ErrorClass.SERVER):
        mine = np.array([e is err for e in errs])
        bulk.record_columns(secs[mine], "post_events", lat[mine], np.ones(mine.sum()), err)
    a, b = (
        json.loads(dump_result(one.build(run_id="x"))),
        json.loads(dump_result(bulk.build(run_id="x"))),
    )
    for d in (a, b):
        d["provenance"].pop("finished_at")
    assert a["series"] == b["series"]
    assert a["summary"] == b["summary"]
    assert sum(
        s["endpoints"]["post_events"]["requests"] for s in b["series"] if s["endpoints"]
    ) == (secs.size)


def test_a_second_encodes_its_histogram_when_read_and_round_trips() -> None:
    h = LatencyHistogram()
    h.record_many(np.array([12.5, 13.0, 250.0]), np.array([3, 1, 2]))
    assert h.sparse
    es = EndpointSecond.of(6, ErrorCounts(server=2), Percentiles(p50=13.0), h)
    assert es.hdr_text is None  # not encoded yet
    copied = pickle.loads(pickle.dumps(es))
    assert es.hdr == h.encode()
    stored = EndpointSecond.model_validate(json.loads(es.model_dump_json(by_alias=True)))
    assert stored == es and copied == es
    assert stored.histogram() is not None and stored.histogram().count == 6
    mine = es.histogram()
    assert mine is not None
    mine.record(1.0)  # the caller's own copy
    assert es.histogram().count == 6
    es.hdr = None
    assert es.histogram() is None and es != stored


def test_a_written_result_reads_back_equal() -> None:
    secs, lat, _ = _requests(11)
    b = _builder()
    b.record_columns(secs, "post_events", lat, np.ones(secs.size))
    built = b.build(run_id="x")
    back = RunResult.model_validate_json(dump_result(built))
    assert back.series == built.series
    assert dump_result(back) == dump_result(built)
