"""``cpd-tracker reminders send``: queue due reminders and send the e-mail outbox."""

from __future__ import annotations

import click

reminders_group = click.Group("reminders", help="Training reminders by e-mail.")
