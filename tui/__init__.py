"""The terminal side of supportmail: the Textual app (main screen, controllers, modal screens,
widgets) and the scriptable CLI (``cli``), both over ``supportmail.storage.service``. Installed as
``supportmail.tui``; ``python -m supportmail.tui`` is the ``supportmail`` command.

Importing the package sets Textual's frame rate to 120 frames a second unless ``TEXTUAL_FPS``
says otherwise, before anything here imports Textual (which reads it once). A key's change waits
for the next frame: at Textual's default of 60 the median key -> frame time was 15-20 ms on the
50k benchmark, at 120 it is 5-11 ms (``tests/bench/bench_keys_mirror.py``, ``docs/bodies.md``).
Frames are drawn only when something changed, so an idle screen costs nothing more.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
