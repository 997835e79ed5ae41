"""Prepare throughput and memory: sleepdg's lean path against the reference's MNE approach.

For synthetic 8-h HMC nights (8 channels at 256 Hz) and SHHS nights (14 channels, EEG 125 Hz,
EOG 50 Hz), in one run:

- per night, each in a fresh process: time and peak memory (VmHWM over the interpreter's own
  footprint) of (a) sleepdg: read the two channels, resample, FIR band-pass, epoch, z-score, write
  the Zarr group; (b) the reference's approach: ``mne.io.read_raw_edf(preload=True)`` of every
  channel, pick, ``raw.filter(0.3, 35, fir_design="firwin")``, ``raw.resample(100)``, epoch,
  z-score (no store write);
- ``prepare_dataset`` over all nights with 1 and 2 workers: recordings per minute and MB/s of raw
  EDF;
- how much the ``fir`` and ``sos`` band-pass filters differ on the z-scored epochs.

Usage: ``python benchmarks/bench_prepare.py [--nights 4] [--hours 8] [--cache /tmp/sleepdg-bench]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

_CHILD = r"""
import json, sys, time
from pathlib import Path

def hwm_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1])
def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])

mode, dataset, raw_dir, record_id, out = sys.argv[1:6]
import numpy as np, mne, scipy.signal, zarr  # imports before the baseline measurement
from sleepdg.datasets import open_reader
from sleepdg.params import PrepareParams
from sleepdg.prepare import prepare_one
from sleepdg.store import init_store
mne.set_log_level("ERROR")
reader = open_reader(dataset, Path(raw_dir))
base = rss_kb()
start = time.perf_counter()
if mode == "sleepdg":
    store = Path(out) / "store.zarr"
    init_store(store)
    prep = PrepareParams()
    prepare_one(reader.read(record_id), prep.common, prep.dataset(dataset), store, raw_dir=Path(raw_dir))
else:
    psg = reader.source_files(record_id)[0]
    block = PrepareParams().dataset(dataset)
    raw = mne.io.read_raw_edf(psg, preload=True, verbose="ERROR")
    eeg, eog = block.eeg[0], block.eog[0]
    if " - " in eog:  # SHHS's bipolar EOG: a new two-channel Raw of EEG and EOG(R) - EOG(L)
        plus, minus = [s.strip() for s in eog.split(" - ")]
        data = [raw.get_data(picks=[eeg])[0], raw.get_data(picks=[plus])[0] - raw.get_data(picks=[minus])[0]]
        info = mne.create_info([eeg, "EOG"], raw.info["sfreq"], ch_types="eeg")  # misc would not be filtered
        raw = mne.io.RawArray(np.array(data), info, verbose="ERROR")
        eog = "EOG"
    raw.pick([eeg, eog])
    raw.filter(0.3, 35.0, fir_design="firwin", verbose="ERROR")
    raw.resample(100.0, verbose="ERROR")
    x = raw.get_data()
    n = x.shape[1] // 3000
    x = x[:, : n * 3000].reshape(2, n, 3000).transpose(1, 0, 2)
    x = (x - x.mean(axis=(0, 2), keepdims=True)) / x.std(axis=(0, 2), keepdims=True)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": (hwm_kb() - base) / 1024}))
"""


def _synthesise(cache: Path, dataset: str, nights: int, hours: float) -> Path:
    from sleepdg.synth import write_dataset

    raw = cache / f"{dataset}-{nights}x{hours:g}h"
    if not raw.exists():
        tmp = raw.with_name(raw.name + ".tmp")
        write_dataset(dataset, tmp, n_recordings=nights, hours=hours, seed=0, workers=2)
        tmp.rename(raw)
    return raw


def _child(mode: str, dataset: str, raw: Path, record_id: str, out: Path) -> dict[str, float]:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, dataset, str(raw), record_id, str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _per_night(dataset: str, raw: Path, scratch: Path) -> None:
    from sleepdg.datasets import open_reader

    reader = open_reader(dataset, raw)
    rows: dict[str, list[dict[str, float]]] = {"sleepdg": [], "reference": []}
    for i, record_id in enumerate(reader.record_ids()):
        for mode in ("reference", "sleepdg"):  # interleaved: the same load on both
            rows[mode].append(_child(mode, dataset, raw, record_id, scratch / f"{mode}-{i}"))
    two_channels_mb = None
    rec = reader.read(reader.record_ids()[0])
    two_channels_mb = sum(s.data.nbytes for s in rec.signals.values()) / 2**20
    med = {
        m: {k: float(np.median([r[k] for r in v])) for k in ("seconds", "peak_mb")} for m, v in rows.items()
    }
    print(f"\n{dataset}: per night, median of {len(rows['sleepdg'])} (fresh process each)")
    print(f"  {'approach':<34} {'seconds':>8} {'peak MB':>8}")
    print(f"  {'reference (mne preload, FIR, resample)':<34} {med['reference']['seconds']:8.2f} "
          f"{med['reference']['peak_mb']:8.0f}")  # fmt: skip
    print(f"  {'sleepdg prepare_one (incl. Zarr write)':<34} {med['sleepdg']['seconds']:8.2f} "
          f"{med['sleepdg']['peak_mb']:8.0f}")  # fmt: skip
    time_ratio = med["sleepdg"]["seconds"] / med["reference"]["seconds"]
    print(f"  ratio sleepdg / reference: time {time_ratio:.2f}x, "
          f"peak memory {med['sleepdg']['peak_mb'] / med['reference']['peak_mb']:.2f}x "
          f"(the two float32 channels at native rate: {two_channels_mb:.0f} MB)")  # fmt: skip


def _throughput(dataset: str, raw: Path, scratch: Path) -> None:
    from sleepdg.params import parse_params
    from sleepdg.prepare import prepare_dataset

    params = parse_params({})
    edf_mb = sum(p.stat().st_size for p in raw.rglob("*.edf")) / 2**20
    print(f"{dataset}: prepare_dataset over {len(list(raw.rglob('*.edf')))} EDF files, {edf_mb:.0f} MB")
    for workers in (1, 2):
        start = time.perf_counter()
        report = prepare_dataset(dataset, raw, scratch / f"workers{workers}", params, workers=workers)
        seconds = time.perf_counter() - start
        per_min = 60 * report.n_recordings / seconds
        print(f"  workers={workers}: {seconds:6.1f} s, {per_min:5.1f} recordings/min, "
              f"{edf_mb / seconds:6.1f} MB/s of raw EDF")  # fmt: skip


def _filters(dataset: str, raw: Path) -> None:
    from sleepdg.datasets import open_reader
    from sleepdg.params import PrepareCommon, PrepareParams
    from sleepdg.preprocess import preprocess

    reader = open_reader(dataset, raw)
    rec = reader.read(reader.record_ids()[0])
    block = PrepareParams().dataset(dataset).model_copy(update={"filter": None})
    out = {}
    for kind in ("fir", "sos"):
        start = time.perf_counter()
        out[kind] = preprocess(rec, PrepareCommon(filter=kind), block)  # type: ignore[arg-type]
        out[kind + "_s"] = time.perf_counter() - start  # type: ignore[assignment]
    fir, sos = out["fir"].x, out["sos"].x  # type: ignore[union-attr]
    diff = fir - sos
    rel = float(np.sqrt((diff**2).mean() / (fir**2).mean()))
    corr = [float(np.corrcoef(fir[:, c].ravel(), sos[:, c].ravel())[0, 1]) for c in (0, 1)]
    print(f"{dataset}: fir vs sos on z-scored epochs: relative RMS difference {rel:.4f}, "
          f"correlation EEG {corr[0]:.5f} EOG {corr[1]:.5f}; preprocess time fir {out['fir_s']:.2f} s, "
          f"sos {out['sos_s']:.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=4)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sleepdg-bench"))
    args = parser.parse_args()
    import shutil
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="bench-prepare-"))
    try:
        for dataset in ("hmc", "shhs"):
            raw = _synthesise(args.cache, dataset, args.nights, args.hours)
            _per_night(dataset, raw, scratch / dataset)
            _throughput(dataset, raw, scratch / f"{dataset}-tp")
            _filters(dataset, raw)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
