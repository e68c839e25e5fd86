"""``Service``: the facades of one account combined into the one object the UI and the CLI call,
and the parts that need the whole service (answers, replies, the tag catalog, attachments)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from supportmail.storage.service.answering import Answers
from supportmail.storage.service.attachments import Attachments
from supportmail.storage.service.customer_day import DayFacade
from supportmail.storage.service.insight import InsightFacade
from supportmail.storage.service.notes import NotesFacade
from supportmail.storage.service.replying import Replies
from supportmail.storage.service.tag_catalog import TagCatalog
from supportmail.storage.service.tags import TagsFacade
from supportmail.storage.settings import BodiesSetting

if TYPE_CHECKING:
    from supportmail.storage.imap import ImapConnection

__all__ = ["Service"]


class Service(DayFacade, InsightFacade, NotesFacade, TagsFacade):
    """Everything the UI can do with one account: the facades (``storage.service.api`` names
    each one's methods as a ``Protocol``) over one shared ``ServiceCore``."""

    def __init__(
        self,
        *,
        account: str,
        data_dir: Path,
        folders: Sequence[str],
        connector: Callable[[], ImapConnection] | None,
        team_addresses: Sequence[str] = (),
        own_address: str | None = None,
        clock: Callable[[], datetime] | None = None,
        bodies: BodiesSetting | None = None,
    ) -> None:
        super().__init__(
            account=account,
            data_dir=data_dir,
            folders=folders,
            connector=connector,
            team_addresses=team_addresses,
            own_address=own_address,
            clock=clock,
            bodies=bodies,
        )
        self.answers = Answers(self)
        self.replies = Replies(self)
        self.tag_catalog = TagCatalog(self)
        self.attachments = Attachments(self)
