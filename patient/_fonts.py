"""Which font face draws which character of a patient's PDF, for every script a patient may write in.

The PDF's own font, DejaVu Sans as matplotlib ships it, draws Latin, Greek, Cyrillic, Arabic and Hebrew. A patient
who needs an interpreter may write in Chinese, Hindi or any other script, or with emoji. For one document's text,
:func:`plan` hands each character DejaVu cannot draw, and each character of a script that has its own font here,
to a fallback face: first the faces of :data:`SCRIPTS` (Debian's fonts-noto-core, fonts-noto-cjk and
fonts-noto-color-emoji, found by file name under the usual font folders or by family through fontconfig), then
whatever font fontconfig offers for that character. What no face draws is reported, never dropped.

Nothing here imports fpdf; the renderer (``_pdf``) registers the faces a plan names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

#: Font files fpdf2 can embed (outline fonts; bitmap-only and Type 1 files are left aside).
EMBEDDABLE = (".ttf", ".otf", ".ttc", ".otc")
FONTCONFIG_TIMEOUT = 10  # seconds; fc-match answers in milliseconds once its cache is built
#: Characters of one text looked up one by one in fontconfig, at most: each costs a process (about 10 ms), and a
#: text in a script no installed font has would otherwise cost one per distinct character.
FONTCONFIG_LOOKUPS = 50


@dataclass(frozen=True)
class Face:
    """One face of a font file; ``index`` picks it from a collection (.ttc)."""

    path: Path
    index: int = 0


@dataclass(frozen=True)
class Script:
    """Where a script's font is found (first file name, then first family) and the blocks that font takes.

    A font takes its ``blocks`` even where DejaVu has a glyph, so that a word is drawn in one font: text shaping
    (joining Arabic letters, placing Devanagari vowel signs) works within one font, and DejaVu lacks letters
    of Urdu and Persian and most Hebrew points.
    """

    name: str
    sample: str  # a letter every font of the script has: a file or family without it is some other font
    files: tuple[str, ...]
    families: tuple[str, ...]
    blocks: tuple[tuple[int, int], ...]


#: Preferred faces, in the order the PDF falls back to them; Noto first, then other free fonts Debian packages.
SCRIPTS = (
    Script(
        "arabic",
        "\u0627",
        ("NotoSansArabic-Regular.ttf", "NotoNaskhArabic-Regular.ttf"),
        ("Noto Sans Arabic", "Noto Naskh Arabic"),
        ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    ),
    Script(
        "hebrew",
        "\u05d0",
        ("NotoSansHebrew-Regular.ttf",),
        ("Noto Sans Hebrew",),
        ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    ),
    Script(
        "devanagari",
        "\u0915",
        ("NotoSansDevanagari-Regular.ttf",),
        ("Noto Sans Devanagari",),
        ((0x0900, 0x097F), (0xA8E0, 0xA8FF)),
    ),
    Script(
        "cjk",  # Simplified Chinese forms; the same faces draw Japanese kana and Korean hangul
        "\u4e2d",
        ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "DroidSansFallbackFull.ttf", "wqy-microhei.ttc"),
        ("Noto Sans CJK SC", "Droid Sans Fallback", "WenQuanYi Micro Hei"),
        ((0x3000, 0x303F), (0xFF00, 0xFFEF)),
    ),
    Script(
        "emoji",  # colour (Noto) or black and white (Symbola); DejaVu's few black and white faces give way
        "\U0001f600",
        ("NotoColorEmoji.ttf", "Symbola_hint.ttf", "Symbola.ttf"),
        ("Noto Color Emoji", "Symbola"),
        ((0x2600, 0x27BF), (0x1F000, 0x1FAFF)),
    ),
)


@dataclass(frozen=True)
class Plan:
    """How one text is drawn: the fallback faces in order with the characters each draws, and what none can draw."""

    fallbacks: Mapping[Face, frozenset[str]]
    missing: frozenset[str]


# ------------------------------------------------------------------------------------------------------ coverage
@lru_cache(maxsize=64)
def coverage(face: Face) -> frozenset[int]:
    """The code points ``face`` has a glyph for (empty when the file cannot be read as a font)."""
    try:
        with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
            cmap = font.getBestCmap()
    except Exception:  # a broken or unsupported font file is a font we do not have
        return frozenset()
    return frozenset(cmap or ())


def ignorable(char: str) -> bool:
    """Control and format characters (newline, joiners, direction marks) and variation selectors: never drawn."""
    point = ord(char)
    return unicodedata.category(char) in ("Cc", "Cf") or 0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF


# ------------------------------------------------------------------------------------------------- finding faces
def font_dirs() -> tuple[Path, ...]:
    """The folders fonts are installed in (XDG base directories and the traditional ~/.fonts)."""
    home = Path.home()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    data_dirs = (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
    return (data_home / "fonts", home / ".fonts", *(Path(d) / "fonts" for d in data_dirs if d))


@lru_cache(maxsize=1)
def _installed_files() -> Mapping[str, Path]:
    """Every font file under :func:`font_dirs` by file name (the first folder wins), listed once per process."""
    found: dict[str, Path] = {}
    for folder in font_dirs():
        for root, _, names in os.walk(folder):
            for name in names:
                found.setdefault(name, Path(root) / name)
    return found


def _face_in(path: Path, families: Iterable[str]) -> Face:
    """The face of ``path`` whose family is one of ``families`` (a collection holds several), else its first."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return Face(path)
    try:
        with TTCollection(path, lazy=True) as collection:
            names = [font["name"].getBestFamilyName() for font in collection.fonts]
    except Exception:  # not a collection fontTools can read: its first face
        return Face(path)
    wanted = set(families)
    return Face(path, next((i for i, name in enumerate(names) if name in wanted), 0))


def _fc_match(pattern: str) -> tuple[Face, frozenset[str]] | None:
    """The best face fontconfig has for ``pattern`` and its family names, or None without fontconfig."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        answer = subprocess.run(
            [fc_match, "--format=%{file}\n%{index}\n%{family}", pattern],
            capture_output=True,
            text=True,
            timeout=FONTCONFIG_TIMEOUT,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(answer) < 3 or not answer[0] or Path(answer[0]).suffix.lower() not in EMBEDDABLE:
        return None
    index = int(answer[1]) & 0xFFFF if answer[1].isdigit() else 0  # the upper bits name a variable font's instance
    return Face(Path(answer[0]), index), frozenset(answer[2].split(","))


def _usable(face: Face, char: str) -> bool:
    return face.path.is_file() and ord(char) in coverage(face)


@lru_cache(maxsize=len(SCRIPTS))
def script_face(script: Script) -> Face | None:
    """The first of ``script``'s fonts installed here (by file name, then through fontconfig), or None."""
    installed = _installed_files()
    for name in script.files:
        if name in installed and _usable(face := _face_in(installed[name], script.families), script.sample):
            return face
    for family in script.families:
        match = _fc_match(f"{family}:style=Regular")
        if match is not None and family in match[1] and _usable(match[0], script.sample):
            return match[0]
    return None


@lru_cache(maxsize=1024)
def face_for(char: str) -> Face | None:
    """Any face fontconfig offers that draws ``char`` (for scripts without a face in :data:`SCRIPTS`), or None."""
    match = _fc_match(f":charset={ord(char):x}")
    return match[0] if match is not None and _usable(match[0], char) else None


# ---------------------------------------------------------------------------------------------------------- plan
def _takes(script: Script, point: int) -> bool:
    return any(low <= point <= high for low, high in script.blocks)


def plan(text: str, base: frozenset[int]) -> Plan:
    """Which fallback face draws each character of ``text`` that the base font (code points ``base``) does not.

    Each character goes to the first face of :data:`SCRIPTS` that has it, if that face's script takes its block
    or the base font lacks it; a character neither the base font nor those faces have goes to fontconfig's face
    for it. Ignorable characters need no face and are never missing.
    """
    left = {char for char in set(text) if not ignorable(char)}
    fallbacks: dict[Face, frozenset[str]] = {}

    def give(face: Face, chars: set[str]) -> None:
        if chars:
            fallbacks[face] = fallbacks.get(face, frozenset()) | chars
            left.difference_update(chars)

    for script in SCRIPTS:
        if left and (face := script_face(script)) is not None:
            has = coverage(face)
            give(face, {c for c in left if ord(c) in has and (_takes(script, ord(c)) or ord(c) not in base)})
    left.difference_update({char for char in left if ord(char) in base})
    asked = 0
    for char in sorted(left):
        if char in left and asked < FONTCONFIG_LOOKUPS:
            asked += 1
            if (face := face_for(char)) is not None:
                has = coverage(face)
                give(face, {c for c in left if ord(c) in has})
    return Plan(fallbacks, frozenset(left))
