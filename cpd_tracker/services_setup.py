"""Wires services to their collaborators for each request (see ``registry.get_service``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_login import current_user

from cpd_tracker.correlation import correlation_id
from cpd_tracker.extensions import db
from cpd_tracker.metrics import TimedStatusFacts
from cpd_tracker.registry import clock, get_service, init_registry
from cpd_tracker.services.advantage import AdvantageLaunchService
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.calendars import CalendarService
from cpd_tracker.services.catalogue import CatalogueService
from cpd_tracker.services.certificates import CertificateService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.course_links import CourseLinkService
from cpd_tracker.services.coverage import ReportService
from cpd_tracker.services.cpd_record import CpdRecordService
from cpd_tracker.services.data_access import DataAccessService
from cpd_tracker.services.deep_linking import DeepLinkingService
from cpd_tracker.services.dynamic_registration import DynamicRegistrationService
from cpd_tracker.services.erasure import ErasureService
from cpd_tracker.services.evidence_notices import EvidenceNotices
from cpd_tracker.services.identity import IdentityService
from cpd_tracker.services.identity_links import IdentityLinkService
from cpd_tracker.services.imports import ImportService
from cpd_tracker.services.invitations import InvitationService
from cpd_tracker.services.keys import KeyService
from cpd_tracker.services.launch import LaunchService
from cpd_tracker.services.launch_state import DbLaunchStateStore, DbRegistrationStore
from cpd_tracker.services.learning import LearningService
from cpd_tracker.services.outbox import OutboxService
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.services.permission_admin import PermissionAdminService
from cpd_tracker.services.person_page import PersonPageService
from cpd_tracker.services.rate_limits import RateLimiter
from cpd_tracker.services.records import EvidenceService, InsetService, PersonRecordService
from cpd_tracker.services.registrations import RegistrationService
from cpd_tracker.services.reminder_settings import ReminderSettingsService
from cpd_tracker.services.reminders import ReminderService, email_templates
from cpd_tracker.services.requirements import RequirementService
from cpd_tracker.services.roster import RosterService
from cpd_tracker.services.scores import ScoreService
from cpd_tracker.services.senco import SencoService
from cpd_tracker.services.senco_documents import SencoDocumentService
from cpd_tracker.services.snapshots import SnapshotService
from cpd_tracker.services.spend import SpendReportService, SpendService
from cpd_tracker.services.spend.imports import PurchaseImportService
from cpd_tracker.services.staff import StaffService
from cpd_tracker.services.status_facts import StatusFactsService, install_status_listeners
from cpd_tracker.services.subject_access import SubjectAccessService
from cpd_tracker.services.training_requests import TrainingRequestService
from cpd_tracker.services.waiting_counts import WaitingCounts
from cpd_tracker.storage import EvidenceStore, evidence_root
from cpd_tracker.urls import tool_base_url, tool_hosts
from lti.http import HttpClient
from lti.jwks import MemoryKeySetCache, PlatformKeys
from lti.outbound import OutboundPolicy


def request_actor() -> Actor:
    if current_user.is_authenticated:
        return Actor("person", person_id=current_user.id, correlation_id=correlation_id())
    return Actor("lti-launch", correlation_id=correlation_id())


def _audit() -> AuditService:
    return AuditService(db.session, request_actor())


def _keys() -> KeyService:
    return KeyService(
        db.session, secret=current_app.config["SECRET_KEY"], clock=clock, audit=_audit()
    )


def _platform_keys() -> PlatformKeys:
    return PlatformKeys(current_app.extensions["http"], current_app.extensions["jwks_cache"], clock)


def _launch() -> LaunchService:
    return LaunchService(
        db.session,
        registrations=DbRegistrationStore(db.session),
        states=DbLaunchStateStore(db.session),
        keys=get_service(PlatformKeys),
        identity=get_service(IdentityService),
        clock=clock,
        tool_hosts=tool_hosts(),
        launch_url=tool_base_url() + "/lti/launch",
        leeway=current_app.config["LTI_LEEWAY_SECONDS"],
        advantage=get_service(AdvantageLaunchService),
    )


def _advantage() -> AdvantageLaunchService:
    return AdvantageLaunchService(
        db.session,
        DeepLinkingService(
            db.session, _audit(), clock, _keys(), launch_url=tool_base_url() + "/lti/launch"
        ),
        get_service(RosterService),
        ScoreService(db.session, _audit(), clock),
    )


def _dynamic_registration() -> DynamicRegistrationService:
    audit = AuditService(db.session, Actor("dynamic-registration", correlation_id=correlation_id()))
    return DynamicRegistrationService(
        db.session,
        audit,
        RegistrationService(db.session, audit),
        current_app.extensions["http"],
        base_url=tool_base_url(),
        # http on loopback only where the HTTP guard allows loopback at all (demo, tests, a
        # local interop suite): the configuration URL comes from the browser.
        allow_loopback_http=outbound_policy(current_app.config).allow_loopback,
    )


def outbound_policy(config: Mapping[str, Any]) -> OutboundPolicy:
    """Where the tool may connect (lti.outbound): public addresses only, loopback as well in
    demo and test mode or when the operator says so (CPD_TRACKER_OUTBOUND_ALLOW_LOOPBACK, for
    a local interop suite and the benchmark, never a public deployment)."""
    return OutboundPolicy(
        allow_loopback=bool(
            config["DEMO_MODE"] or config["TESTING"] or config["OUTBOUND_ALLOW_LOOPBACK"]
        ),
        total_deadline=config["HTTP_DEADLINE"],
        max_bytes=config["HTTP_MAX_BYTES"],
        max_in_flight=config["HTTP_MAX_IN_FLIGHT"],
    )


def init_services(app: Flask) -> None:
    from cpd_tracker.lti_outbox import init_lti_outbox

    app.extensions.setdefault(
        "http", HttpClient(timeout=app.config["HTTP_TIMEOUT"], policy=outbound_policy(app.config))
    )
    app.extensions.setdefault("jwks_cache", MemoryKeySetCache())
    init_lti_outbox(app)
    install_status_listeners()
    init_registry(
        app,
        {
            AuditService: _audit,
            KeyService: _keys,
            IdentityService: lambda: IdentityService(db.session, _audit(), clock),
            DbRegistrationStore: lambda: DbRegistrationStore(db.session),
            DbLaunchStateStore: lambda: DbLaunchStateStore(db.session),
            PlatformKeys: _platform_keys,
            RegistrationService: lambda: RegistrationService(db.session, _audit()),
            InvitationService: lambda: InvitationService(db.session, _audit(), clock),
            RateLimiter: lambda: RateLimiter(db.engine, clock),
            CourseLinkService: lambda: CourseLinkService(
                db.session, _audit(), clock, get_service(IdentityService)
            ),
            LaunchService: _launch,
            OverviewService: lambda: OverviewService(db.session),
            PermissionAdminService: lambda: PermissionAdminService(db.session, _audit()),
            ImportService: lambda: ImportService(db.session, _audit(), clock),
            ComplianceService: lambda: ComplianceService(db.session),
            DataAccessService: lambda: DataAccessService(db.session, clock),
            CatalogueService: lambda: CatalogueService(db.session, _audit(), clock),
            LearningService: lambda: LearningService(db.session, _audit(), clock),
            RequirementService: lambda: RequirementService(db.session, _audit(), clock),
            EvidenceService: lambda: EvidenceService(
                db.session,
                _audit(),
                clock,
                EvidenceStore(evidence_root()),
                EvidenceNotices(db.session, clock, tool_base_url()),
            ),
            InsetService: lambda: InsetService(
                db.session, _audit(), clock, get_service(ComplianceService)
            ),
            PersonRecordService: lambda: PersonRecordService(
                db.session, _audit(), clock, get_service(ComplianceService)
            ),
            PersonPageService: lambda: PersonPageService(
                clock,
                get_service(StaffService),
                get_service(PersonRecordService),
                get_service(TrainingRequestService),
                get_service(EvidenceService),
                get_service(ErasureService),
            ),
            DynamicRegistrationService: _dynamic_registration,
            CpdRecordService: lambda: CpdRecordService(db.session),
            CertificateService: lambda: CertificateService(db.session),
            IdentityLinkService: lambda: IdentityLinkService(db.session, _audit(), clock),
            WaitingCounts: lambda: WaitingCounts(db.session, get_service(IdentityLinkService)),
            StaffService: lambda: StaffService(
                db.session, _audit(), clock, get_service(CpdRecordService)
            ),
            AdvantageLaunchService: _advantage,
            DeepLinkingService: lambda: DeepLinkingService(
                db.session, _audit(), clock, _keys(), launch_url=tool_base_url() + "/lti/launch"
            ),
            RosterService: lambda: RosterService(db.session, _audit(), clock),
            OutboxService: lambda: OutboxService(db.session, _audit(), clock),
            SencoService: lambda: SencoService(db.session, _audit(), clock),
            ReminderService: lambda: ReminderService(
                db.session,
                get_service(ComplianceService),
                clock,
                tool_base_url(),
                audit=_audit(),
            ),
            ReminderSettingsService: lambda: ReminderSettingsService(db.session, _audit(), clock),
            CalendarService: lambda: CalendarService(
                db.session,
                _audit(),
                clock,
                get_service(ComplianceService),
                urlsplit(tool_base_url()).netloc,
                current_app.config["SECRET_KEY"],
            ),
            SnapshotService: lambda: SnapshotService(
                db.session, get_service(ComplianceService), clock
            ),
            SpendService: lambda: SpendService(db.session, _audit(), clock),
            TrainingRequestService: lambda: TrainingRequestService(
                db.session, _audit(), clock, email_templates(), tool_base_url()
            ),
            SpendReportService: lambda: SpendReportService(
                db.session, get_service(SpendService), get_service(ComplianceService)
            ),
            PurchaseImportService: lambda: PurchaseImportService(
                db.session, _audit(), clock, get_service(SpendService)
            ),
            # Timed (metrics.py): how long pages wait for stale facts.
            StatusFactsService: lambda: TimedStatusFacts(
                db.session, get_service(ComplianceService)
            ),
            ReportService: lambda: ReportService(db.session, get_service(StatusFactsService)),
            SencoDocumentService: lambda: SencoDocumentService(
                db.session, _audit(), EvidenceStore(evidence_root())
            ),
            ErasureService: lambda: ErasureService(
                db.session, _audit(), EvidenceStore(evidence_root()), clock
            ),
            SubjectAccessService: lambda: SubjectAccessService(
                db.session,
                _audit(),
                EvidenceStore(evidence_root()),
                get_service(ComplianceService),
                clock,
            ),
        },
    )
