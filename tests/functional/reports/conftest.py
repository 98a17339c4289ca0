"""The staff pages' fixtures (two schools, a Moodle platform, clients signed in through real
launches), reused for the dashboards."""

from tests.functional.staff.conftest import SignIn, org_id, platform, sign_in

__all__ = ["SignIn", "org_id", "platform", "sign_in"]
