"""Open edX (``lti-consumer-xblock``, ``lti_consumer.lti_1p3``) as an LTI 1.3 platform.

Source: openedx/xblock-lti-consumer, ``lti_consumer/lti_1p3/extensions/rest_framework/
serializers.py`` (``LtiAgsScoreSerializer.validate_timestamp``).
"""

from __future__ import annotations

PRODUCT_FAMILY = "openedx"

# A score whose timestamp equals the stored one (a resend after a lost answer) or precedes it
# is refused with 400 and the reason under "timestamp", e.g.
# {"timestamp": ["Score already exists for the provided timestamp"]}.
_ALREADY_HELD = (
    "Score already exists for the provided timestamp",
    "Score timestamp can only be updated to a later point in time",
)


def score_already_held(status: int, body: str) -> bool:
    """Whether Open edX's answer says it already holds this score or a newer one."""
    return status == 400 and any(reason in body for reason in _ALREADY_HELD)
