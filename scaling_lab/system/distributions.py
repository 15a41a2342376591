"""Latency distributions used for Lambda service times and cold starts (milliseconds)."""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

__all__ = [
    "Constant",
    "Distribution",
    "Empirical",
    "Exponential",
    "LogNormal",
]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_serializer(mode="wrap")
    def _tagged(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        """Always written with its ``dist`` tag, even when only the defaults' other fields were
        set (a system file's form drops unset fields; without the tag it would not load)."""
        out: dict[str, object] = handler(self)
        return {"dist": type(self).model_fields["dist"].default, **out}


class Constant(_Dist):
    dist: Literal["constant"] = "constant"
    value_ms: float = Field(ge=0)

    def mean_ms(self) -> float:
        return self.value_ms

    def sample(self, rng: np.random.Generator, n: int | None = None) -> float | np.ndarray:
        return self.value_ms if n is None else np.full(n, self.value_ms)


class Exponential(_Dist):
    dist: Literal["exponential"] = "exponential"
    mean: float = Field(gt=0, alias="mean_ms")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def mean_ms(self) -> float:
        return self.mean

    def sample(self, rng: np.random.Generator, n: int | None = None) -> float | np.ndarray:
        return float(rng.exponential(self.mean)) if n is None else rng.exponential(self.mean, n)


class LogNormal(_Dist):
    """Log-normal given by its median and the sigma of the underlying normal."""

    dist: Literal["lognormal"] = "lognormal"
    median_ms: float = Field(gt=0)
    sigma: float = Field(ge=0, le=5)

    def mean_ms(self) -> float:
        return self.median_ms * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, n: int | None = None) -> float | np.ndarray:
        mu = math.log(self.median_ms)
        if n is None:
            return float(rng.lognormal(mu, self.sigma))
        return rng.lognormal(mu, self.sigma, n)


class Empirical(_Dist):
    """Resampled from observed values (e.g. written by ``scaling-lab calibrate``)."""

    dist: Literal["empirical"] = "empirical"
    samples_ms: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _non_negative(self) -> Empirical:
        if min(self.samples_ms) < 0:
            raise ValueError("samples_ms must all be >= 0")
        return self

    def mean_ms(self) -> float:
        return float(np.mean(self.samples_ms))

    def sample(self, rng: np.random.Generator, n: int | None = None) -> float | np.ndarray:
        arr = np.asarray(self.samples_ms, dtype=float)
        if n is None:
            return float(arr[rng.integers(0, len(arr))])
        return arr[rng.integers(0, len(arr), n)]


Distribution = Annotated[
    Union[Constant, Exponential, LogNormal, Empirical],  # noqa: UP007
    Field(discriminator="dist"),
]
