"""Key maps: layering, validation with one-line errors, and agreement with the app's bindings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from supportmail import keymaps
from supportmail.keymaps import KeymapError, binding_catalog, check_key, load_keymap

KEYMAP_DIR = Path(keymaps.__file__).parent


def test_default_toml_lists_exactly_the_app_binding_ids_with_their_keys() -> None:
    from textual.binding import Binding

    from supportmail.tui.app import SupportMailApp, binding_ids
    from supportmail.tui.main.screen import MainScreen

    catalog = binding_catalog()
    assert sorted(catalog) == sorted(binding_ids())
    assert len(binding_ids()) == len(set(binding_ids()))
    declared = [
        b
        for b in (*SupportMailApp.BINDINGS, *MainScreen.BINDINGS)
        if isinstance(b, Binding) and b.id is not None
    ]
    for binding in declared:
        assert binding.id is not None
        assert catalog[binding.id].keys == binding.key, binding.id
        assert catalog[binding.id].description == binding.description, binding.id


def test_required_ids_are_present() -> None:
    ids = set(binding_catalog())
    required = {
        "thread.next", "thread.prev", "thread.open", "thread.first", "thread.last", "page.down",
        "page.up", "tag.pick", *(f"tag.toggle.{n}" for n in range(10)), "note.edit",
        "note.external", "search", "view.all", "view.untagged", "view.unread", "view.tag",
        "select.toggle", "mark.read", "mark.unread", "undo", "sync", "help", "focus.next",
        "quit",
    }  # fmt: skip
    assert required <= ids


@pytest.mark.parametrize("name", ["vim", "emacs", "mutt"])
def test_named_maps_override_only_known_ids(name: str) -> None:
    data = tomllib.loads((KEYMAP_DIR / f"{name}.toml").read_text("utf-8"))
    assert set(data["keys"]) <= set(binding_catalog())
    merged = load_keymap(name)
    assert set(merged) == set(binding_catalog())
    for binding_id, keys in data["keys"].items():
        assert merged[binding_id] == keys


def test_layering_default_then_map_then_overrides() -> None:
    assert load_keymap()["thread.next"] == "down,j"
    assert load_keymap("vim")["thread.last"] == "G,end"
    assert load_keymap("vim", {"thread.last": "L"})["thread.last"] == "L"
    assert load_keymap("vim", {"thread.last": ["L", "end"]})["thread.last"] == "L,end"  # type: ignore[dict-item]
    assert load_keymap("emacs")["palette"] == "alt+x"


def test_every_builtin_key_is_a_key_textual_knows() -> None:
    from textual.keys import _character_to_key

    for name in keymaps.BUILTIN_KEYMAPS:
        for keys in load_keymap(name).values():
            for key in keys.split(","):
                base = key.split("+")[-1]
                if len(base) == 1:
                    assert _character_to_key(base)
                else:
                    assert base in keymaps.CHARACTER_KEY_NAMES or base in {
                        "down", "up", "left", "right", "enter", "escape", "home", "end",
                        "pagedown", "pageup", "tab", "space", "f1",
                    }, key  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"thread.nxt": "j"}, "unknown binding id 'thread.nxt' (did you mean 'thread.next'?)"),
        ({"thread.next": "ctl+n"}, "unknown modifier 'ctl'"),
        ({"thread.next": "pgdown"}, "unknown key name 'pgdown' in 'pgdown' (did you mean"),
        ({"thread.next": "ctrl+"}, "has no key after the modifier"),
        ({"thread.next": ""}, "empty key"),
        ({"thread.next": "a,,b"}, "empty key"),
        ({"thread.next": " "}, "empty key"),
        ({"thread.next": 3}, "keys must be a string"),
        ({"thread.next": "k"}, "key 'k' is bound to both 'thread.next' and 'thread.prev'"),
        ({"search": "?"}, "key '?' is bound to both"),
    ],
)
def test_bad_overrides_give_one_clear_line(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(KeymapError) as info:
        load_keymap("default", overrides)  # type: ignore[arg-type]
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_unknown_map_name_has_a_hint() -> None:
    with pytest.raises(KeymapError, match=r"unknown keymap 'vin' \(did you mean 'vim'\?\)"):
        load_keymap("vin")


def test_user_keymap_file_extends_a_builtin(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('extends = "vim"\n[keys]\n"sync" = "ctrl+r"\n', "utf-8")
    merged = load_keymap(str(path))
    assert merged["sync"] == "ctrl+r"
    assert merged["thread.last"] == "G,end"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[keys]\n"thread.nxt" = "j"\n', "mine.toml: unknown binding id 'thread.nxt'"),
        ("[keys\n", "mine.toml: not valid TOML"),
        ('extend = "vim"\n', "unknown setting 'extend' (did you mean 'extends'?)"),
        ('extends = "mine"\n', "unknown keymap 'mine'"),
        ("keys = 3\n", "[keys] must be a table"),
    ],
)
def test_bad_user_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(KeymapError) as info:
        load_keymap(str(path))
    assert message in str(info.value)


def test_extends_loop_is_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(f'extends = "{second}"\n', "utf-8")
    second.write_text(f'extends = "{first}"\n', "utf-8")
    with pytest.raises(KeymapError, match="loops back"):
        load_keymap(str(first))


def test_missing_file() -> None:
    with pytest.raises(KeymapError, match="keymap file not found"):
        load_keymap("/nonexistent/keys.toml")


@pytest.mark.parametrize(
    "key",
    [
        "j",
        "G",
        "?",
        "/",
        "1",
        "ctrl+n",
        "alt+x",
        "shift+tab",
        "f12",
        "question_mark",
        "ctrl+shift+1",
        "alt+less_than_sign",
        "comma",
    ],
)
def test_good_keys(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key", ["", " ", "\x1b", "ctrl", "hyper+", "ctrl+ctrl+x", "pgdown", "ctrl+foo", "super+"]
)
def test_bad_keys(key: str) -> None:
    with pytest.raises(ValueError):
        check_key(key)


def test_keymaps_never_import_textual() -> None:
    import ast

    tree = ast.parse((KEYMAP_DIR / "__init__.py").read_text("utf-8"))
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    ours = {"supportmail.tui", "supportmail.storage"}
    assert not {n for n in names if n.split(".")[0] in {"textual", "rich"}}
    assert not {n for n in names if ".".join(n.split(".")[:2]) in ours}


def test_a_user_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_bytes(b'\xef\xbb\xbfextends = "vim"\n[keys]\n"thread.next" = "n"\n')
    assert load_keymap(str(path))["thread.next"] == "n"
