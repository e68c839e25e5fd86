"""``Service``: the facades of one account combined into the one object the UI and the CLI call,
and the parts that need the whole service (answers, replies, the tag catalog, attachments)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from supportmail.storage.service.answering import Answers
from supportmail.storage.service.customer_day import DayFacade
from supportmail.storage.service.insight import InsightFacade
from supportmail.storage.service.notes import NotesFacade
from supportmail.storage.service.tags import TagsFacade

if TYPE_CHECKING:
    from supportmail.storage.service.attachments import Attachments
    from supportmail.storage.service.replying import Replies
    from supportmail.storage.service.tag_catalog import TagCatalog

__all__ = ["Service"]


class Service(DayFacade, InsightFacade, NotesFacade, TagsFacade):
    """Everything the UI can do with one account: the facades (``storage.service.api`` names
    each one's methods as a ``Protocol``) over one shared ``ServiceCore``."""

    def _attach_parts(self) -> None:
        """The parts that take the whole service, built once the shared core is open."""
        self.answers = Answers(self)

    # Built when first used (the first sync retries unsent replies and shares the catalog, just
    # after the first screen): their modules (drafting, the mail outbox) are start-up time a
    # first screen never needs.

    @cached_property
    def replies(self) -> Replies:
        from supportmail.storage.service.replying import Replies

        return Replies(self)

    @cached_property
    def tag_catalog(self) -> TagCatalog:
        from supportmail.storage.service.tag_catalog import TagCatalog

        return TagCatalog(self)

    @cached_property
    def attachments(self) -> Attachments:
        """Built when first used: the module (MIME walking, ``email.policy``) is start-up time
        a first screen never needs."""
        from supportmail.storage.service.attachments import Attachments

        return Attachments(self)
