"""The staff pages' fixtures (an organisation with Alder and Birch, clients signed in through
real launches) serve the certificates too."""

from tests.functional.staff.conftest import org_id, platform, sign_in

__all__ = ["org_id", "platform", "sign_in"]
