"""Configuration: where the files live, the TOML config file, and IMAP passwords.

The config file is TOML, found at ``--config``, else ``$SUPPORTMAIL_CONFIG``, else
``config.toml`` in the platform's user config directory (``~/.config/supportmail/`` on Linux).
Data (cache, notes, outbox) lives in ``--data-dir``, else ``$SUPPORTMAIL_DATA``, else the platform's
user data directory (``~/.local/share/supportmail/`` on Linux). A missing config file is not an
error: it means "no accounts yet".

Validation is strict. Every mistake becomes one :class:`ConfigError` whose text is a single line
naming the file (with ``:LINE`` when the key's line can be found), the key and what is wrong, e.g.
``config.toml:7: accounts.support.port: must be an integer 1-65535, got 'abc'``. Unknown keys are
errors too, with a close-match hint (``unknown key 'prot' (did you mean 'port'?)``).

Every key is one entry of ``schema.SCHEMA`` (its type, default, meaning and check); the reference,
docs/configuration.md, is generated from it by ``python -m supportmail.storage.settings.reference``.

Modules: ``model`` (the validated data), ``errors`` (ConfigError and its message parts),
``values`` (the value checks), ``schema`` (the key table), ``loading`` (file locations, the
loader and validator), ``smtp`` (the ``[accounts.NAME.smtp]`` table), ``passwords`` (password
sources), ``reference`` (the generated docs).
"""

from supportmail.storage.settings.errors import ConfigError, PasswordError
from supportmail.storage.settings.loading import config_path, data_dir, load_settings
from supportmail.storage.settings.model import AccountConfig, BodiesSetting, Settings
from supportmail.storage.settings.passwords import get_password

__all__ = [
    "AccountConfig",
    "BodiesSetting",
    "ConfigError",
    "PasswordError",
    "Settings",
    "config_path",
    "data_dir",
    "get_password",
    "load_settings",
]
