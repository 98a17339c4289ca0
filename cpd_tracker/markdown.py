"""Markdown for module content, rendered safely: CommonMark with raw HTML switched off, so a
module author (any trust's CPD lead) can never inject script into a learner's page.

markdown-it-py also refuses ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` link
targets (its ``validateLink``), and escapes everything else.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text or ""))  # noqa: S704 - html is off: output is escaped
