"""Per-dataset profiles of the synthetic PSG generator: native channels and domain-shift knobs.

Every number comes from synthetic.md §3.3 (knobs) and datasets.md Part B (channel labels, rates,
storage ranges). `scaled_profile` applies the per-dataset shift scale λ of synthetic.md §3.4: each
numeric knob moves to ``mean + λ·(value − mean)``, the mean taken over the five datasets, so λ = 0
leaves only the categorical differences (montage, rates, mains frequency, EOG sign) and λ = 2
doubles every numeric deviation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from sleepdg.params import DATASETS

Realism = Literal["default", "strict"]


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of a dataset's native file.

    ``site`` tells the generator what the channel records: an EEG site class (``"F"``, ``"C"``,
    ``"O"``, ``"FpzCz"``, ``"PzOz"``), an EOG placement (``"E1"``, ``"E2"``, ``"EOGH"``,
    ``"EOGL"``, ``"EOGR"``) or an auxiliary signal (``"chin"``, ``"chin_env"``, ``"ecg"``,
    ``"hr"``, ``"flow"``, ``"thermistor"``, ``"thorax"``, ``"abdomen"``, ``"spo2"``, ``"temp"``,
    ``"marker"``, ``"position"``, ``"light"``, ``"oxstat"``, ``"dc"``, ``"snore"``, ``"leg"``).
    """

    label: str  # exact file label, e.g. "EEG Fpz-Cz", "EOG(L)", "SaO2"
    sfreq_hz: float
    physical_range: tuple[float, float]
    digital_range: tuple[int, int]
    dimension: str  # "uV", "%", "mV", "bpm", "degC", ...
    kind: str  # "eeg" | "eog" | "emg" | "ecg" | "resp" | "spo2" | "other"
    prefilter: str = ""
    transducer: str = ""
    site: str = ""


@dataclass(frozen=True)
class DatasetProfile:
    """Native channels and generator knobs of one dataset (synthetic.md §3.3).

    Amplitudes are µV at the dataset's model leads unless stated; ``*_amp`` values are factors of
    the healthy 25–35-year defaults of synthetic.md §1.1. Tuples are ranges a night draws from.
    """

    name: str  # "sleepedf" | "hmc" | "isruc" | "shhs" | "p2018"
    channels: tuple[ChannelSpec, ...]  # the native file's channels in file order
    model_eeg: str  # label (or "A - B" derivation) prepare reads by default
    model_eog: str
    mains_hz: float | None
    age_y: tuple[float, float, float, float]  # mean, sd, min, max of the subjects' age
    eog_sign: float  # sign of the horizontal eye source at the model EOG (categorical)
    lp_order: int  # poles of the hardware low-pass
    mains_uv: tuple[float, float]  # mains amplitude (peak) range at the EEG/EOG leads
    hp_hz: float  # hardware high-pass corner (1 pole)
    lp_hz: float  # hardware low-pass corner
    gain_sigma: float  # per-night gain ~ LogN(0, gain_sigma)
    white_noise_uv: float  # amplifier noise sd at the native rate
    beta_offset: float  # added to every stage's aperiodic exponent
    alpha_hz: float  # alpha peak at the typical age
    alpha_amp: float
    spindle_hz: float  # at the model EEG lead
    spindle_density: float  # N2 spindles per minute at the typical age
    spindle_amp: float
    kcsw_amp: float  # K-complex and slow-wave amplitude factor
    arousal_per_h: float  # arousals per hour of sleep
    blink_uv: tuple[float, float]  # blink magnitude at the model EOG
    eog_leak: float  # frontal-EEG leak into the referential EOG leads
    ecg_uv: float  # QRS peak-to-peak in the model EEG
    sweat_uv: float  # sweat drift amplitude (N3, late night)
    label_noise: float  # boundary flip probability = 3 · label_noise
    shift_scale: float = 1.0  # λ this profile was built with

    def channel(self, label: str) -> ChannelSpec:
        """The channel spec with this exact label."""
        for spec in self.channels:
            if spec.label == label:
                return spec
        raise KeyError(f"{self.name}: no channel {label!r}; have {', '.join(c.label for c in self.channels)}")

    @property
    def model_labels(self) -> tuple[str, ...]:
        """File labels the model derivations read (both operands of an ``"A - B"`` derivation)."""
        labels: list[str] = []
        for entry in (self.model_eeg, self.model_eog):
            for part in entry.split(" - "):
                if part.strip() not in labels:
                    labels.append(part.strip())
        return tuple(labels)


# Knobs λ scales (synthetic.md §3.4); the rest (montage, rates, mains frequency, EOG sign, age,
# filter order) are categorical or subject-level and stay as they are. blink_uv is not scaled: each
# dataset's value is the blink at its own EOG derivation, so their mean mixes different leads.
SCALED_KNOBS: tuple[str, ...] = (
    "mains_uv",
    "hp_hz",
    "lp_hz",
    "gain_sigma",
    "white_noise_uv",
    "beta_offset",
    "alpha_hz",
    "alpha_amp",
    "spindle_hz",
    "spindle_density",
    "spindle_amp",
    "kcsw_amp",
    "arousal_per_h",
    "eog_leak",
    "ecg_uv",
    "sweat_uv",
    "label_noise",
)
# Floors keep a scaled knob physiological: spindles at the model lead no slower than slow frontal
# spindles (12 Hz; a detector's 12–15 Hz sigma band misses slower ones), and some amplifier noise on
# every dataset (without it, the native noise floor above the physiology carries the stage).
_FLOORS = {
    "hp_hz": 0.05,
    "lp_hz": 8.0,
    "alpha_hz": 7.5,
    "spindle_hz": 12.0,
    "blink_uv": 5.0,
    "white_noise_uv": 0.1,
}


def _ch(
    label: str,
    fs: float,
    phys: tuple[float, float],
    dig: tuple[int, int],
    dim: str,
    kind: str,
    site: str,
    prefilter: str = "",
    transducer: str = "",
) -> ChannelSpec:
    """A ChannelSpec with the rate as a float."""
    return ChannelSpec(label, float(fs), phys, dig, dim, kind, prefilter, transducer, site)


_I12 = (-2048, 2047)
_I16 = (-32768, 32767)
_UV16 = (-3277.0, 3277.0)
_SEDF_PRE = "HP:0.5Hz LP:100Hz [enhanced cassette BW]"
_AGCL = "Ag-AgCl electrodes"

_SLEEPEDF = (  # datasets.md B.1; ranges and strings from the SC4001E0 header (shared/realdata psg_crops)
    _ch("EEG Fpz-Cz", 100, (-192.0, 192.0), _I12, "uV", "eeg", "FpzCz", _SEDF_PRE, _AGCL),
    _ch("EEG Pz-Oz", 100, (-197.0, 196.0), _I12, "uV", "eeg", "PzOz", _SEDF_PRE, _AGCL),
    _ch("EOG horizontal", 100, (-1009.0, 1009.0), _I12, "uV", "eog", "EOGH", _SEDF_PRE, _AGCL),
    _ch(
        "Resp oro-nasal",
        1,
        (-2048.0, 2047.0),
        _I12,
        "",
        "resp",
        "thermistor",
        "HP:0.03Hz LP:0.9Hz",
        "Oral-nasal thermistors",
    ),
    _ch(
        "EMG submental",
        1,
        (-5.0, 5.0),
        (-2500, 2500),
        "uV",
        "emg",
        "chin_env",
        "HP:16Hz Rectification LP:0.7Hz",
        _AGCL,
    ),
    _ch("Temp rectal", 1, (34.0, 40.0), (-2849, 2731), "DegC", "other", "temp", "", "Rectal thermistor"),
    _ch(
        "Event marker",
        1,
        (-2047.0, 2048.0),
        (-2047, 2048),
        "",
        "other",
        "marker",
        "Hold during 2 seconds",
        "Marker button",
    ),
)

_HMC_PRE = "HP:0.2Hz LP:70Hz"
_HMC = tuple(  # datasets.md B.2: eight channels, all 256 Hz
    _ch(label, 256, _UV16, _I16, "uV", kind, site, _HMC_PRE, _AGCL)
    for label, kind, site in (
        ("EEG F4-M1", "eeg", "F"),
        ("EEG C4-M1", "eeg", "C"),
        ("EEG O2-M1", "eeg", "O"),
        ("EEG C3-M2", "eeg", "C"),
        ("EMG chin", "emg", "chin"),
        ("EOG E1-M2", "eog", "E1"),
        ("EOG E2-M2", "eog", "E2"),
        ("ECG", "ecg", "ecg"),
    )
)

_ISRUC_PRE = "HP:0.3Hz LP:70Hz"
_ISRUC = (  # datasets.md B.3, the A-montage of subgroup III; X1..X8 per Content.pdf [unverified]
    *(
        _ch(label, 200, _UV16, _I16, "uV", "eog" if label[1] == "O" else "eeg", site, _ISRUC_PRE, _AGCL)
        for label, site in (
            ("LOC-A2", "E1"),
            ("ROC-A1", "E2"),
            ("F3-A2", "F"),
            ("C3-A2", "C"),
            ("O1-A2", "O"),
            ("F4-A1", "F"),
            ("C4-A1", "C"),
            ("O2-A1", "O"),
        )
    ),
    _ch("X1", 200, _UV16, _I16, "uV", "emg", "chin", "HP:10Hz LP:100Hz", _AGCL),
    _ch("X2", 200, (-5000.0, 5000.0), _I16, "uV", "ecg", "ecg", "HP:0.3Hz LP:70Hz", _AGCL),
    _ch("X3", 200, _UV16, _I16, "uV", "emg", "leg", "HP:10Hz LP:100Hz", _AGCL),
    _ch("X4", 200, _UV16, _I16, "uV", "emg", "leg", "HP:10Hz LP:100Hz", _AGCL),
    _ch("X5", 200, _UV16, _I16, "uV", "other", "snore", "", "Microphone"),
    _ch("X6", 200, _UV16, _I16, "uV", "resp", "flow", "", "Nasal cannula"),
    _ch("X7", 200, _UV16, _I16, "uV", "resp", "thorax", "", "Effort belt"),
    _ch("X8", 200, _UV16, _I16, "uV", "resp", "abdomen", "", "Effort belt"),
    _ch("DC3", 200, (-5000.0, 5000.0), _I16, "mV", "other", "dc"),
    _ch("SaO2", 200, (0.0, 100.0), _I16, "%", "spo2", "spo2", "", "Pulse oximeter"),
    _ch("DC8", 200, (-5000.0, 5000.0), _I16, "mV", "other", "dc"),
)

_I8 = (-128, 127)
_SHHS = (  # datasets.md B.4 (SHHS1); ranges [unverified], EEG ±125 µV over -128..127
    _ch("SaO2", 1, (0.0, 100.0), (0, 255), "%", "spo2", "spo2", "", "Pulse oximeter"),
    _ch("H.R.", 1, (0.0, 250.0), (0, 255), "bpm", "other", "hr", "", "Pulse oximeter"),
    _ch("EEG(sec)", 125, (-125.0, 125.0), _I8, "uV", "eeg", "C", "HP:0.15Hz", _AGCL),
    _ch("ECG", 125, (-1.25, 1.25), _I8, "mV", "ecg", "ecg", "HP:0.15Hz", _AGCL),
    _ch("EMG", 125, (-125.0, 125.0), _I8, "uV", "emg", "chin", "HP:0.15Hz", _AGCL),
    _ch("EOG(L)", 50, (-125.0, 125.0), _I8, "uV", "eog", "EOGL", "HP:0.15Hz", _AGCL),
    _ch("EOG(R)", 50, (-125.0, 125.0), _I8, "uV", "eog", "EOGR", "HP:0.15Hz", _AGCL),
    _ch("EEG", 125, (-125.0, 125.0), _I8, "uV", "eeg", "C", "HP:0.15Hz", _AGCL),
    _ch("Thor RES", 10, (-1.0, 1.0), _I8, "", "resp", "thorax", "", "Inductance belt"),
    _ch("Abdo RES", 10, (-1.0, 1.0), _I8, "", "resp", "abdomen", "", "Inductance belt"),
    _ch("Position", 1, (0.0, 3.0), (0, 3), "", "other", "position", "", "Position sensor"),
    _ch("Light", 1, (0.0, 1.0), (0, 1), "", "other", "light", "", "Light sensor"),
    _ch("New Air", 10, (-1.0, 1.0), _I8, "", "resp", "flow", "", "Nasal pressure"),
    _ch("OX STAT", 1, (0.0, 3.0), (0, 3), "", "other", "oxstat", "", "Pulse oximeter"),
)

_P2018 = (  # datasets.md B.5: WFDB fmt 16, 1 adu/µV; SaO2 655.35(-32768)/%, ECG 1000/mV
    *(
        _ch(label, 200, (-32768.0, 32767.0), _I16, "uV", kind, site)
        for label, kind, site in (
            ("F3-M2", "eeg", "F"),
            ("F4-M1", "eeg", "F"),
            ("C3-M2", "eeg", "C"),
            ("C4-M1", "eeg", "C"),
            ("O1-M2", "eeg", "O"),
            ("O2-M1", "eeg", "O"),
            ("E1-M2", "eog", "E1"),
            ("Chin1-Chin2", "emg", "chin"),
            ("ABD", "resp", "abdomen"),
            ("CHEST", "resp", "thorax"),
            ("AIRFLOW", "resp", "flow"),
        )
    ),
    _ch("SaO2", 200, (0.0, 65535 / 655.35), _I16, "%", "spo2", "spo2"),
    _ch("ECG", 200, (-32.768, 32.767), _I16, "mV", "ecg", "ecg"),
)

_CHANNELS = {"sleepedf": _SLEEPEDF, "hmc": _HMC, "isruc": _ISRUC, "shhs": _SHHS, "p2018": _P2018}
# synthetic.md §3.3 (λ = 1), one row per knob, columns in DATASETS order: sleepedf, hmc, isruc, shhs, p2018.
# white_noise_uv is 0.35 × §3.3's values: with §3.3's 1.0–2.5 µV the floor hides the N2/N3 power law
# above ~15 Hz and the fitted exponents break acceptance check 2 (N3 > N2 > REM, N1 > W).
_KNOBS: dict[str, tuple[object, ...]] = {
    "model_eeg": ("EEG Fpz-Cz", "EEG F4-M1", "F4-A1", "EEG", "C3-M2"),
    "model_eog": ("EOG horizontal", "EOG E1-M2", "LOC-A2", "EOG(R) - EOG(L)", "E1-M2"),
    "mains_hz": (None, 50.0, 50.0, 60.0, 60.0),
    "age_y": (
        (29.5, 3.0, 25.0, 34.0),
        (53.9, 15.4, 20.0, 85.0),
        (44.0, 8.0, 30.0, 58.0),
        (63.0, 11.0, 40.0, 90.0),
        (55.0, 15.0, 20.0, 90.0),
    ),
    "eog_sign": (-1.0, 1.0, 1.0, 1.0, 1.0),
    "lp_order": (1, 1, 1, 1, 1),
    "mains_uv": ((0.0, 0.0), (1.0, 3.0), (2.0, 8.0), (1.0, 4.0), (1.0, 5.0)),
    "hp_hz": (0.5, 0.2, 0.3, 0.15, 0.3),
    "lp_hz": (40.0, 70.0, 70.0, 25.0, 70.0),
    "gain_sigma": (0.15, 0.20, 0.20, 0.30, 0.20),
    "white_noise_uv": (0.35, 0.25, 0.875, 0.875, 0.525),
    "beta_offset": (0.15, -0.20, 0.20, -0.30, -0.15),
    "alpha_hz": (10.4, 9.5, 10.2, 9.3, 9.6),
    "alpha_amp": (1.0, 0.85, 0.7, 0.75, 0.85),
    "spindle_hz": (12.8, 12.0, 12.6, 13.6, 13.4),
    "spindle_density": (6.0, 3.6, 5.5, 3.0, 3.4),
    "spindle_amp": (1.0, 0.75, 0.95, 0.65, 0.7),
    "kcsw_amp": (1.0, 0.65, 0.9, 0.6, 0.68),
    "arousal_per_h": (10.0, 20.0, 12.0, 22.0, 45.0),
    "blink_uv": ((20.0, 60.0), (60.0, 200.0), (60.0, 200.0), (150.0, 350.0), (60.0, 200.0)),
    "eog_leak": (0.10, 0.50, 0.60, 0.25, 0.45),
    "ecg_uv": (1.0, 4.0, 5.0, 6.0, 3.0),
    "sweat_uv": (0.0, 15.0, 15.0, 30.0, 20.0),
    "label_noise": (0.06, 0.10, 0.10, 0.08, 0.12),
}
_BASE: dict[str, DatasetProfile] = {
    name: DatasetProfile(name=name, channels=_CHANNELS[name], **{k: v[i] for k, v in _KNOBS.items()})  # type: ignore[arg-type]
    for i, name in enumerate(DATASETS)
}
PROFILES: Mapping[str, DatasetProfile] = MappingProxyType(_BASE)


def _scale(knob: str, value: float | tuple[float, ...], lam: float) -> float | tuple[float, ...]:
    """``mean + lam·(value − mean)`` over the five datasets, elementwise for ranges, floored."""
    floor = -float("inf") if knob == "beta_offset" else _FLOORS.get(knob, 0.0)
    values = [getattr(p, knob) for p in _BASE.values()]
    if isinstance(value, tuple):
        means = [sum(v[i] for v in values) / len(values) for i in range(len(value))]
        return tuple(max(floor, (1 - lam) * m + lam * v) for v, m in zip(value, means, strict=True))
    mean = sum(values) / len(values)
    return max(floor, (1 - lam) * mean + lam * value)


def scaled_profile(name: str, shift_scale: float, *, realism: Realism = "default") -> DatasetProfile:
    """The profile of ``name`` with its numeric knobs at ``mean + shift_scale·(value − mean)``.

    Parameters
    ----------
    name
        Dataset key, one of ``sleepdg.params.DATASETS``.
    shift_scale
        λ in [0, 2]: 0 puts every numeric knob at the five-dataset mean, 1 is the §3.3 table.
    realism
        ``"strict"`` gives SHHS its documented 2-pole 8.9-Hz EEG low-pass (synthetic.md §3.4),
        which breaks transfer; ``"default"`` keeps the 1-pole 25-Hz one.

    Returns
    -------
    DatasetProfile
        A new frozen profile; ``PROFILES`` is unchanged.
    """
    if name not in _BASE:
        raise KeyError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    if not 0.0 <= shift_scale <= 2.0:
        raise ValueError(f"shift_scale must lie in [0, 2], got {shift_scale}")
    base = _BASE[name]
    changes: dict[str, object] = {k: _scale(k, getattr(base, k), shift_scale) for k in SCALED_KNOBS}
    changes["shift_scale"] = float(shift_scale)
    if realism == "strict" and name == "shhs":
        changes.update(lp_hz=8.9, lp_order=2)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
