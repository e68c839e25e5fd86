"""The mail side of supportmail, UI-free: the service the UI and the CLI call (``service``) over
the sync engine, the IMAP layer, the sqlite cache, the user's own store, MIME parsing and the
insight reports. Installed as ``supportmail.storage``; ``docs/architecture.md`` has the layers."""
