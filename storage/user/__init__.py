"""What people author and must never lose: the userdb, the tag catalog, the mail outbox.

``db`` is the user's TinyDB file (:class:`storage.user.db.UserDB`), built from ``atomic`` (the
crash-safe storage), ``filelock`` (one writer at a time, fairly) and one module per table group:
``catalog_store``, ``notes``, ``tag_outbox``, ``journal`` (saved quotes and activity), over the
plain rows of ``records`` (the error, pending edits) and ``journal_rows`` (quotes, activity).
``catalog`` is the shared tag catalog as data (entries, tags, merge, codec; the service's side
is ``storage.service.tag_catalog``); ``mail_outbox`` holds every reply and forward as a file
until it is filed in Sent.
"""
