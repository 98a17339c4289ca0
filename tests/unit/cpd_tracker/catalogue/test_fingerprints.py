"""The built-in catalogue's content and the fingerprints that let ``catalogue refresh`` tell
shipped text from an organisation's own."""

from __future__ import annotations

from cpd_tracker.catalogue.earlier_content import EARLIER, SHIPPED_NOW
from cpd_tracker.catalogue.fingerprints import catalogue_print, module_prints, summary_print
from cpd_tracker.catalogue.seed_data import CATALOGUE


def test_a_change_to_the_seed_content_keeps_the_fingerprints_of_what_it_replaces() -> None:
    assert catalogue_print(CATALOGUE) == SHIPPED_NOW, (
        "The built-in catalogue's content changed. Organisations created before have the old "
        "text: add the fingerprints of the version replaced (fingerprints.module_prints of "
        "each module, from git) to catalogue/earlier_content.py's EARLIER, then set "
        "SHIPPED_NOW to catalogue_print(CATALOGUE), so `cpd-tracker catalogue refresh` can "
        "bring those organisations up to date."
    )


def test_every_earlier_fingerprint_belongs_to_a_built_in_module() -> None:
    slugs = {seed.slug for seed in CATALOGUE}
    assert set(EARLIER) <= slugs
    # Each earlier version's summary differs from today's (all gained a review date).
    for seed in CATALOGUE:
        assert summary_print(seed.slug, seed.summary) not in EARLIER.get(seed.slug, frozenset())
        assert module_prints(seed)  # summary and pages fingerprinted


def test_fingerprints_name_what_they_are() -> None:
    from cpd_tracker.catalogue.fingerprints import page_print

    assert summary_print("a", "text") != summary_print("b", "text")
    assert page_print("a", 1, "T", "body") != page_print("a", 2, "T", "body")
