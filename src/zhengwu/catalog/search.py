"""Search text for service items: the name, its full pinyin and pinyin initials (every
reading of a heteronym, so 单 finds both dan and shan), and the basic code.

Names live once, on the base item (same item, same name), so text search runs over the
base catalogue — thousands of rows, not the hundreds of thousands of listings — and the
listings follow by key."""

import re

from pypinyin import Style, pinyin

MAX_READING_VARIANTS = 24
_NON_WORD = re.compile(r"[\s\u3000（）()《》〈〉、，,。．.·\-—_/]+")


def _readings(name: str, style: Style) -> list[str]:
    """The common reading, then one variant per alternative reading of each character
    (linear in the name, unlike the full product of heteronyms)."""
    per_char = pinyin(name, style=style, heteronym=True, errors="ignore", strict=False)
    base = [readings[0].lower() for readings in per_char]
    variants = ["".join(base)]
    for position, readings in enumerate(per_char):
        for reading in readings[1:]:
            variant = base.copy()
            variant[position] = reading.lower()
            variants.append("".join(variant))
            if len(variants) >= MAX_READING_VARIANTS:
                return variants
    return variants


def normalise_query(query: str) -> str:
    return _NON_WORD.sub("", query).lower()


def build_search_text(name: str, code: str) -> str:
    """One lower-case line: name | full pinyin variants | initials variants | code.

    Separators keep a query from matching across two parts."""
    compact = normalise_query(name)
    full = _readings(compact, Style.NORMAL)
    initials = _readings(compact, Style.FIRST_LETTER)
    parts = [compact, *dict.fromkeys(full), *dict.fromkeys(initials), code]
    return "|".join(parts)
