"""Open edX as an LTI 1.3 platform: lti-consumer-xblock's own code, served over loopback HTTP.

What runs is the library's Django app (``lti_consumer.plugin.urls``) on minimal settings and a
SQLite database of its own, with its own migrations applied:

* the launch gate (``launch_gate_endpoint``, the platform's OIDC auth endpoint) answers the
  tool's authentication request with the auto-submitted ``id_token`` form built by
  ``LtiAdvantageConsumer``; the login initiation URL is ``prepare_preflight_url`` (through
  ``lti_consumer.api.get_lti_1p3_launch_start_url``, as the XBlock's student view does);
* the token endpoint (``access_token_endpoint``) checks the tool's client assertion against
  the tool's JWKS URL, fetched over HTTP from the tool's own server;
* AGS (``LtiAgsLineItemViewset``: line items and scores, DRF serializers and permissions),
  NRPS (``LtiNrpsContextMembershipViewSet``) and the Deep Linking return endpoint
  (``deep_linking_response_endpoint``, which checks the tool's JWT with the library's code and
  keeps the content items).

Only the parts that live in edx-platform itself are stood in for, in ``lti_consumer.plugin
.compat`` (as the library's own tests do): the modulestore's XBlock (:class:`CourseBlock`,
whose ``set_user_module_score`` is the LMS gradebook), the course's enrolments, external
user ids, Studio write access. Configuration is stored on the model (``CONFIG_ON_DB``).

Django can be configured once per process, so :func:`start` serves one platform per test
session; each test makes its own course block and configuration (:meth:`EdxPlatform.add_block`).
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.support.loopback import TOOL_LAUNCH_URL, TOOL_LOGIN_URL, LoopbackServer

#: edx-platform's pattern for usage ids in URLs (``lms/envs/common.py``).
USAGE_ID_PATTERN = r"(?P<usage_id>(?:i4x://?[^/]+/[^/]+/[^/]+/[^@]+(?:@[^/]+)?)|(?:[^/]+))"
PLATFORM_NAME = "Oakfield Open edX"

# The URLconf of the platform's Django app: the library's own URLs, where the LMS mounts them.
urlpatterns: list[Any] = []


class _LazyWsgi:
    """The server needs an app before Django can be configured with the server's port."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


def _configure(base_url: str, database: Path) -> None:
    import django
    from django.conf import settings
    from django.urls import include, path

    settings.configure(
        DEBUG=False,
        SECRET_KEY="open-edx-interop-test-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "rest_framework",
            "django_filters",
            "config_models",
            "lti_consumer",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(database),
                # The server's threads and the test's share the file.
                "OPTIONS": {"timeout": 30},
            }
        },
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {"context_processors": []},
            }
        ],
        ROOT_URLCONF=__name__,
        USAGE_ID_PATTERN=USAGE_ID_PATTERN,
        PLATFORM_NAME=PLATFORM_NAME,
        LMS_ROOT_URL=base_url,
        LTI_BASE=base_url,
        LTI_API_BASE=base_url,
    )
    django.setup()
    urlpatterns.append(path("api/", include("lti_consumer.plugin.urls")))


# ---------------------------------------------------------------- edx-platform's side


@dataclass
class Learner:
    """A user of the LMS and the external id the LTI launches and NRPS carry for them."""

    id: int
    username: str
    name: str
    email: str
    role: str  # an Open edX course role: "student", "instructor", "staff", ...

    @property
    def external_user_id(self) -> str:
        # edx-platform's ExternalId: a UUID per user and type ("lti").
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"openedx-lti-user:{self.id}"))


@dataclass
class PublishedGrade:
    """What ``set_user_module_score`` wrote to the LMS gradebook."""

    user_id: int
    score: float
    max_score: float
    comment: str | None


@dataclass
class CourseBlock:
    """The LTI consumer XBlock as the modulestore would hand it to the library."""

    location: Any
    display_name: str
    weight: float = 1.0
    lti_1p3_passport_id: Any = None
    has_score: bool = True
    accept_grades_past_due: bool = True
    start: Any = None
    due: Any = None
    grades: list[PublishedGrade] = field(default_factory=list)

    @property
    def context_id(self) -> str:
        return str(self.location.course_key)

    @property
    def scope_ids(self) -> Any:
        return SimpleNamespace(usage_id=self.location)

    def is_past_due(self) -> bool:
        return False

    def max_score(self) -> float:
        return self.weight

    def set_user_module_score(
        self, user: Learner, score: float, max_score: float, comment: str | None = None
    ) -> None:
        self.grades.append(PublishedGrade(user.id, score, max_score, comment))


class EdxPlatform:
    """The served platform and the stand-ins for edx-platform, one course block per test."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.url = server.url
        self.blocks: dict[str, CourseBlock] = {}
        self.members: dict[str, list[Learner]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # ------------------------------------------------------------ the compat stand-ins

    def _block(self, location: Any) -> CourseBlock:
        return self.blocks[str(location)]

    def _learner(self, external_user_id: str) -> Learner:
        for learners in self.members.values():
            for learner in learners:
                if learner.external_user_id == external_user_id:
                    return learner
        raise LookupError(external_user_id)

    def _course_members(self, course_key: Any) -> dict[int, dict[str, Any]]:
        # edx-platform's course_api.get_course_members: {user id: {id, username, email,
        # name, roles}}.
        return {
            learner.id: {
                "id": learner.id,
                "username": learner.username,
                "email": learner.email,
                "name": learner.name,
                "roles": [learner.role],
            }
            for learner in self.members.get(str(course_key), [])
        }

    def _external_ids(self, users: Any) -> Any:
        platform = self

        class _External:
            def __init__(self, user_id: int) -> None:
                learner = next(
                    one
                    for learners in platform.members.values()
                    for one in learners
                    if one.id == user_id
                )
                self.external_user_id = learner.external_user_id

        class _ById(dict[int, Any]):
            def __getitem__(self, user_id: int) -> Any:
                return _External(user_id)

        return _ById()

    def patches(self) -> Iterator[tuple[str, Any]]:
        """(compat attribute, stand-in) pairs for ``monkeypatch``/``mock.patch``."""
        yield "load_enough_xblock", self._block
        yield "load_block_as_user", self._block
        yield "get_user_from_external_user_id", self._learner
        yield "get_course_members", self._course_members
        yield "batch_get_or_create_externalids", self._external_ids
        yield "user_has_studio_write_access", lambda *_a, **_k: True

    # ------------------------------------------------------------ setting up a course

    def add_block(
        self,
        *,
        tool_keyset_url: str,
        ags_mode: str = "declarative",
        course: str | None = None,
        name: str = "SEND awareness",
        weight: float = 1.0,
        custom: dict[str, Any] | None = None,
    ) -> EdxTool:
        """An LTI consumer block in a course, configured for the tool (on the model)."""
        from lti_consumer.models import LtiConfiguration
        from opaque_keys.edx.keys import UsageKey

        with self._lock:
            number = next(self._ids)
        # A course run of its own per block: the platform outlives each test.
        course = course or f"SENDx+CPD101+run{number:04d}{uuid.uuid4().hex[:6]}"
        location = UsageKey.from_string(
            f"block-v1:{course}+type@lti_consumer+block@send{uuid.uuid4().hex[:8]}"
        )
        block = CourseBlock(location=location, display_name=name, weight=weight)
        self.blocks[str(location)] = block
        config = LtiConfiguration.objects.create(
            version=LtiConfiguration.LTI_1P3,
            config_store=LtiConfiguration.CONFIG_ON_DB,
            location=location,
            lti_1p3_oidc_url=TOOL_LOGIN_URL,
            lti_1p3_launch_url=TOOL_LAUNCH_URL,
            lti_advantage_ags_mode=ags_mode,
            lti_advantage_enable_nrps=True,
            lti_advantage_deep_linking_enabled=True,
            lti_advantage_deep_linking_launch_url=TOOL_LAUNCH_URL,
        )
        # The post_save signal made the passport: the tool's keys go there.
        config.refresh_from_db()
        passport = config.lti_1p3_passport
        passport.lti_1p3_tool_keyset_url = tool_keyset_url
        passport.save()
        config.refresh_from_db()
        return EdxTool(self, config, block, dict(custom or {}))


@dataclass
class EdxTool:
    """One configured LTI consumer block (the tool placed in a course)."""

    platform: EdxPlatform
    config: Any
    block: CourseBlock
    custom: dict[str, Any]

    @property
    def course_key(self) -> str:
        return str(self.block.location.course_key)

    @property
    def resource_link_id(self) -> str:
        return str(self.block.location)

    # What an admin types into the tool's registration form (the block's LTI settings page).
    @property
    def issuer(self) -> str:
        from lti_consumer.utils import get_lti_api_base

        return str(get_lti_api_base())

    @property
    def client_id(self) -> str:
        return str(self.config.lti_1p3_client_id)

    @property
    def deployment_id(self) -> str:
        return "1"  # hardcoded by the library ("we're not using multi-tenancy")

    @property
    def auth_login_url(self) -> str:
        from lti_consumer.utils import get_lms_lti_launch_link

        return str(get_lms_lti_launch_link())

    @property
    def auth_token_url(self) -> str:
        from lti_consumer.utils import get_lms_lti_access_token_link

        return str(get_lms_lti_access_token_link(self.config.passport_id))

    @property
    def key_set_url(self) -> str:
        from lti_consumer.utils import get_lms_lti_keyset_link

        return str(get_lms_lti_keyset_link(self.config.passport_id))

    def enrol(self, *learners: Learner) -> None:
        self.platform.members.setdefault(self.course_key, []).extend(learners)

    def login_url(
        self,
        learner: Learner,
        *,
        deep_link: bool = False,
        content_item: int | None = None,
        pii: bool = True,
    ) -> str:
        """The OIDC login initiation URL the XBlock's view points the browser at. Without
        ``pii`` (Open edX's default: the block's "send username/email" settings are off) the
        launch carries no name, username or email."""
        from lti_consumer.api import get_lti_1p3_launch_start_url
        from lti_consumer.data import Lti1p3LaunchData

        launch_data = Lti1p3LaunchData(
            user_id=learner.id,
            user_role=learner.role,
            config_id=self.config.config_id,
            resource_link_id=self.resource_link_id,
            external_user_id=learner.external_user_id,
            preferred_username=learner.username if pii else None,
            name=learner.name if pii else None,
            email=learner.email if pii else None,
            launch_presentation_document_target="iframe",
            context_id=self.course_key,
            context_type=["course_offering"],
            context_title="SEND CPD",
            context_label="CPD101",
            custom_parameters=self.custom,
        )
        return str(
            get_lti_1p3_launch_start_url(
                launch_data, deep_link_launch=deep_link, dl_content_id=content_item
            )
        )

    def line_items(self) -> list[Any]:
        from lti_consumer.models import LtiAgsLineItem

        return list(LtiAgsLineItem.objects.filter(lti_configuration=self.config).order_by("id"))

    def scores(self) -> list[Any]:
        from lti_consumer.models import LtiAgsScore

        return list(
            LtiAgsScore.objects.filter(line_item__lti_configuration=self.config).order_by("id")
        )

    def content_items(self) -> list[Any]:
        from lti_consumer.models import LtiDlContentItem

        return list(LtiDlContentItem.objects.filter(lti_configuration=self.config).order_by("id"))


def start(database: Path) -> EdxPlatform:
    """Configure Django, migrate the platform's database and serve it on loopback."""
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    app = _LazyWsgi()
    server = LoopbackServer(app, name="open-edx")
    _configure(server.url, database)
    call_command("migrate", interactive=False, verbosity=0)
    app.app = get_wsgi_application()
    return EdxPlatform(server.start())
