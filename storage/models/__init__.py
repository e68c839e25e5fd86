"""Plain, frozen values that cross from ``storage`` into the UI and the CLI.

Nothing here imports Textual, IMAP or TinyDB. Strings hold the *decoded* text of the mail; the
``sanitized()`` methods return a copy safe to show on a terminal (see ``storage.sanitize``). The
service hands the UI sanitised copies; the CLI's ``--json`` output uses the decoded originals.

Modules: ``mail`` (addresses, threads, messages, attachments, the list's query), ``tags``,
``syncing`` (sync results and the live mirror), ``reports`` (insight values), ``responses``
(first-reply times), ``day`` (saved quotes and the customer day). Every name is importable
from ``storage.models``.
"""

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
    Attachment,
    AttachmentFile,
    Link,
    MessageView,
    SavedFile,
    ServerSearch,
    ThreadDetail,
    ThreadQuery,
    ThreadSummary,
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
