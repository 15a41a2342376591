"""Run history in an S3 bucket (for teams): one object per result, a small index object per run.

Layout under ``s3://BUCKET/PREFIX/``: ``runs/<run_id>.json`` (the full RunResult),
``index/<run_id>.json`` (its RunRecord) and ``baselines/<scenario>--<kind>.json``.
The endpoint URL can point at any S3-compatible service (the local stack's, MinIO, moto).
"""

from __future__ import annotations

import json
from typing import Any

from scaling_lab.errors import EnvironmentProblem, InputError
from scaling_lab.result.io import dump_result
from scaling_lab.result.models import RunResult
from scaling_lab.store.base import HistoryStore, parse_stored
from scaling_lab.store.records import Baseline, RunRecord, now_iso, record_of

__all__ = ["S3Store", "parse_s3_url"]


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (bucket, "some/prefix")."""
    if not url.startswith("s3://"):
        raise InputError(f"store {url!r}: expected s3://BUCKET[/PREFIX]")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise InputError(f"store {url!r}: no bucket name")
    return bucket, prefix.strip("/")


class S3Store(HistoryStore):
    """History in S3 (boto3). Credentials come from the usual AWS chain, never from files here."""

    def __init__(self, url: str, *, endpoint_url: str | None = None, client: Any = None) -> None:
        import boto3
        import botocore.exceptions

        self._errors = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
        self.bucket, self.prefix = parse_s3_url(url)
        self.location = url + (f" (endpoint {endpoint_url})" if endpoint_url else "")
        self._s3 = client or boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def _put(self, key: str, text: str) -> None:
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=text.encode("utf-8"),
                ContentType="application/json",
            )
        except self._errors as exc:
            raise EnvironmentProblem(
                f"history store {self.location}: cannot write {key} ({exc})"
            ) from None

    def _get(self, key: str) -> str | None:
        try:
            obj = self._s3.get_object(Bucket=self.bucket, Key=key)
        except self._errors as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                return None
            raise EnvironmentProblem(
                f"history store {self.location}: cannot read {key} ({exc})"
            ) from None
        return str(obj["Body"].read().decode("utf-8"))

    def _list(self, folder: str) -> list[str]:
        keys: list[str] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(folder) + "/"
            )
            for page in pages:
                keys.extend(o["Key"] for o in page.get("Contents", []))
        except self._errors as exc:
            raise EnvironmentProblem(
                f"history store {self.location}: cannot list ({exc})"
            ) from None
        return keys

    def record(self, result: RunResult) -> RunRecord:
        rec = record_of(result)
        self._put(self._key("runs", f"{result.run_id}.json"), dump_result(result))
        self._put(self._key("index", f"{result.run_id}.json"), json.dumps(rec.to_dict()))
        return rec

    def runs(
        self, *, scenario: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[RunRecord]:
        out: list[RunRecord] = []
        for key in self._list("index"):
            text = self._get(key)
            if text is None:
                continue
            rec = RunRecord.from_dict(json.loads(text))
            if (scenario is None or rec.scenario == scenario) and (
                kind is None or rec.kind == kind
            ):
                out.append(rec)
        out.sort(key=lambda r: (r.started_at, r.recorded_at), reverse=True)
        return out if limit is None else out[:limit]

    def load(self, run_id: str) -> RunResult:
        text = self._get(self._key("runs", f"{run_id}.json"))
        if text is None:
            raise InputError(f"run {run_id!r} is not in the history at {self.location}")
        return parse_stored(text, run_id, self.location)

    def set_baseline(self, run_id: str) -> Baseline:
        text = self._get(self._key("index", f"{run_id}.json"))
        if text is None:
            raise InputError(f"run {run_id!r} is not in the history at {self.location}")
        rec = RunRecord.from_dict(json.loads(text))
        b = Baseline(scenario=rec.scenario, kind=rec.kind, run_id=run_id, set_at=now_iso())
        self._put(self._key("baselines", f"{b.scenario}--{b.kind}.json"), json.dumps(b.to_dict()))
        return b

    def baselines(self) -> list[Baseline]:
        out: list[Baseline] = []
        for key in self._list("baselines"):
            text = self._get(key)
            if text is not None:
                out.append(Baseline(**json.loads(text)))
        return sorted(out, key=lambda b: (b.scenario, b.kind))
