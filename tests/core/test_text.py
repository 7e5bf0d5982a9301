"""safe_text: file text made safe for a terminal (docs/contract.md#outputs)."""

import json

from kpitui.common.text import _UNSAFE, _UNSAFE_OR_NEWLINE, editable, edited, safe_json, safe_text, without_unsafe

# A control of every kind safe_text escapes: C0, DEL, C1, separators, bidi embeddings,
# overrides, isolates and marks.
EVERY_KIND = "\x00\x07\x1b\x7f\x80\x9b\x9f\u2028\u2029\u202a\u202e\u2066\u2069\u200e\u200f\u061c"


def test_control_separator_and_bidi_characters_are_escaped() -> None:
    assert safe_text("a\x1b[2Jb\tc\nd\u202ee\x7f") == "a\\x1b[2Jb\\tc\\nd\\u202ee\\x7f"
    assert safe_text("one\ntwo\u2028", newlines=True) == "one\ntwo\\u2028"
    assert safe_text("Omzet — ë€ 中文 ok") == "Omzet — ë€ 中文 ok"


def test_every_character_is_escaped_exactly_when_the_patterns_say_so() -> None:
    # safe_text skips the patterns for printable text: no character they match is printable.
    for code in range(0x110000):
        ch = chr(code)
        for pattern, newlines in ((_UNSAFE_OR_NEWLINE, False), (_UNSAFE, True)):
            expected = ch if pattern.search(ch) is None else None
            escaped = safe_text(f"x{ch}", newlines)
            if expected is None:
                assert escaped != f"x{ch}", repr(ch)
            else:
                assert escaped == f"x{ch}", repr(ch)


def test_every_kind_of_control_is_escaped_in_both_modes() -> None:
    escaped = "\\x00\\x07\\x1b\\x7f\\x80\\x9b\\x9f\\u2028\\u2029\\u202a\\u202e\\u2066\\u2069\\u200e\\u200f\\u061c"
    assert safe_text(EVERY_KIND) == escaped
    assert safe_text(EVERY_KIND, newlines=True) == escaped
    assert without_unsafe(f"a{EVERY_KIND}\n\tb") == "ab"


def test_json_keeps_its_value_and_loses_what_a_terminal_acts_on() -> None:
    value = {"name": f"x{EVERY_KIND}y", "plain": "Omzet — €1,2M"}
    text = safe_json(json.dumps(value, ensure_ascii=False, indent=2))
    assert json.loads(text) == value
    assert safe_text(text, newlines=True) == text  # nothing left to escape
    assert "€1,2M" in text  # other text stays as it is


def test_an_edit_field_reads_back_what_it_shows() -> None:
    for original in ("plain", "C:\\x1b", f"a{EVERY_KIND}b", "line\nline\\n", "tab\there\\", "\\\x1b\\"):
        shown = editable(original)
        assert safe_text(shown) == shown  # shown without a raw control
        assert edited(shown, original) == original  # untouched: exactly the value
        assert edited(shown + "!", original) == original + "!"  # edited: the controls left in stay
    assert editable("C:\\x1b") == "C:\\x1b"  # nothing to escape: shown and read as it is
    assert edited("C:\\x1b!", "C:\\x1b") == "C:\\x1b!"
    assert edited("Goal", "Goal\x1b]0;x\x07") == "Goal"  # the escapes deleted: the controls gone
