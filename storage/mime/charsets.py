"""Charset labels -> Python codecs (the WHATWG Encoding Standard's table plus mail-only labels)
and :func:`decode_bytes`, which never raises."""

from __future__ import annotations

import codecs
import re
from functools import cache, lru_cache

# --------------------------------------------------------------------------------------------
# Charsets
# --------------------------------------------------------------------------------------------

_GUESS = "<guess>"  # read as UTF-8 if valid, else windows-1252
_USER_DEFINED = "<x-user-defined>"
_REPLACEMENT = "<replacement>"

# WHATWG Encoding Standard label table (https://encoding.spec.whatwg.org/#names-and-labels),
# keyed by the Python codec that implements each encoding. Deviations, all deliberate for mail:
# us-ascii labels guess UTF-8 first (mislabelled UTF-8 is common); iso-2022-kr and hz-gb-2312
# are real MIME charsets (RFC 1557, RFC 1842) and are decoded instead of mapped to "replacement".
_WHATWG_TABLE = """
utf-8           unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8
cp866           866 cp866 csibm866 ibm866
iso8859-2       csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987
                l2 latin2
iso8859-3       csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988
                l3 latin3
iso8859-4       csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988
                l4 latin4
iso8859-5       csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5
                iso_8859-5:1988
iso8859-6       arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6
                iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6
                iso_8859-6:1987
iso8859-7       csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7
                iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek
iso8859-8       csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8
                iso88598 iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical
iso8859-10      csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6
iso8859-13      iso-8859-13 iso8859-13 iso885913
iso8859-14      iso-8859-14 iso8859-14 iso885914
iso8859-15      csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9
iso8859-16      iso-8859-16
koi8-r          cskoi8r koi koi8 koi8-r koi8_r
koi8-u          koi8-ru koi8-u
mac-roman       csmacintosh mac macintosh x-mac-roman
cp874           dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874
cp1250          cp1250 windows-1250 x-cp1250
cp1251          cp1251 windows-1251 x-cp1251
cp1252          cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591
                iso_8859-1 iso_8859-1:1987 l1 latin1 windows-1252 x-cp1252
<guess>         ansi_x3.4-1968 ascii us-ascii
cp1253          cp1253 windows-1253 x-cp1253
cp1254          cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9
                iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254
cp1255          cp1255 windows-1255 x-cp1255
cp1256          cp1256 windows-1256 x-cp1256
cp1257          cp1257 windows-1257 x-cp1257
cp1258          cp1258 windows-1258 x-cp1258
mac-cyrillic    x-mac-cyrillic x-mac-ukrainian
gb18030         chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk
                gb18030
big5hkscs       big5 big5-hkscs cn-big5 csbig5 x-x-big5
euc_jp          cseucpkdfmtjapanese euc-jp x-euc-jp
iso2022_jp_ext  csiso2022jp iso-2022-jp
cp932           csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis
cp949           cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989
                ksc5601 ksc_5601 windows-949
iso2022_kr      csiso2022kr iso-2022-kr
hz              hz-gb-2312
<replacement>   iso-2022-cn iso-2022-cn-ext
utf-16-be       unicodefffe utf-16be
utf-16-le       csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le
<x-user-defined> x-user-defined
"""

# Labels seen in real mail that the WHATWG table lacks but Python can decode.
_MAIL_TABLE = """
utf-7           utf-7 utf7 unicode-1-1-utf-7 csunicode11utf7
utf-32          utf-32 ucs-4
utf-32-le       utf-32le
utf-32-be       utf-32be
cp437           cp437 ibm437 437
cp850           cp850 ibm850 850
cp852           cp852 ibm852 852
gb18030         cp936 ms936 windows-936 euc-cn x-euc-cn eucgb2312_cn
big5hkscs       big5_tw
cp932           cp932 windows-932 x-ms-cp932
iso2022_jp_2    iso-2022-jp-2
iso2022_jp_3    iso-2022-jp-3
shift_jisx0213  shift_jisx0213
euc_jisx0213    euc-jisx0213
mac-latin2      x-mac-ce x-mac-centraleurroman
mac-greek       x-mac-greek
mac-turkish     x-mac-turkish
mac-iceland     x-mac-icelandic
"""


@cache
def _label_maps() -> tuple[dict[str, str], dict[str, str]]:
    """label -> codec, and the same keyed by the label squeezed to letters and digits. Built on
    first use: ``codecs.lookup`` imports each codec's module (~20 ms), which opening the cache
    and the TUI's first screen never need."""
    exact: dict[str, str] = {}
    rows: list[tuple[str, list[str]]] = []
    for line in (_WHATWG_TABLE + _MAIL_TABLE).strip("\n").splitlines():
        words = line.split()
        if line[:1].isspace():
            rows[-1][1].extend(words)  # a continuation line: more labels of the same codec
        elif words:
            rows.append((words[0], words[1:]))
    for codec, labels in rows:
        if not codec.startswith("<"):
            try:
                codecs.lookup(codec)
            except LookupError:
                continue
        for label in labels:
            exact.setdefault(label, codec)
    squeezed: dict[str, str] = {}
    for label, codec in exact.items():
        squeezed.setdefault(_squeeze(label), codec)
    return exact, squeezed


def _squeeze(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label)


def __getattr__(name: str) -> dict[str, str]:
    """``_LABELS`` / ``_SQUEEZED_LABELS``: the label maps, built when first asked for."""
    if name == "_LABELS":
        return _label_maps()[0]
    if name == "_SQUEEZED_LABELS":
        return _label_maps()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_USER_DEFINED_TABLE = {b: 0xF780 + b - 0x80 for b in range(0x80, 0x100)}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # Python's UTF-7 decoder can emit them
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))


@lru_cache(maxsize=512)
def _codec_for(charset: str | None) -> str:
    """The codec for a charset label, or ``_GUESS`` when the label is missing or unknown."""
    if not charset:
        return _GUESS
    label = charset.strip().strip("\"'").strip().lower()
    label = label.split("*", 1)[0].split(";", 1)[0]  # RFC 2231 language suffix: utf-8*en
    label = label.split(None, 1)[0] if label.strip() else ""  # "iso-8859-1 (Latin-1)"
    labels, squeezed_labels = _label_maps()
    codec = labels.get(label)
    if codec is None:
        codec = squeezed_labels.get(_squeeze(label), _GUESS)
    return codec


def _guess_decode(data: bytes) -> str:
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _decode_with(data: bytes, codec: str) -> str:
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_codec, "replace")
    if codec == _GUESS:
        return _guess_decode(data)
    if codec == _USER_DEFINED:
        return data.decode("latin-1").translate(_USER_DEFINED_TABLE)
    if codec == _REPLACEMENT:
        return "\ufffd"
    return data.decode(codec, "replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode ``data`` declared as ``charset`` (WHATWG label aliases, ``errors="replace"``).

    A byte-order mark wins over the label. A missing or unknown label is read as UTF-8 when the
    bytes are valid UTF-8, else as windows-1252. Never raises.
    """
    try:
        raw = bytes(data)
    except Exception:
        return ""
    if not raw:
        return ""
    try:
        codec = _codec_for(charset)
        text = _decode_with(raw, codec)
        return _LONE_SURROGATE.sub("\ufffd", text) if codec == "utf-7" else text
    except Exception:
        return raw.decode("cp1252", "replace")
