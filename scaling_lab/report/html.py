"""Render a report Document as one self-contained HTML page (inline CSS, PNGs as data URIs)."""

from __future__ import annotations

import base64
import html
import re

from scaling_lab.report.document import (
    NOT_OBSERVED,
    Bullets,
    Document,
    Figure,
    KeyFigure,
    Para,
    Table,
)

__all__ = ["render_html"]

_CSS = """
:root { --fg:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --pass:#15803d;
  --fail:#b91c1c; --na:#6b7280; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif;
  color:var(--fg); background:var(--bg); }
header { background:#0f172a; color:#f8fafc; padding:24px 32px; }
header h1 { margin:0 0 4px; font-size:24px; }
header p { margin:0; color:#cbd5e1; }
header code { background:#1e293b; color:#e2e8f0; }
nav { position:sticky; top:0; background:#fff; border-bottom:1px solid var(--line);
  padding:8px 32px; font-size:13px; z-index:1; }
nav a { color:var(--accent); text-decoration:none; margin-right:14px; }
main { max-width:1100px; margin:0 auto; padding:8px 32px 48px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:4px 20px 16px;
  margin:18px 0; }
h2 { font-size:18px; border-bottom:1px solid var(--line); padding-bottom:6px; }
table { border-collapse:collapse; width:100%; margin:8px 0 14px; font-size:14px; }
th, td { border-bottom:1px solid var(--line); padding:5px 8px; text-align:left;
  vertical-align:top; }
th { background:#f1f5f9; font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.status { font-weight:700; border-radius:4px; padding:1px 6px; font-size:12px; }
.status.PASS { color:#fff; background:var(--pass); }
.status.FAIL { color:#fff; background:var(--fail); }
.status.na { color:var(--na); background:#f3f4f6; font-weight:500; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(190px, 1fr)); gap:12px;
  margin:12px 0; }
.card { border:1px solid var(--line); border-radius:8px; padding:10px 12px; background:#fff; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase;
  letter-spacing:.03em; }
.card .value { font-size:22px; font-weight:700; margin:2px 0; }
.card .value.long { font-size:15px; }
.card.PASS { border-left:5px solid var(--pass); }
.card.FAIL { border-left:5px solid var(--fail); }
.card.na { border-left:5px solid var(--na); }
figure { margin:12px 0; }
figure img { max-width:100%; border:1px solid var(--line); border-radius:6px; }
figcaption { color:var(--muted); font-size:13px; }
code { background:#f1f5f9; padding:1px 4px; border-radius:3px; font-size:13px; }
"""

_STATUS = {"PASS": "PASS", "FAIL": "FAIL", NOT_OBSERVED: "na"}


def _inline(text: str) -> str:
    s = html.escape(text)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)


def _cell(text: str) -> str:
    if text in _STATUS:
        return f'<span class="status {_STATUS[text]}">{html.escape(text)}</span>'
    return _inline(text)


def _table(t: Table) -> str:
    head = "".join(
        f"<th{' class=num' if i in t.right else ''}>{_inline(h)}</th>"
        for i, h in enumerate(t.headers)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if i in t.right else ''}>{_cell(c)}</td>" for i, c in enumerate(row)
        )
        + "</tr>"
        for row in t.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _cards(figures: list[KeyFigure]) -> str:
    out = []
    for k in figures:
        cls = _STATUS.get(k.status or "", "")
        badge = f'<span class="status {cls}">{html.escape(k.status)}</span>' if k.status else ""
        out.append(
            f'<div class="card {cls}"><div class="label">{html.escape(k.label)}</div>'
            f'<div class="value{" long" if len(k.value) > 18 else ""}">'
            f"{html.escape(k.value)}</div>{badge}</div>"
        )
    return f'<div class="cards">{"".join(out)}</div>'


def render_html(doc: Document) -> str:
    parts = [
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(doc.title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{html.escape(doc.title)}</h1><p>{_inline(doc.subtitle)}</p></header>",
        "<nav>"
        + "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in doc.sections)
        + "</nav><main>",
    ]
    for section in doc.sections:
        parts.append(f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Para):
                parts.append(f"<p>{_inline(block.text)}</p>")
            elif isinstance(block, Bullets):
                parts.append(
                    "<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items) + "</ul>"
                )
            elif isinstance(block, Table):
                parts.append(_table(block))
            elif isinstance(block, Figure):
                png = doc.plots.get(block.name)
                if png is None:
                    continue
                data = base64.b64encode(png).decode("ascii")
                parts.append(
                    f'<figure id="plot-{block.name}"><img alt="{html.escape(block.title)}"'
                    f' src="data:image/png;base64,{data}">'
                    f"<figcaption>{_inline(block.caption)}</figcaption></figure>"
                )
            else:
                parts.append(_cards(block))
        parts.append("</section>")
    parts.append("</main></body></html>\n")
    return "".join(parts)
