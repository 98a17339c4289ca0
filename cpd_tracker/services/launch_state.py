"""The database-backed LTI stores: registrations by (issuer, client_id) and logins in flight.

They implement ``lti.registration.RegistrationStore`` and ``LaunchStateStore`` so that every
worker and host shares one memory of nonces: a token replayed against another worker is
refused just the same.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from cpd_tracker.models import LoginState, PlatformRegistration
from lti.claims import has_control_characters
from lti.errors import RegistrationNotApproved
from lti.registration import LoginRecord, Registration

#: Expired logins are kept this long (a replayed launch is then named as such), then forgotten.
EXPIRED_KEPT = dt.timedelta(days=1)
PURGED_PER_LOGIN = 50


def to_lti_registration(row: PlatformRegistration) -> Registration:
    return Registration(
        issuer=row.issuer,
        client_id=row.client_id,
        auth_login_url=row.auth_login_url,
        auth_token_url=row.auth_token_url,
        key_set_url=row.key_set_url,
        deployment_ids=frozenset(d.deployment_id for d in row.deployments),
        accept_new_deployments=row.accept_new_deployments,
        auth_audience=row.auth_audience,
    )


class DbRegistrationStore:
    """Registrations by (issuer, client_id), one statement each (deployments joined in).

    A store lives for one request (``registry.get_service``): a launch asks for its
    registration twice (validation, then sign-in), and the row read first is the one the
    session's identity map would hand back again anyway, so it is read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[tuple[str, str | None], PlatformRegistration | None] = {}

    def find_row(self, issuer: str, client_id: str | None) -> PlatformRegistration | None:
        key = (issuer, client_id)
        if key not in self._rows:
            self._rows[key] = self._read_row(issuer, client_id)
        return self._rows[key]

    def _read_row(self, issuer: str, client_id: str | None) -> PlatformRegistration | None:
        query = (
            select(PlatformRegistration)
            .where(PlatformRegistration.issuer == issuer)
            .options(joinedload(PlatformRegistration.deployments))
        )
        if client_id is not None:
            return (
                self.session.scalars(query.where(PlatformRegistration.client_id == client_id))
                .unique()
                .first()
            )
        rows = self.session.scalars(query.limit(2)).unique().all()
        return rows[0] if len(rows) == 1 else None

    def find_registration(self, issuer: str, client_id: str | None) -> Registration | None:
        """The registration that may launch; one waiting for a trust leader's approval is
        refused by name (before any login state is written for it)."""
        row = self.find_row(issuer, client_id)
        if row is None:
            return None
        if row.approved_at is None:
            raise RegistrationNotApproved(row.issuer, row.client_id)
        return to_lti_registration(row)


class DbLaunchStateStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        #: The login parameters to keep with the next saved login (the "open in a new tab"
        #: fallback starts the login again with them): written in the same INSERT.
        self.relaunch_params: dict[str, str] | None = None

    def save_login(self, record: LoginRecord) -> None:
        self.session.add(
            LoginState(
                state=record.state,
                nonce=record.nonce,
                issuer=record.issuer,
                client_id=record.client_id,
                target_link_uri=record.target_link_uri,
                storage_target=record.storage_target,
                created_at=record.created_at,
                expires_at=record.expires_at,
                relaunch_params=self.relaunch_params,
            )
        )
        self.relaunch_params = None
        self.session.flush()
        # Forget a few long-expired logins with every new one, so a flood of logins that are
        # never completed cannot pile up until the nightly purge.
        self.purge(record.created_at - EXPIRED_KEPT, limit=PURGED_PER_LOGIN)

    def take_login(self, state: str, now: dt.datetime) -> LoginRecord | None:
        if has_control_characters(state):  # never one of ours; PostgreSQL refuses a NUL
            return None
        # One UPDATE ... WHERE taken_at IS NULL: two workers racing on the same state cannot
        # both update the row, so a nonce is consumed exactly once. RETURNING hands back the
        # login in the same round trip (PostgreSQL, SQLite 3.35+).
        row = self.session.execute(
            update(LoginState)
            .where(
                LoginState.state == state,
                LoginState.taken_at.is_(None),
                LoginState.expires_at > now,
            )
            .values(taken_at=now)
            .returning(
                LoginState.state,
                LoginState.nonce,
                LoginState.issuer,
                LoginState.client_id,
                LoginState.target_link_uri,
                LoginState.created_at,
                LoginState.expires_at,
                LoginState.storage_target,
            )
            .execution_options(synchronize_session=False)
        ).first()
        if row is None:
            return None
        return LoginRecord(
            state=row.state,
            nonce=row.nonce,
            issuer=row.issuer,
            client_id=row.client_id,
            target_link_uri=row.target_link_uri,
            created_at=row.created_at,
            expires_at=row.expires_at,
            storage_target=row.storage_target,
        )

    def was_taken(self, state: str) -> bool:
        if has_control_characters(state):
            return False
        taken = self.session.scalar(select(LoginState.taken_at).where(LoginState.state == state))
        return taken is not None

    def purge(self, before: dt.datetime, limit: int | None = None) -> int:
        """Forget logins that expired before ``before`` (kept a while to name replays), at
        most ``limit`` of them."""
        expired = LoginState.expires_at < before
        if limit is not None:
            oldest = select(LoginState.state).where(expired).order_by(LoginState.expires_at)
            expired = LoginState.state.in_(oldest.limit(limit).scalar_subquery())
        result = self.session.execute(
            delete(LoginState).where(expired).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
