"""The 1EdTech LTI 1.3 certification suite's payloads, in both dialects, as teacher and student.

Known bad payloads (cert guide "Known Bad Payloads") must be refused with a clean 4xx; every
valid variant ("Valid Teacher Launches", "Valid Student Launches") must land.

"User claim missing" is the one disagreement: the suite lists a launch without ``sub`` as bad,
while LTI Core 1.3 §5.3.6 allows it as an anonymous launch. The layer accepts it as anonymous
(``context.sub is None``) and the app refuses it with a page saying training needs a signed-in
user; so the suite sees a refusal and the spec is honoured.
"""

from __future__ import annotations

from typing import Any

import pytest

from lti import claims as c
from lti import roles as r
from lti.errors import (
    ExpiredToken,
    LtiError,
    MissingClaim,
    MissingDeployment,
    MissingKid,
    MissingMessageType,
    MissingVersion,
    UnknownKid,
    WrongVersion,
)
from tests.support.launcher import Launcher
from tests.support.platform import CERT_VALID_VARIANTS


@pytest.fixture(params=["instructor", "learner"])
def user(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_no_kid_sent_in_jwt_header(launcher: Launcher, user: str) -> None:
    launcher.refused(MissingKid, user=user, headers={"kid": None})


def test_incorrect_kid_in_jwt_header(launcher: Launcher, user: str) -> None:
    auth = launcher.start(user=user)
    token = launcher.platform.token_with_kid(launcher.claims(auth, user=user), "imstester_3dfad6d")
    launcher.refused_token(UnknownKid, token, auth)


def test_wrong_lti_version(launcher: Launcher, user: str) -> None:
    launcher.refused(WrongVersion, user=user, overrides={c.VERSION: "11.3"})


def test_no_lti_version(launcher: Launcher, user: str) -> None:
    launcher.refused(MissingVersion, user=user, remove=[c.VERSION])


def test_invalid_lti_message(launcher: Launcher, user: str) -> None:
    """The provided JSON is not a 1.3 launch at all."""
    auth = launcher.start(user=user)
    error = launcher.refused_token(
        MissingClaim, launcher.platform.sign({"name": "badltilaunch"}), auth
    )
    assert error.claim == "iss"  # type: ignore[attr-defined]


def test_missing_lti_claims(launcher: Launcher, user: str) -> None:
    missing = ["aud", "iss", "sub", c.DEPLOYMENT_ID, c.ROLES]
    launcher.refused(MissingClaim, user=user, remove=missing)


def test_timestamps_incorrect(launcher: Launcher, user: str) -> None:
    launcher.refused(ExpiredToken, user=user, iat=11111, exp=22222)


def test_message_type_claim_missing(launcher: Launcher, user: str) -> None:
    launcher.refused(MissingMessageType, user=user, remove=[c.MESSAGE_TYPE])


def test_role_claim_missing(launcher: Launcher, user: str) -> None:
    error = launcher.refused(MissingClaim, user=user, remove=[c.ROLES])
    assert error.claim == c.ROLES  # type: ignore[attr-defined]


def test_deployment_id_claim_missing(launcher: Launcher, user: str) -> None:
    launcher.refused(MissingDeployment, user=user, remove=[c.DEPLOYMENT_ID])


def test_resource_link_id_claim_missing(launcher: Launcher, user: str) -> None:
    error = launcher.refused(MissingClaim, user=user, remove=[c.RESOURCE_LINK])
    assert error.claim == c.RESOURCE_LINK  # type: ignore[attr-defined]


def test_user_claim_missing_is_an_anonymous_launch(launcher: Launcher, user: str) -> None:
    context = launcher.accepted(user=user, remove=["sub"]).context
    assert context.is_anonymous
    assert context.display_name is None


@pytest.mark.parametrize("variant", sorted(CERT_VALID_VARIANTS))
def test_valid_variants_land(launcher: Launcher, user: str, variant: str) -> None:
    options: dict[str, Any] = CERT_VALID_VARIANTS[variant]
    context = launcher.accepted(user=user, **options).context

    assert context.sub == launcher.platform.user(user).sub  # type: ignore[arg-type]
    expectations = {
        "multiple_roles": lambda: context.roles.is_instructor and context.roles.is_learner,
        "short_role": lambda: context.roles.all == (r.LEARNER,) and context.roles.is_learner,
        "unknown_role": lambda: len(context.roles.all) == 1 and not context.roles.is_learner,
        "no_role": lambda: context.roles.all == () and not context.roles.has_context_roles,
        "email_only": lambda: context.email and context.display_name is None,
        "names_only": lambda: context.display_name and context.email is None,
        "no_personal_data": lambda: context.display_name is None and context.email is None,
    }
    assert expectations[variant]()


def test_every_refusal_above_is_an_lti_error() -> None:
    for error in (MissingKid, UnknownKid, WrongVersion, MissingVersion, MissingClaim):
        assert issubclass(error, LtiError)
