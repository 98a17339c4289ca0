"""Fingerprints of the built-in catalogue's content, to tell text the tool shipped from text an
organisation wrote (``services/catalogue_refresh.py``).

A fingerprint is the SHA-256 of one piece of a module's content with what it is: its summary,
or one page (position, title and body). Only the fingerprints of earlier versions are kept
(``earlier_content.py``), not their text: the current version is compared as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol


class _Page(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def body_markdown(self) -> str: ...


class _Module(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def pages(self) -> Iterable[_Page]: ...


def summary_print(slug: str, summary: str) -> str:
    return _digest(f"{slug}\nsummary\n{summary}")


def page_print(slug: str, position: int, title: str, body_markdown: str) -> str:
    return _digest(f"{slug}\npage {position}\n{title}\n{body_markdown}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def module_prints(module: _Module) -> set[str]:
    """The fingerprints of one seed module's summary and pages."""
    prints = {summary_print(module.slug, module.summary)}
    for position, page in enumerate(module.pages, start=1):
        prints.add(page_print(module.slug, position, page.title, page.body_markdown))
    return prints


def catalogue_print(modules: Iterable[_Module]) -> str:
    """One fingerprint of a whole catalogue's content (a test holds the current one, so a
    change to the content cannot land without its predecessor's fingerprints)."""
    every = sorted(p for module in modules for p in module_prints(module))
    return _digest("\n".join(every))
