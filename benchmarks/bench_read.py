"""Read throughput and peak memory of the EDF reader on an 8-h HMC-like night.

Writes an 8-h EDF with HMC's 8 channels at 256 Hz (1-s records, 118 MB), then, each in a fresh
subprocess (median of ``--repeat`` runs, file in the page cache):

- ``raw``: read the whole file's bytes (the floor any EDF reader pays: records interleave channels);
- ``sleepdg``: `HmcReader.signals_for` (header check, EEG F4-M1 + EOG E1-M2 as float32 µV);
- ``edfio``, ``pyedflib``, ``mne``: the same two channels with those libraries, for context.

Reported: seconds, file MB/s, the ratio of the raw read's time to the reader's (1.0 = as fast as
reading the bytes), and peak memory over the pre-read RSS (VmHWM - VmRSS, which counts touched
file-backed pages too; not ru_maxrss, which a child inherits from its parent) and tracemalloc's
peak, both against the size of the returned arrays.

    python benchmarks/bench_read.py [--hours 8] [--repeat 3] [--workdir /tmp/readers/bench]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

CHANNELS = ("EEG F4-M1", "EEG C4-M1", "EEG O2-M1", "EEG C3-M2", "EMG chin", "EOG E1-M2", "EOG E2-M2", "ECG")
PICKED = ("EEG F4-M1", "EOG E1-M2")
SFREQ_HZ = 256

CHILD = r"""
import json, sys, time, tracemalloc
from pathlib import Path
import numpy as np

kind, path = sys.argv[1], Path(sys.argv[2])
picked = ("EEG F4-M1", "EOG E1-M2")
# imports first, so that they count neither in the time nor in the memory
if kind == "sleepdg":
    from sleepdg.datasets.hmc import HmcReader
    from sleepdg.params import HmcPrepare
    reader = HmcReader(path.parent, HmcPrepare())
elif kind == "edfio":
    import edfio
elif kind == "pyedflib":
    import pyedflib
elif kind == "mne":
    import mne

def status_mb(field):  # VmRSS now, VmHWM peak of this process image (ru_maxrss keeps the parent's peak)
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024

def run():
    if kind == "raw":
        n = 0
        with open(path, "rb", buffering=0) as f:
            while chunk := f.read(8 << 20):
                n += len(chunk)
        return []
    if kind == "sleepdg":
        return [s.data for s in reader.signals_for(path).values()]
    if kind == "edfio":
        edf = edfio.read_edf(path)
        return [edf.get_signal(label).data.astype(np.float32) for label in picked]
    if kind == "pyedflib":
        with pyedflib.EdfReader(str(path)) as r:
            labels = r.getSignalLabels()
            return [r.readSignal(labels.index(label)).astype(np.float32) for label in picked]
    raw = mne.io.read_raw_edf(path, include=list(picked), preload=False, verbose=False)
    return list((raw.get_data() * 1e6).astype(np.float32))

before = status_mb("VmRSS")
tracemalloc.start()
t0 = time.perf_counter()
arrays = run()
seconds = time.perf_counter() - t0
peak_traced = tracemalloc.get_traced_memory()[1] / 2**20
peak_rss = status_mb("VmHWM")
print(json.dumps({"seconds": seconds, "rss_delta_mb": peak_rss - before, "traced_peak_mb": peak_traced,
                  "returned_mb": sum(a.nbytes for a in arrays) / 2**20}))
"""


def write_night(path: Path, hours: float) -> None:
    import numpy as np

    from sleepdg.io.edf import EdfChannel, write_edf

    rng = np.random.default_rng(0)
    n = round(hours * 3600 * SFREQ_HZ)
    channels = [
        EdfChannel(label, rng.normal(0.0, 30.0, n).astype(np.float32), SFREQ_HZ, (-3276.8, 3276.7))
        for label in CHANNELS
    ]
    write_edf(path, channels, start=datetime(2001, 1, 1, 23), record_duration_s=1.0)


def measure(kind: str, path: Path, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--kinds", default="raw,sleepdg,edfio,pyedflib,mne")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_read-"))
    path = workdir / "recordings" / "SN001.edf"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_night(path, args.hours)
    size_mb = path.stat().st_size / 2**20
    path.read_bytes()  # into the page cache
    results = {kind: measure(kind, path, args.repeat) for kind in args.kinds.split(",")}
    raw_s = results["raw"]["seconds"]
    print(
        f"file: {path} ({size_mb:.1f} MB, {len(CHANNELS)} ch x {SFREQ_HZ} Hz, {args.hours:g} h), "
        f"picked {PICKED}"
    )
    print(
        f"{'reader':<9} {'s':>7} {'MB/s':>8} {'raw/reader':>10} {'RSS +MB':>8} "
        f"{'traced MB':>9} {'returned MB':>11}"
    )
    for kind, r in results.items():
        print(
            f"{kind:<9} {r['seconds']:7.3f} {size_mb / r['seconds']:8.0f} {raw_s / r['seconds']:10.2f} "
            f"{r['rss_delta_mb']:8.1f} {r['traced_peak_mb']:9.1f} {r['returned_mb']:11.1f}"
        )


if __name__ == "__main__":
    main()
