"""safe_text: file text made safe for a terminal (SPEC 5)."""

from kpitui.core.text import _UNSAFE, _UNSAFE_OR_NEWLINE, safe_text


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
