"""PhysioNet/CinC 2018 files: WFDB ``.hea`` + MAT v4 ``.mat``, ``.arousal`` and v7.3 ``-arousal.mat``.

- ``<rec>.hea`` (CRLF) names ``<rec>.mat`` in format ``16+24``: int16 samples interleaved by frame
  after the 24-byte MAT v4 header of a 2-D ``val`` matrix (n_channels × n_samples, column-major).
  Reading checks the header against the file (its existence, its MAT v4 header, its size = 24 +
  2 · n_channels · n_samples) and reads the picked channels with ``wfdb.rdrecord`` in chunks of
  samples, so memory stays at the returned arrays plus one chunk.
- ``<rec>.arousal``: WFDB annotations; sleep-stage changes are ``aux_note`` W/N1/N2/N3/R, events
  are ``(name`` / ``name)`` pairs.
- ``<rec>-arousal.mat``: MATLAB v7.3 (HDF5 after a 512-byte MATLAB userblock) with one-hot
  ``data/sleep_stages/{wake,nonrem1,nonrem2,nonrem3,rem,undefined}`` (1, N) and ``data/arousals``
  (N, 1). Its one-hot runs one sample early and its last sample is undefined (datasets.md B.5);
  `read_arousal_mat` undoes the shift and `write_arousal_mat` applies it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sleepdg.atomic import atomic_path
from sleepdg.errors import ReaderError
from sleepdg.io.units import unit_scale_to_uv

log = logging.getLogger(__name__)

MAT_V4_HEADER_BYTES = 24  # 20-byte header + "val\0"
_CHUNK_SAMPLES = 360_000  # 30 min at 200 Hz per wfdb.rdrecord call
_STAGE_FIELDS = ("wake", "nonrem1", "nonrem2", "nonrem3", "rem")  # index = Stage value


@dataclass(frozen=True)
class WfdbHeader:
    """What a ``.hea`` says about its ``.mat``; ``gains`` are ADC units per physical unit."""

    path: Path  # the .hea
    mat_path: Path
    labels: tuple[str, ...]
    sfreq_hz: float
    n_samples: int
    gains: tuple[float, ...]
    baselines: tuple[int, ...]
    units: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sfreq_hz


def read_wfdb_header(hea: Path | str, *, check_mat: bool = True) -> WfdbHeader:
    """Parse ``<rec>.hea``; with ``check_mat``, check its ``.mat`` exists, is MAT v4 and has the size
    the header implies (leave it False to read only the header, e.g. to align labels).

    Raises
    ------
    ReaderError
        Unreadable header, missing ``.mat``, a format other than 16, or a size mismatch.
    """
    import wfdb

    hea = Path(hea)
    if not hea.is_file():
        raise ReaderError(hea, "no such file")
    try:
        record = wfdb.rdheader(str(hea.with_suffix("")))
    except Exception as exc:  # wfdb raises bare ValueErrors and the like on bad lines
        raise ReaderError(hea, f"not a readable WFDB header: {exc}") from None
    files = set(record.file_name or [])
    if len(files) != 1:
        raise ReaderError(hea, f"expected every signal in one .mat file, found {sorted(files)}")
    mat = hea.parent / files.pop()
    formats = set(record.fmt or [])
    if formats != {"16"} or set(record.byte_offset or [0]) != {MAT_V4_HEADER_BYTES}:
        raise ReaderError(hea, f"expected format 16+24 (MAT v4 int16), found {sorted(formats)}")
    header = WfdbHeader(
        path=hea,
        mat_path=mat,
        labels=tuple(record.sig_name),
        sfreq_hz=float(record.fs),
        n_samples=int(record.sig_len),
        gains=tuple(float(g) for g in record.adc_gain),
        baselines=tuple(int(b) for b in record.baseline),
        units=tuple(record.units),
    )
    if check_mat:
        _check_mat(header)
    return header


def _check_mat(header: WfdbHeader) -> None:
    if not header.mat_path.is_file():
        raise ReaderError(header.path, f"names the signal file {header.mat_path.name}, which does not exist")
    n_ch = len(header.labels)
    expected = MAT_V4_HEADER_BYTES + 2 * n_ch * header.n_samples
    size = header.mat_path.stat().st_size
    if size != expected:
        raise ReaderError(
            header.mat_path,
            f"{size} bytes, but {header.path.name} describes {n_ch} channels x {header.n_samples} samples "
            f"= {expected} bytes (24 + 2 x {n_ch} x {header.n_samples})",
        )
    with header.mat_path.open("rb") as f:
        kind, rows, cols, imag, namelen = np.frombuffer(f.read(20), dtype="<i4")
    if kind != 30 or imag != 0 or namelen != 4:
        raise ReaderError(
            header.mat_path, f"not a MAT v4 int16 matrix (type code {kind}, name length {namelen})"
        )
    if (rows, cols) != (n_ch, header.n_samples):
        raise ReaderError(
            header.mat_path,
            f"matrix is {rows} x {cols}, the header says {n_ch} channels x {header.n_samples} samples",
        )


def read_mat_channels(header: WfdbHeader, labels: Sequence[str]) -> dict[str, np.ndarray]:
    """The channels ``labels`` in µV, float32 (n_samples,), read ``_CHUNK_SAMPLES`` at a time."""
    import wfdb

    names = list(dict.fromkeys(labels))
    idx = [header.labels.index(name) for name in names]
    out = {name: np.empty(header.n_samples, dtype=np.float32) for name in names}
    record = str(header.path.with_suffix(""))
    for lo in range(0, header.n_samples, _CHUNK_SAMPLES):
        hi = min(lo + _CHUNK_SAMPLES, header.n_samples)
        try:
            chunk = wfdb.rdrecord(record, sampfrom=lo, sampto=hi, channels=idx, physical=False, return_res=16)
        except Exception as exc:
            raise ReaderError(header.mat_path, f"cannot read samples {lo}-{hi}: {exc}") from None
        for k, (name, i) in enumerate(zip(names, idx, strict=True)):
            scale = unit_scale_to_uv(header.units[i], header.path, name) / header.gains[i]
            dest = out[name][lo:hi]
            np.subtract(chunk.d_signal[:, k], header.baselines[i], out=dest, casting="unsafe")
            dest *= np.float32(scale)
    return out


def write_mat_record(
    directory: Path,
    record: str,
    labels: Sequence[str],
    digital: np.ndarray,
    sfreq_hz: float,
    *,
    gains: Sequence[float],
    units: Sequence[str],
    baselines: Sequence[int],
) -> None:
    """Write ``<record>.hea`` (CRLF, format ``16+24``) and the MAT v4 ``<record>.mat`` of P2018.

    Parameters
    ----------
    directory
        Folder to write into (created if missing).
    digital
        (n_channels, n_samples) int16 ADC values; physical = (digital - baseline) / gain.
    gains, units, baselines
        One per channel, e.g. 1 / "uV" / 0 for EEG, 655.35 / "%" / -32768 for SaO2.
    """
    from scipy.io import savemat

    digital = np.asarray(digital)
    n_ch, n = digital.shape
    if digital.dtype != np.int16:
        raise ValueError(f"digital must be int16, got {digital.dtype}")
    if not len(labels) == len(gains) == len(units) == len(baselines) == n_ch:
        raise ValueError(
            f"{n_ch} channels but {len(labels)} labels / {len(gains)} gains / {len(units)} units"
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"{record} {n_ch} {sfreq_hz:g} {n}"]
    for i in range(n_ch):
        gain = f"{gains[i]:.12g}" + (f"({baselines[i]})" if baselines[i] else "")
        init = int(digital[i, 0]) if n else 0
        checksum = int(np.sum(digital[i], dtype=np.int64)) & 0xFFFF
        checksum -= 65536 if checksum >= 32768 else 0
        lines.append(f"{record}.mat 16+24 {gain}/{units[i]} 16 0 {init} {checksum} 0 {labels[i]}")
    with atomic_path(directory / f"{record}.mat") as tmp, tmp.open("wb") as f:
        savemat(f, {"val": digital}, format="4")
    with atomic_path(directory / f"{record}.hea") as tmp:
        tmp.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))


# ---------------------------------------------------------------------------------------------
# .arousal (WFDB annotations)


def read_arousal_annotations(path: Path | str) -> tuple[np.ndarray, list[str], float | None]:
    """Samples (int64) and aux notes of a WFDB ``<rec>.arousal`` file, and its sampling rate if stored."""
    import wfdb

    path = Path(path)
    if not path.is_file():
        raise ReaderError(path, "no such file")
    try:
        ann = wfdb.rdann(str(path.with_suffix("")), path.suffix.lstrip("."))
    except Exception as exc:
        raise ReaderError(path, f"not a readable WFDB annotation file: {exc}") from None
    notes = [note or "" for note in (ann.aux_note or [""] * len(ann.sample))]
    fs = float(ann.fs) if ann.fs else None
    return np.asarray(ann.sample, dtype=np.int64), notes, fs


def write_arousal_annotations(
    directory: Path, record: str, samples: Sequence[int], notes: Sequence[str], sfreq_hz: float
) -> None:
    """Write ``<record>.arousal``: one note annotation (symbol ``"``) per sample with its aux note.

    Stage changes are the notes W, N1, N2, N3, R; events are pairs such as ``(resp_hypopnea`` /
    ``resp_hypopnea)``. ``samples`` must not decrease.
    """
    import wfdb

    samples_arr = np.asarray(samples, dtype=np.int64)
    if len(samples_arr) != len(notes):
        raise ValueError(f"{len(samples_arr)} samples but {len(notes)} notes")
    if np.any(np.diff(samples_arr) < 0):
        raise ValueError("annotation samples must not decrease")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{record}-", dir=directory))
    try:
        wfdb.wrann(
            record, "arousal", samples_arr, symbol=['"'] * len(notes), aux_note=list(notes),
            fs=sfreq_hz, write_dir=str(scratch),
        )  # fmt: skip
        os.replace(scratch / f"{record}.arousal", directory / f"{record}.arousal")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# -arousal.mat (MATLAB v7.3 = HDF5 with a 512-byte userblock)


def read_arousal_mat(path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample stages (int8 `Stage`, -1 undefined) aligned with ``.arousal``, and the arousal
    target (float64, -1 / 0 / 1) of a ``-arousal.mat``; the file's one-sample-early shift is undone
    (sample 0, which the file does not hold, takes the stage of sample 1)."""
    import h5py

    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            group = f["data/sleep_stages"]
            n = group["undefined"].size
            stages = np.full(n, -1, dtype=np.int8)
            for code, name in enumerate(_STAGE_FIELDS):
                stages[np.asarray(group[name]).reshape(-1).astype(bool)] = code
            arousals = np.asarray(f["data/arousals"], dtype=np.float64).reshape(-1)
    except FileNotFoundError:
        raise ReaderError(path, "no such file") from None
    except (OSError, KeyError) as exc:
        raise ReaderError(
            path, f"not a P2018 v7.3 -arousal.mat (HDF5 with data/sleep_stages): {exc}"
        ) from None
    aligned = np.empty_like(stages)
    aligned[1:] = stages[:-1]  # the one-hot runs one sample early (datasets.md B.5)
    aligned[0] = aligned[1] if n > 1 else -1  # sample 0 is not in the file: it takes sample 1's stage
    return aligned, arousals


def _matlab_userblock() -> bytes:
    stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(0))
    text = f"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: {stamp} HDF5 schema 1.00 .".encode("ascii")
    return text.ljust(116) + bytes(8) + b"\x00\x02IM"


def write_arousal_mat(path: Path, stage_per_sample: np.ndarray, arousals: np.ndarray) -> None:
    """Write a v7.3 ``-arousal.mat`` the way the official files are laid out.

    Parameters
    ----------
    stage_per_sample
        (N,) int8 `Stage` per sample (-1 undefined), aligned with the ``.arousal`` annotations.
    arousals
        (N,) arousal target per sample: -1 not scored, 0, 1.

    The stored one-hot is shifted one sample earlier and its last sample set to undefined, as in
    the real files (datasets.md B.5).
    """
    import h5py

    stages = np.asarray(stage_per_sample, dtype=np.int8).reshape(-1)
    if len(arousals) != len(stages):
        raise ValueError(f"{len(stages)} stage samples but {len(arousals)} arousal samples")
    stored = np.full_like(stages, -1)
    stored[:-1] = stages[1:]
    fields = {name: stored == code for code, name in enumerate(_STAGE_FIELDS)}
    fields["undefined"] = ~np.isin(stored, np.arange(len(_STAGE_FIELDS)))
    vlen = h5py.vlen_dtype(np.dtype("S1"))

    def names(values: Sequence[str]) -> np.ndarray:
        out = np.empty(len(values), dtype=object)
        out[:] = [np.array(list(v), dtype="S1") for v in values]
        return out

    with atomic_path(Path(path)) as tmp:
        with h5py.File(tmp, "w", userblock_size=512, libver="earliest") as f:
            data = f.create_group("data")
            data.attrs["MATLAB_class"] = np.bytes_("struct")
            data.attrs.create("MATLAB_fields", names(["sleep_stages", "arousals"]), dtype=vlen)
            ar = data.create_dataset("arousals", data=np.asarray(arousals, np.float64).reshape(-1, 1),
                                     compression="gzip", chunks=True)  # fmt: skip
            ar.attrs["MATLAB_class"] = np.bytes_("double")
            group = data.create_group("sleep_stages")
            group.attrs["MATLAB_class"] = np.bytes_("struct")
            group.attrs.create("MATLAB_fields", names(list(fields)), dtype=vlen)
            for name, onehot in fields.items():
                ds = group.create_dataset(name, data=onehot.astype(np.uint8).reshape(1, -1),
                                          compression="gzip", chunks=True)  # fmt: skip
                ds.attrs["MATLAB_class"] = np.bytes_("logical")
                ds.attrs["MATLAB_int_decode"] = np.int32(1)
        with tmp.open("r+b") as f:
            f.write(_matlab_userblock())
