"""Any EDF / EDF+ (any suffix) or WFDB recording, without scoring: what ``predict`` stages.

EEG and EOG are picked by name (a label or an ``"A - B"`` derivation) or, when not given, by the
first match in `GENERIC_EEG` / `GENERIC_EOG`. Every epoch is UNSCORED; the signals keep their
trailing partial epoch, whose length `trailing_partial_s` reports so that the caller can say it
was dropped.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from sleepdg.channels import GENERIC_EEG, GENERIC_EOG
from sleepdg.datasets._common import pick_modalities, read_edf_signals, read_wfdb_signals
from sleepdg.errors import ReaderError
from sleepdg.io.edf import read_edf_header
from sleepdg.io.wfdb_io import read_wfdb_header
from sleepdg.recording import Recording, n_whole_epochs
from sleepdg.stages import EPOCH_S, Stage

log = logging.getLogger(__name__)


def read_generic(path: Path | str, eeg: str | None = None, eog: str | None = None) -> Recording:
    """Read EEG and EOG of an unscored recording.

    Parameters
    ----------
    path
        An EDF/EDF+ file (``.edf``, ``.rec``, ...) or a WFDB header ``.hea``.
    eeg, eog
        Channel label or ``"A - B"`` derivation; None tries the generic alias lists.

    Returns
    -------
    Recording
        ``dataset="generic"``, record and subject id = file stem, ``stages`` all UNSCORED, one per
        whole 30-s epoch of the shorter signal.
    """
    path = Path(path)
    if not path.is_file():
        raise ReaderError(path, "no such file")
    accepted = {
        "eeg": (eeg,) if eeg else GENERIC_EEG,
        "eog": (eog,) if eog else GENERIC_EOG,
    }
    if path.suffix.lower() == ".hea":
        wfdb_header = read_wfdb_header(path)
        signals = read_wfdb_signals(wfdb_header, pick_modalities(wfdb_header.labels, accepted, path))
    else:
        edf_header = read_edf_header(path)
        signals = read_edf_signals(edf_header, pick_modalities(edf_header.labels, accepted, path))
    n_epochs = min(n_whole_epochs(len(s.data), s.sfreq_hz) for s in signals.values())
    stem = path.name[: -len(".hea")] if path.suffix.lower() == ".hea" else path.stem
    recording = Recording(
        dataset="generic",
        record_id=stem,
        subject_id=stem,
        signals=signals,
        stages=np.full(n_epochs, Stage.UNSCORED, dtype=np.int8),
        source=(path,),
    )
    partial = trailing_partial_s(recording)
    if partial > 0:
        log.info("%s: the last %.1f s do not fill a 30-s epoch", path, partial)
    return recording


def trailing_partial_s(recording: Recording, epoch_s: float = EPOCH_S) -> float:
    """Seconds of signal after the last whole epoch (0 when the recording ends on an epoch)."""
    durations = [s.duration_s for s in recording.signals.values()]
    return max(0.0, round(min(durations) - recording.n_epochs * epoch_s, 6))
