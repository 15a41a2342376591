"""Load shapes as pure functions of time: k6 ``ramping-arrival-rate`` semantics.

k6 ramps the rate linearly from the previous stage's target (``startRate`` for the first stage)
to the stage's target over the stage's duration
(https://grafana.com/docs/k6/latest/using-k6/scenarios/executors/ramping-arrival-rate/).
A ``step`` stage jumps to its target at the stage start and holds it (rendered to k6 as a
zero-length stage followed by a hold).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Segment", "build_segments", "rate_at"]


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    rate_from: float
    rate_to: float

    def rate(self, t_s: float) -> float:
        span = self.end_s - self.start_s
        if span <= 0:
            return self.rate_to
        frac = (t_s - self.start_s) / span
        return self.rate_from + (self.rate_to - self.rate_from) * frac

    def area(self) -> float:
        return (self.end_s - self.start_s) * (self.rate_from + self.rate_to) / 2


def build_segments(start_rate: float, stages: list[tuple[float, float, str]]) -> list[Segment]:
    """Turn (duration_s, target, ramp) stages into contiguous rate segments."""
    segments: list[Segment] = []
    t, rate = 0.0, start_rate
    for duration_s, target, ramp in stages:
        begin = target if ramp == "step" else rate
        segments.append(Segment(t, t + duration_s, begin, target))
        t += duration_s
        rate = target
    return segments


def rate_at(segments: list[Segment], t_s: float) -> float:
    """Arrival rate at ``t_s``. Segments are half-open [start, end); 0 outside the run."""
    if not segments or t_s < 0:
        return 0.0
    for seg in segments:
        if seg.start_s <= t_s < seg.end_s:
            return seg.rate(t_s)
    return 0.0
