"""``cpd-tracker import staff|completions FILE``: the nightly MIS export path."""

from __future__ import annotations

import click

import_group = click.Group("import", help="Import staff or completions from CSV files.")
