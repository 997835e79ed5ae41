"""Pick a modality's channel from the labels a file has, by alias or as a derivation.

An accepted label is either a channel name (``"EEG Fpz-Cz"``) or a derivation of two channels
written with a spaced minus (``"EOG(R) - EOG(L)"``). Labels compare after `normalise_label`, so
``EEG(sec)``, ``EEG sec``, ``eeg_sec`` and ``EEG (SEC)`` are one name. The first accepted entry
that the file can satisfy wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from sleepdg.errors import ChannelNotFoundError

_DERIVATION = re.compile(r"^(?P<plus>.+?)\s+-\s+(?P<minus>.+)$")  # "A - B" (spaces around the minus)
_IGNORED = re.compile(r"[\s()_]")


class ChannelPick(NamedTuple):
    """Labels as the file spells them; ``minus`` is set for a derivation ``plus - minus``."""

    plus: str
    minus: str | None = None

    @property
    def label(self) -> str:
        return self.plus if self.minus is None else f"{self.plus} - {self.minus}"

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.plus,) if self.minus is None else (self.plus, self.minus)


def normalise_label(label: str) -> str:
    """Case-folded label without spaces, parentheses or underscores.

    >>> normalise_label("EEG (sec)") == normalise_label("eeg_SEC")
    True
    """
    return _IGNORED.sub("", label).casefold()


def _find(name: str, available: Sequence[str]) -> str | None:
    key = normalise_label(name)
    for label in available:
        if normalise_label(label) == key:
            return label
    return None


def pick_channel(
    accepted: Sequence[str], available: Sequence[str], *, path: Path | str, modality: str
) -> ChannelPick:
    """Resolve the first entry of ``accepted`` that ``available`` satisfies.

    Parameters
    ----------
    accepted
        Channel names or ``"A - B"`` derivations, in order of preference.
    available
        The channel labels of the file.
    path, modality
        Used in the error message.

    Raises
    ------
    ChannelNotFoundError
        When no entry matches; the message lists the file's channels.
    """
    for entry in accepted:
        found = _find(entry, available)
        if found is not None:
            return ChannelPick(found)
        match = _DERIVATION.match(entry.strip())
        if match:
            plus, minus = _find(match["plus"], available), _find(match["minus"], available)
            if plus is not None and minus is not None:
                return ChannelPick(plus, minus)
    raise ChannelNotFoundError(path, modality, tuple(accepted), list(available))


# Labels tried, in order, for a recording outside the five datasets (the generic reader).
GENERIC_EEG: tuple[str, ...] = (
    "C4-M1", "EEG C4-M1", "C3-M2", "EEG C3-M2", "F4-M1", "EEG F4-M1", "F3-M2", "EEG F3-M2",
    "C4-A1", "EEG C4-A1", "C3-A2", "EEG C3-A2", "F4-A1", "F3-A2", "EEG Fpz-Cz", "Fpz-Cz",
    "EEG", "EEG(sec)", "EEG 2", "C4", "C3", "Cz", "Fz", "EEG1",
)  # fmt: skip
GENERIC_EOG: tuple[str, ...] = (
    "E1-M2", "EOG E1-M2", "LOC-A2", "EOG LOC-A2", "EOG horizontal", "EOG(L)", "EOG L", "E1", "LOC",
    "EOG E1", "EOG1", "EOG left", "E2-M1", "EOG E2-M2", "E2-M2", "ROC-A1", "EOG(R)", "E2", "ROC", "EOG",
)  # fmt: skip
