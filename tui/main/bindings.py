"""The main screen's key bindings: every user action with its binding id.

The key maps (``keymaps/*.toml``) rebind these by id; the help screen and the command palette
(``tui.commands``) list them. Each action is an ``action_*`` method of ``MainScreen`` (a one-line
delegation to the feature controller that does it: see docs/architecture.md).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

__all__ = ["MAIN_BINDINGS"]

MAIN_BINDINGS: list[BindingType] = [
    Binding("down,j", "thread_next", "Next thread", id="thread.next", show=False),
    Binding("up,k", "thread_prev", "Previous thread", id="thread.prev", show=False),
    Binding(
        "enter",
        "thread_open",
        "Open the thread under the cursor",
        id="thread.open",
        show=False,
    ),
    Binding("home", "thread_first", "First thread", id="thread.first", show=False),
    Binding("end", "thread_last", "Last thread", id="thread.last", show=False),
    Binding(
        "escape",
        "thread_close",
        "Back to the thread list (in the list: clear the selection)",
        id="thread.close",
        show=False,
    ),
    Binding("f", "thread_quotes", "Show or fold quoted text", id="thread.quotes", show=False),
    Binding("pagedown", "page(1)", "One page down", id="page.down", show=False),
    Binding("pageup", "page(-1)", "One page up", id="page.up", show=False),
    Binding(
        "t",
        "tag_pick",
        "Tag picker: search, toggle or create tags",
        id="tag.pick",
        show=False,
    ),
    *(
        Binding(
            str(n),
            f"tag_toggle({n})",
            f"Toggle shortcut tag {n}",
            id=f"tag.toggle.{n}",
            show=False,
        )
        for n in (*range(1, 10), 0)
    ),
    Binding("n", "note_edit", "Edit the private note of this thread", id="note.edit", show=False),
    Binding(
        "E",
        "note_external",
        "Edit the note in $EDITOR",
        id="note.external",
        show=False,
    ),
    Binding("/", "search", "Search subject, people and bodies", id="search", show=False),
    Binding(
        "S,ctrl+s",
        "search_server",
        "Search the server for the search words (mail not mirrored here)",
        id="search.server",
        show=False,
    ),
    Binding("a", "view('all')", "View: all threads", id="view.all", show=False),
    Binding(
        "u",
        "view('untagged')",
        "View: threads missing a team or a category tag",
        id="view.untagged",
        show=False,
    ),
    Binding("U", "view('unread')", "View: threads with unread mail", id="view.unread", show=False),
    Binding(
        "w",
        "view('awaiting')",
        "View: threads waiting for our reply, longest first",
        id="view.awaiting",
        show=False,
    ),
    Binding("v", "view_tag", "View: threads with one tag", id="view.tag", show=False),
    Binding(
        "M",
        "skim",
        "Morning skim: what customers wrote since your last skim",
        id="view.skim",
        show=False,
    ),
    Binding(
        "I",
        "report",
        "Report: threads, customers, spikes and trends per tag",
        id="report.open",
        show=False,
    ),
    Binding(
        "x",
        "select_toggle",
        "Select or unselect the thread (for bulk tagging)",
        id="select.toggle",
        show=False,
    ),
    Binding("z,ctrl+z", "undo", "Undo the last tag edit", id="undo", show=False),
    Binding(
        "r",
        "mark_read(True)",
        "Mark the thread (or the selection) read",
        id="mark.read",
        show=False,
    ),
    Binding(
        "R",
        "mark_read(False)",
        "Mark the thread (or the selection) unread",
        id="mark.unread",
        show=False,
    ),
    Binding(
        "right_square_bracket",
        "quote_step(1)",
        "Select the customer's next paragraph (for a quote)",
        id="quote.next",
        show=False,
    ),
    Binding(
        "left_square_bracket",
        "quote_step(-1)",
        "Select the customer's previous paragraph",
        id="quote.prev",
        show=False,
    ),
    Binding(
        "Q", "quote_save", "Save the selected paragraph as a quote", id="quote.save", show=False
    ),
    Binding(
        "C,y",
        "quote_copy",
        "Copy the selected paragraph with attribution to the clipboard",
        id="quote.copy",
        show=False,
    ),
    Binding(
        "D",
        "day_start",
        "Customer day: work through the threads missing a tag, oldest first",
        id="day.start",
        show=False,
    ),
    Binding("N", "day_skip", "Customer day: skip this thread", id="day.skip", show=False),
    Binding(
        "o",
        "attach_list",
        "Attachments of the open thread: open or save",
        id="attach.list",
        show=False,
    ),
    Binding(
        "b",
        "links_list",
        "Links of the open thread: text and real target; open or copy",
        id="links.list",
        show=False,
    ),
    Binding("e", "day_end", "Customer day: end it and show the summary", id="day.end", show=False),
    Binding("A", "answer('reply')", "Reply in $EDITOR (sent over SMTP)", id="reply", show=False),
    Binding(
        "alt+a",
        "answer('reply_all')",
        "Reply to everyone but the team",
        id="reply.all",
        show=False,
    ),
    Binding("F", "answer('forward')", "Forward the customer's message", id="forward", show=False),
    Binding("s", "sync", "Sync with the server now", id="sync", show=False),
    Binding("?,f1", "help", "Show the active keys", id="help", show=False),
    Binding("tab", "app.focus_next", "Next pane", id="focus.next", show=False),
    Binding("q", "quit", "Quit", id="quit", show=False),
]
