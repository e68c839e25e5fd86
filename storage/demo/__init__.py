"""The bundled demo mailbox: whose it is (``account``) and the generator that writes its mail.

``account`` is light and imported at start-up (the demo's account name and address, resetting
it). ``generator`` (``demo_messages``, ``demo_notes``) is imported only when an empty demo cache
needs the mail; it builds on ``common`` (seed, ``DemoMessage``, time zones, text helpers),
``handwritten`` (the texts in ``data/*.toml``), ``people``, ``scenarios``, ``plans``,
``conversation``, ``quoting``, ``encoding``, ``attachments`` and ``render``.
"""
