"""Render a report Document as Markdown (plots referenced as plots/<name>.png)."""

from __future__ import annotations

from scaling_lab.report.document import Bullets, Document, Figure, KeyFigure, Para, Table

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(t: Table) -> list[str]:
    lines = [
        "| " + " | ".join(_cell(h) for h in t.headers) + " |",
        "|" + "|".join("---:" if i in t.right else "---" for i in range(len(t.headers))) + "|",
    ]
    for row in t.rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


def render_markdown(doc: Document, *, plots_dir: str = "plots") -> str:
    out = [f"# {doc.title}", "", doc.subtitle, ""]
    out.append("Contents: " + " · ".join(f"[{s.title}](#{s.anchor})" for s in doc.sections))
    out.append("")
    for section in doc.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Para):
                out += [block.text, ""]
            elif isinstance(block, Bullets):
                out += [f"- {item}" for item in block.items] + [""]
            elif isinstance(block, Table):
                out += [*_table(block), ""]
            elif isinstance(block, Figure):
                out += [
                    f"![{block.title}]({plots_dir}/{block.name}.png)",
                    "",
                    f"*{block.caption}*",
                    "",
                ]
            else:
                figures: list[KeyFigure] = block
                out += _table(
                    Table(
                        ["figure", "value", "status"],
                        [[k.label, k.value, k.status or ""] for k in figures],
                    )
                )
                out.append("")
    return "\n".join(out).rstrip() + "\n"
