"""Shared hypothesis strategies and settings for the property tests.

Every test here runs derandomized (the same examples on every machine, so CI is reproducible), with no deadline (a
slow CI box must not turn a passing example into a flaky failure) and no example database (nothing written to the
working tree). Failures found once are kept as explicit @example()s next to the property.
"""
from __future__ import annotations

import string

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def props(max_examples: int):
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# Characters with a meaning somewhere in a URL, a query or a canonical string, plus the ones HTTP clients and
# percent-encoders get wrong (space, '+', '%', '~', tab) and a few multi-byte ones.
RESERVED = list(" !\"#$%&'()*+,/:;<=>?@[\\]^`{|}~\t.-_") + ["%2F", "%20", "%25", "%2B", "..", "ü", "日本", "😀",
                                                           "\u00a0", "\u2028", "\x00", "\x7f"]

#: Any unicode (no surrogates: they cannot be encoded to UTF-8, so no key can hold one), biased towards RESERVED.
unicode_text = st.lists(st.one_of(st.sampled_from(RESERVED), st.characters(codec="utf-8"),
                                  st.text(string.ascii_letters + string.digits, min_size=1, max_size=4)),
                        max_size=12).map("".join)
nonempty_text = unicode_text.filter(bool)

# Header values as an HTTP client can send them (latin-1, no CR/LF), with odd spacing: leading, trailing and runs
# of spaces and tabs, and the non-breaking space.
_VALUE_PIECES = st.one_of(st.sampled_from([" ", "  ", "\t", " \t ", "\u00a0", "a", "b c", "x=y", ",", ";", '"q"',
                                           "é", "/", "+", "%41", "~"]),
                          st.text(string.printable.replace("\r", "").replace("\n", "")
                                  .replace("\x0b", "").replace("\x0c", ""), max_size=6))
odd_header_value = st.lists(_VALUE_PIECES, max_size=8).map("".join)
