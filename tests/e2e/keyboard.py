"""Keyboard helpers: tab through a frame and check that each focus stop shows focus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError

MAX_TABS = 120

# What a focus indicator can change: outline, shadow, colours, borders, underline, and the
# skip link's clip (it is visually hidden until focused). For a checkbox or radio, its label's
# ::before/::after draw the box that shows focus.
_SIGNATURE = """el => {
  const props = ['outlineStyle', 'outlineWidth', 'outlineColor', 'boxShadow',
    'backgroundColor', 'color', 'borderTopColor', 'borderTopWidth', 'textDecorationLine',
    'textDecorationThickness', 'clip', 'clipPath', 'width', 'height'];
  const take = s => props.map(k => s[k]).join('|');
  const parts = [take(getComputedStyle(el))];
  const label = el.id ? document.querySelector('label[for="' + el.id + '"]') : null;
  if (label) {
    parts.push(take(getComputedStyle(label, '::before')), take(getComputedStyle(label, '::after')));
  }
  return parts.join('#');
}"""

_DESCRIBE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || !document.hasFocus()) { return null; }
  return {tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id || '',
          rel: el.getAttribute('rel') || '', text: (el.innerText || el.value || '').trim(),
          label: el.labels && el.labels.length ? el.labels[0].innerText.trim() : ''};
}"""


class Keyboard:
    """Tab through the frame, checking each focus stop is visible when focused."""

    def __init__(self, page: Any, frame: Any) -> None:
        self.page = page
        self.frame = frame
        self.stops = 0
        self._last: tuple[Any, str] | None = None

    def _settle_last(self) -> None:
        """The element that just lost focus must look different from when it had it."""
        if self._last is None:
            return
        handle, focused = self._last
        self._last = None
        try:
            unfocused = handle.evaluate(_SIGNATURE)
        except PlaywrightError:
            return  # its page has gone (we followed a link): nothing to compare
        assert unfocused != focused, (
            f"focus was not visible on {handle.evaluate('e => e.outerHTML')[:200]}"
        )

    def tab(self) -> dict[str, str] | None:
        self.page.keyboard.press("Tab")
        self._settle_last()
        described: dict[str, str] | None = self.frame.evaluate(_DESCRIBE)
        if described is not None:
            self.stops += 1
            handle = self.frame.evaluate_handle("() => document.activeElement")
            self._last = (handle, handle.evaluate(_SIGNATURE))
        return described

    def tab_to(self, wanted: Callable[[dict[str, str]], bool], what: str) -> dict[str, str]:
        for _ in range(MAX_TABS):
            focused = self.tab()
            if focused is not None and wanted(focused):
                return focused
        raise AssertionError(f"{what} never took focus in {MAX_TABS} presses of Tab")

    def choose_radio(self, wanted: set[str], limit: int = 12) -> dict[str, str]:
        """In a radio group that has focus, choose the option whose id is in ``wanted`` as a
        keyboard user does: Space on the focused option, else the arrow keys (which move and
        choose)."""
        for presses in range(limit):
            focused: dict[str, str] | None = self.frame.evaluate(_DESCRIBE)
            assert focused is not None, "focus left the radio group"
            if focused["id"] in wanted:
                if presses == 0:
                    self.page.keyboard.press("Space")
                handle = self.frame.evaluate_handle("() => document.activeElement")
                assert handle.evaluate("e => e.checked"), f"{focused['id']} was not chosen"
                self._last = (handle, handle.evaluate(_SIGNATURE))
                return focused
            self._last = None
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"none of {sorted(wanted)} reached with the arrow keys")

    def press(self, key: str) -> None:
        self._last = None  # Enter follows a link: the element goes with its page
        self.page.keyboard.press(key)
