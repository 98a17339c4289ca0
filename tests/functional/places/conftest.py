"""Requests for a place use the staff pages' organisation (schools Alder and Birch, a Moodle
platform, clients signed in through real launches)."""

from tests.functional.staff.conftest import SignIn, org_id, platform, sign_in

__all__ = ["SignIn", "org_id", "platform", "sign_in"]
