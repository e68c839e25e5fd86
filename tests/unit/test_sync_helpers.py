"""The sync engine's UID set difference (a merge over sorted UIDs, no sets)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from supportmail.storage.sync.headers import _minus

_uids = st.lists(st.integers(1, 80), unique=True).map(sorted)


@given(_uids, _uids)
def test_minus_is_the_set_difference_in_order(a: list[int], b: list[int]) -> None:
    assert _minus(a, b) == sorted(set(a) - set(b))
