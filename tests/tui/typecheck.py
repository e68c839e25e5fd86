"""Static checks, run by mypy (never imported by a test): the real ``Service`` and the TUI's test
doubles implement the protocols of ``storage.service.api``, so a double cannot drift from the
service it stands in for (mypy fails on a missing method or a changed signature)."""

from __future__ import annotations

from supportmail.storage.service import Service
from supportmail.storage.service.api import (
    AnswersApi,
    AttachmentsApi,
    InsightApi,
    RepliesApi,
    ServiceApi,
    TagCatalogApi,
)
from tests.tui.fake_facades import FakeAnswers, FakeAttachments
from tests.tui.fake_replies import FakeReplies
from tests.tui.fakes import NOW, FakeService, FakeTagCatalog
from tests.tui.insight_fakes import InsightFake


def real_service(service: Service) -> ServiceApi:
    return service


def fake_service(service: FakeService) -> ServiceApi:
    return service


def insight_fake(service: InsightFake) -> InsightApi:
    return service


def fake_parts(
    service: FakeService,
) -> tuple[AnswersApi, RepliesApi, TagCatalogApi, AttachmentsApi]:
    answers: AnswersApi = FakeAnswers(lambda: NOW)
    replies: RepliesApi = FakeReplies(service)
    catalog: TagCatalogApi = FakeTagCatalog(service)
    attachments: AttachmentsApi = FakeAttachments(service.threads)
    return answers, replies, catalog, attachments
