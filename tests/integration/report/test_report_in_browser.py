"""report.html rendered by a real headless Chromium: key figures in the DOM, plots loaded."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scaling_lab.cost import estimate_cost
from scaling_lab.report import write_report
from scaling_lab.report.baseline import ms, usd

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

_CHECK = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => ({alt: i.alt, w: i.complete ? i.naturalWidth : 0}));
  const pre = document.createElement('pre'); pre.id = 'img-check';
  pre.textContent = JSON.stringify(imgs); document.body.appendChild(pre);
});
</script></body>"""


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from scaling_lab.model import predict
    from scaling_lab.scenario import load_scenario
    from scaling_lab.system import load_system

    sc = load_scenario("spike").scaled(0.05)
    result = predict(sc, load_system(sc.system), seed=7)
    out = tmp_path_factory.mktemp("report")
    files = write_report([result], out, command="scaling-lab report (integration test)")
    return result, files


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (.ci/setup.sh installs Debian's chromium package)",
)
def test_rendered_dom_shows_key_figures_and_loaded_plots(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result, files = report
    page = tmp_path / "check.html"
    page.write_text(files.html.read_text().replace("</body>", _CHECK, 1))
    run = _chromium(["--dump-dom", page.as_uri()], tmp_path / "profile")
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert "<h1>Performance baseline: spike</h1>" in dom
    p95 = result.summary.endpoints["post_events"].latency_ms.p95
    assert re.search(r'<div class="value[^"]*">' + re.escape(ms(p95)) + "</div>", dom)
    per_m = estimate_cost(result).per_million_events_usd
    assert usd(per_m) in dom
    for section in ("latency", "bottlenecks", "cost", "targets", "next-steps"):
        assert f'<section id="{section}">' in dom
    images = json.loads(
        re.search(r'<pre id="img-check">(.*?)</pre>', dom, re.S).group(1).replace("&quot;", '"')
    )
    assert len(images) == len(files.plots) >= 4
    assert all(img["w"] > 500 for img in images), images


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (.ci/setup.sh installs Debian's chromium package)",
)
def test_screenshot_is_not_blank(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import matplotlib.image as mpimg

    _, files = report
    shot = tmp_path / "shot.png"
    run = _chromium(
        [f"--screenshot={shot}", "--window-size=1200,1800", files.html.as_uri()],
        tmp_path / "profile",
    )
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 1800 and pixels.shape[1] >= 1200
    assert float(np.std(pixels[..., :3])) > 0.05  # text, cards and plots, not an empty page
