"""Plain, frozen values that cross from ``storage`` into the UI and the CLI.

Nothing here imports Textual, IMAP or TinyDB. Strings hold the *decoded* text of the mail; the
``sanitized()`` methods return a copy safe to show on a terminal (see ``storage.sanitize``). The
service hands the UI sanitised copies; the CLI's ``--json`` output uses the decoded originals.

Modules: ``mail`` (addresses, a thread's summary, the list's query), ``messages`` (a thread's
messages, attachments, links, a server search's finds), ``tags``,
``syncing`` (sync results and the live mirror), ``reports`` (insight values), ``responses``
(first-reply times), ``day`` (saved quotes and the customer day). Every name is importable
from ``storage.models``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportmail.storage.lazy import lazy_exports

if TYPE_CHECKING:
    from supportmail.storage.models.day import (
        DayNote,
        DayProgress,
        DayShift,
        DaySummary,
        DayTag,
        DayThread,
        SavedQuote,
    )
    from supportmail.storage.models.mail import (
        LOCAL_FOLDER,
        Address,
        ThreadQuery,
        ThreadSummary,
    )
    from supportmail.storage.models.messages import (
        Attachment,
        AttachmentFile,
        Link,
        MessageView,
        SavedFile,
        ServerSearch,
        ThreadDetail,
    )
    from supportmail.storage.models.reports import (
        BugGroup,
        BugReach,
        Coverage,
        Digest,
        DigestGroup,
        DigestItem,
        FeatureRequest,
        Granularity,
        PeriodCount,
        Quote,
        Report,
        ReportMessage,
        ReportThread,
        SpikeTest,
        TagReport,
        Trend,
        VoiceReport,
    )
    from supportmail.storage.models.responses import (
        FirstReply,
        ResponseReport,
        ResponseStats,
        TagResponses,
        Waiting,
    )
    from supportmail.storage.models.syncing import LiveEvent, LiveHandle, SyncProgress, SyncResult
    from supportmail.storage.models.tags import TagEditResult, TagInfo, TagKind

__all__ = [
    "LOCAL_FOLDER",
    "Address",
    "Attachment",
    "AttachmentFile",
    "BugGroup",
    "BugReach",
    "Coverage",
    "DayNote",
    "DayProgress",
    "DayShift",
    "DaySummary",
    "DayTag",
    "DayThread",
    "Digest",
    "DigestGroup",
    "DigestItem",
    "FeatureRequest",
    "FirstReply",
    "Granularity",
    "Link",
    "LiveEvent",
    "LiveHandle",
    "MessageView",
    "PeriodCount",
    "Quote",
    "Report",
    "ReportMessage",
    "ReportThread",
    "ResponseReport",
    "ResponseStats",
    "SavedFile",
    "SavedQuote",
    "ServerSearch",
    "SpikeTest",
    "SyncProgress",
    "SyncResult",
    "TagEditResult",
    "TagInfo",
    "TagKind",
    "TagReport",
    "TagResponses",
    "ThreadDetail",
    "ThreadQuery",
    "ThreadSummary",
    "Trend",
    "VoiceReport",
    "Waiting",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "DayNote": "day",
        "DayProgress": "day",
        "DayShift": "day",
        "DaySummary": "day",
        "DayTag": "day",
        "DayThread": "day",
        "SavedQuote": "day",
        "LOCAL_FOLDER": "mail",
        "Address": "mail",
        "Attachment": "messages",
        "AttachmentFile": "messages",
        "Link": "messages",
        "MessageView": "messages",
        "SavedFile": "messages",
        "ServerSearch": "messages",
        "ThreadDetail": "messages",
        "ThreadQuery": "mail",
        "ThreadSummary": "mail",
        "BugGroup": "reports",
        "BugReach": "reports",
        "Coverage": "reports",
        "Digest": "reports",
        "DigestGroup": "reports",
        "DigestItem": "reports",
        "FeatureRequest": "reports",
        "Granularity": "reports",
        "PeriodCount": "reports",
        "Quote": "reports",
        "Report": "reports",
        "ReportMessage": "reports",
        "ReportThread": "reports",
        "SpikeTest": "reports",
        "TagReport": "reports",
        "Trend": "reports",
        "VoiceReport": "reports",
        "FirstReply": "responses",
        "ResponseReport": "responses",
        "ResponseStats": "responses",
        "TagResponses": "responses",
        "Waiting": "responses",
        "LiveEvent": "syncing",
        "LiveHandle": "syncing",
        "SyncProgress": "syncing",
        "SyncResult": "syncing",
        "TagEditResult": "tags",
        "TagInfo": "tags",
        "TagKind": "tags",
    },
)
