"""An organisation's reminder settings (issue 17): the lead time, the weekly sending time and
the holiday pauses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cpd_tracker.dates import local_date
from cpd_tracker.models import Organisation
from cpd_tracker.rules.reminders import (
    DEFAULT_SEND_HOUR,
    DEFAULT_SEND_WEEKDAY,
    MAX_LEAD_DAYS,
    Pause,
    organisation_pauses,
    pauses_text,
    pauses_to_json,
    sending_time_text,
)
from cpd_tracker.services.audit import AuditService


@dataclass(frozen=True)
class ReminderSettings:
    lead_days: int
    pauses: list[Pause]
    #: No pauses saved yet: the English school year's holidays apply.
    default_pauses: bool
    #: When each week's digests are queued, London time: 0 Monday to 6 Sunday, and the hour.
    send_weekday: int = DEFAULT_SEND_WEEKDAY
    send_hour: int = DEFAULT_SEND_HOUR


class ReminderSettingsService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def settings(self, organisation_id: int) -> ReminderSettings:
        organisation = self.session.get_one(Organisation, organisation_id)
        saved = organisation.reminder_pauses
        return ReminderSettings(
            organisation.reminder_lead_days,
            organisation_pauses(saved, local_date(self.clock())),
            saved is None,
            organisation.reminder_send_weekday,
            organisation.reminder_send_hour,
        )

    def save(
        self,
        organisation_id: int,
        lead_days: int,
        pauses: Sequence[Pause],
        sending_time: tuple[int, int] | None = None,
    ) -> None:
        """Save them all (audited with what they were); the form has validated them.
        ``sending_time``: the day (0 Monday to 6 Sunday) and hour, London time (None: as
        it was)."""
        if not 1 <= lead_days <= MAX_LEAD_DAYS:
            raise ValueError(f"lead time {lead_days} outside 1 to {MAX_LEAD_DAYS}")
        organisation = self.session.get_one(Organisation, organisation_id)
        before = self.settings(organisation_id)
        weekday, hour = sending_time or (before.send_weekday, before.send_hour)
        if not 0 <= weekday <= 6 or not 0 <= hour <= 23:
            raise ValueError(f"sending time out of range: weekday {weekday}, hour {hour}")
        organisation.reminder_lead_days = lead_days
        organisation.reminder_pauses = pauses_to_json(pauses)
        organisation.reminder_send_weekday = weekday
        organisation.reminder_send_hour = hour
        self.session.flush()
        self.audit.record(
            "reminders.settings_changed",
            organisation_id=organisation_id,
            entity_type="organisation",
            entity_id=organisation_id,
            lead_days={"from": before.lead_days, "to": lead_days},
            pauses={"from": pauses_text(before.pauses), "to": pauses_text(pauses)},
            sending_time={
                "from": sending_time_text(before.send_weekday, before.send_hour),
                "to": sending_time_text(weekday, hour),
            },
        )
