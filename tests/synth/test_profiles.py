"""Dataset profiles of the synthetic generator: native channels (§3.3) and the λ scaling (§3.4)."""

from __future__ import annotations

import dataclasses

import pytest

from sleepdg.params import DATASETS, ShiftScale, parse_params
from sleepdg.synth.profiles import PROFILES, SCALED_KNOBS, scaled_profile

NATIVE = {  # label -> rate of a few channels per dataset (synthetic.md §3.3, datasets.md Part B)
    "sleepedf": {"EEG Fpz-Cz": 100, "EOG horizontal": 100, "EMG submental": 1, "Event marker": 1},
    "hmc": {"EEG F4-M1": 256, "EOG E2-M2": 256, "ECG": 256},
    "isruc": {"LOC-A2": 200, "F4-A1": 200, "X8": 200, "SaO2": 200, "DC8": 200},
    "shhs": {"SaO2": 1, "EEG(sec)": 125, "EOG(L)": 50, "Thor RES": 10, "OX STAT": 1},
    "p2018": {"C3-M2": 200, "E1-M2": 200, "SaO2": 200, "ECG": 200},
}
N_CHANNELS = {"sleepedf": 7, "hmc": 8, "isruc": 19, "shhs": 14, "p2018": 13}


def test_profiles_cover_the_five_datasets_in_domain_order() -> None:
    assert tuple(PROFILES) == DATASETS


@pytest.mark.parametrize("name", DATASETS)
def test_every_profile_lists_its_native_channels_with_their_rates(name: str) -> None:
    profile = PROFILES[name]
    assert len(profile.channels) == N_CHANNELS[name]
    rates = {c.label: c.sfreq_hz for c in profile.channels}
    for label, rate in NATIVE[name].items():
        assert rates[label] == rate
    assert len(rates) == len(profile.channels), "labels must be unique"


@pytest.mark.parametrize("name", DATASETS)
def test_model_channels_exist_and_are_eeg_and_eog_leads(name: str) -> None:
    profile = PROFILES[name]
    kinds = {profile.channel(label).kind for label in profile.model_labels}
    assert kinds == {"eeg", "eog"}
    assert profile.channel(profile.model_eeg.split(" - ")[0]).kind == "eeg"


@pytest.mark.parametrize("name", DATASETS)
def test_channel_ranges_are_ordered_and_every_24_h_night_has_whole_samples(name: str) -> None:
    for spec in PROFILES[name].channels:
        assert spec.physical_range[0] < spec.physical_range[1]
        assert -32768 <= spec.digital_range[0] < spec.digital_range[1] <= 32767
        assert float(30 * spec.sfreq_hz).is_integer()
        assert spec.site, f"{name} {spec.label} has no site"


def test_shhs_model_eog_is_the_bipolar_derivation_prepare_reads() -> None:
    assert PROFILES["shhs"].model_eog == "EOG(R) - EOG(L)"
    assert PROFILES["shhs"].model_labels == ("EEG", "EOG(R)", "EOG(L)")


def test_channel_lookup_names_the_available_labels_when_missing() -> None:
    with pytest.raises(KeyError, match="EEG Fpz-Cz"):
        PROFILES["sleepedf"].channel("EEG Cz")


@pytest.mark.parametrize("name", DATASETS)
def test_shift_scale_one_reproduces_the_table(name: str) -> None:
    assert dataclasses.replace(scaled_profile(name, 1.0), shift_scale=1.0) == PROFILES[name]


def test_shift_scale_zero_puts_every_numeric_knob_at_the_five_dataset_mean() -> None:
    for knob in SCALED_KNOBS:
        values = {repr(getattr(scaled_profile(name, 0.0), knob)) for name in DATASETS}
        assert len(values) == 1, f"{knob} differs at λ = 0: {values}"


def test_shift_scale_two_doubles_each_deviation_from_the_mean() -> None:
    mean = sum(p.beta_offset for p in PROFILES.values()) / 5
    hmc = scaled_profile("hmc", 2.0)
    assert hmc.beta_offset == pytest.approx(mean + 2 * (PROFILES["hmc"].beta_offset - mean))
    assert hmc.shift_scale == 2.0
    assert hmc.channels == PROFILES["hmc"].channels and hmc.mains_hz == 50.0  # categorical: untouched


def test_scaled_knobs_stay_physical_at_the_extremes() -> None:
    for name in DATASETS:
        for lam in (0.0, 2.0):
            p = scaled_profile(name, lam)
            assert p.lp_hz >= 8.0 and p.hp_hz > 0 and p.spindle_density > 0 and p.white_noise_uv >= 0
            assert p.blink_uv[0] > 0 and 0 <= 3 * p.label_noise <= 1
    # HMC, far from the mean, hits the floors: slow frontal spindles (not below a detector's 12–15 Hz
    # band) and some amplifier noise (else its native noise floor carries the stage, check 6)
    hmc = scaled_profile("hmc", 2.0)
    assert (hmc.spindle_hz, hmc.white_noise_uv) == (12.0, 0.1)
    assert scaled_profile("hmc", 1.0).spindle_hz == 12.0 and scaled_profile("isruc", 2.0).spindle_hz > 12.0


def test_strict_realism_gives_shhs_its_documented_low_pass() -> None:
    strict = scaled_profile("shhs", 1.0, realism="strict")
    assert (strict.lp_hz, strict.lp_order) == (8.9, 2)
    assert scaled_profile("hmc", 1.0, realism="strict").lp_hz == PROFILES["hmc"].lp_hz


def test_out_of_range_shift_scale_and_unknown_dataset_are_refused() -> None:
    with pytest.raises(ValueError, match=r"got 2\.5"):
        scaled_profile("hmc", 2.5)
    with pytest.raises(KeyError, match="unknown dataset 'mass'"):
        scaled_profile("mass", 1.0)


def test_shift_scale_defaults_are_the_recommended_calibration_and_validate() -> None:
    defaults = ShiftScale()
    assert all(0.0 <= v <= 2.0 for v in defaults.model_dump().values())
    params = parse_params({"synthetic": {"shift_scale": {"p2018": 0.5}}})
    assert params.synthetic.shift_scale.p2018 == 0.5
    assert params.synthetic.shift_scale.hmc == defaults.hmc
