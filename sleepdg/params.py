"""Typed models of ``params.yaml``: validated once, so stages receive objects, not dicts.

Each block of architecture.md is one pydantic model with ``extra="forbid"``: a misspelled key, a
wrong type or an out-of-range value fails at load time with the dotted key in the message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sleepdg.errors import SleepdgError

DatasetName = Literal["sleepedf", "hmc", "isruc", "shhs", "p2018"]
DATASETS: tuple[DatasetName, ...] = ("sleepedf", "hmc", "isruc", "shhs", "p2018")  # also the domain-id order


class ParamsError(SleepdgError, ValueError):
    """``params.yaml`` does not validate; the message names every offending key."""


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------------------------------
# base, data, synthetic


class BaseParams(_Block):
    seed: int = Field(0, ge=0)
    datasets: tuple[DatasetName, ...] = DATASETS

    @field_validator("datasets")
    @classmethod
    def _known_order(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"datasets listed twice: {list(value)}")
        return tuple(d for d in DATASETS if d in value)  # canonical order = domain-id order


class Mirrors(_Block):
    """Base URL of each official source; change for an institutional mirror or a test server."""

    sleepedf: str = "https://physionet.org/files/sleep-edfx/1.0.0"
    hmc: str = "https://physionet.org/files/hmc-sleep-staging/1.1"
    isruc: str = "http://dataset.isr.uc.pt/ISRUC_Sleep"
    shhs: str = "https://sleepdata.org"
    p2018: str = "https://physionet.org/files/challenge-2018/1.0.0"

    @field_validator("*")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s):// base URL, got {value!r}")
        return value.rstrip("/")


class DataParams(_Block):
    """What ``download`` fetches (source, subset, parts) and how (workers, retries: never a DVC dep)."""

    source: Literal["synthetic", "real"] = "synthetic"
    subset: int | None = Field(None, ge=1, description="first N recordings per dataset (real data)")
    mirrors: Mirrors = Mirrors()
    sleepedf_parts: tuple[Literal["cassette", "telemetry"], ...] = Field(
        ("cassette", "telemetry"), min_length=1
    )
    isruc_subgroups: tuple[Literal[1, 2, 3], ...] = Field((1, 2, 3), min_length=1)
    shhs_visit: Literal[1, 2] = 1
    shhs_annotations: tuple[Literal["nsrr", "profusion"], ...] = Field(("nsrr",), min_length=1)
    keep_archives: bool = False  # keep ISRUC's .rar files after extraction (size and sha256 are recorded)
    nsrr_token_env: str = "NSRR_TOKEN"  # name of the environment variable holding the token
    workers: int = Field(4, ge=1, le=32, description="parallel downloads")
    retries: int = Field(5, ge=0, le=100, description="attempts per file after the first, without progress")
    backoff_s: float = Field(2.0, ge=0.0, le=600.0, description="first pause between attempts; doubles")
    timeout_s: float = Field(60.0, gt=0.0, description="per connect and per read")


class ShiftScale(_Block):
    """Strength λ of each dataset's synthetic domain shift (synthetic.md §3.4): every numeric knob of
    `sleepdg.synth.profiles` sits at ``mean + λ·(value − mean)``. Defaults tuned on the default model
    (benchmarks/tune_default.py) so that LODO accuracy is 5–15 points below a steps-matched in-domain
    model: Sleep-EDF and HMC sit near the mean of most knobs and transfer too well at λ = 1 (gaps of
    0 and 1 point), so both are scaled up."""

    sleepedf: float = Field(1.5, ge=0.0, le=2.0)
    hmc: float = Field(1.8, ge=0.0, le=2.0)
    isruc: float = Field(1.0, ge=0.0, le=2.0)
    shhs: float = Field(1.0, ge=0.0, le=2.0)
    p2018: float = Field(1.4, ge=0.0, le=2.0)


class SyntheticParams(_Block):
    seed: int = Field(0, ge=0, description="the data's seed, apart from base.seed (training's)")
    recordings: int = Field(8, ge=1, description="nights per dataset")
    hours: float = Field(8.0, gt=0.0, le=24.0, description="time in bed per night")
    shift_scale: ShiftScale = ShiftScale()


# ---------------------------------------------------------------------------------------------
# prepare


class PrepareCommon(_Block):
    sfreq_hz: float = Field(100.0, gt=0)
    band_hz: tuple[float, float] = (0.3, 35.0)
    filter: Literal["fir", "sos"] = "fir"
    normalise: Literal["zscore", "none"] = "zscore"
    on_error: Literal["raise", "skip"] = "raise"

    @model_validator(mode="after")
    def _band_below_nyquist(self) -> PrepareCommon:
        low, high = self.band_hz
        if not 0 < low < high < self.sfreq_hz / 2:
            raise ValueError(f"band_hz {list(self.band_hz)} must satisfy 0 < low < high < sfreq_hz/2")
        return self


ChannelList = Annotated[tuple[str, ...], Field(min_length=1)]


class DatasetPrepare(_Block):
    """Channel choice and epoch selection of one dataset (method.md §1 defaults)."""

    eeg: ChannelList
    eog: ChannelList
    trim_wake: tuple[int, int] | None = None  # epochs kept (before first, after last) sleep epoch
    filter: Literal["fir", "sos"] | None = None  # overrides prepare.common.filter

    @field_validator("trim_wake")
    @classmethod
    def _non_negative(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and min(value) < 0:
            raise ValueError(f"trim_wake {list(value)} must be non-negative")
        return value


class SleepedfPrepare(DatasetPrepare):
    eeg: ChannelList = ("EEG Fpz-Cz",)
    eog: ChannelList = ("EOG horizontal",)
    trim_wake: tuple[int, int] | None = (60, 59)  # the reference; DeepSleepNet uses (60, 60)


class HmcPrepare(DatasetPrepare):
    eeg: ChannelList = ("EEG F4-M1",)
    eog: ChannelList = ("EOG E1-M2",)


class IsrucPrepare(DatasetPrepare):
    eeg: ChannelList = ("F4-A1", "F4-M1", "F4 - A1")  # "F4 - A1": the monopolar subject 40
    eog: ChannelList = ("LOC-A2", "E1-M2", "LOC - A2")
    scorer: Literal[1, 2] = 1
    labels: Literal["txt", "xlsx"] = "txt"  # the .xlsx tells unscored "U" apart from W (the .txt writes 0)


class ShhsPrepare(DatasetPrepare):
    eeg: ChannelList = ("EEG",)  # C4-A1 (the EEG(sec) variants "EEG 2", "EEG sec"... are C3-A2)
    eog: ChannelList = ("EOG(R) - EOG(L)",)  # SleepDIFFormer's bipolar EOG
    visit: Literal[1, 2] = 1
    annotations: Literal["nsrr", "profusion"] = "nsrr"


class P2018Prepare(DatasetPrepare):
    eeg: ChannelList = ("C3-M2",)
    eog: ChannelList = ("E1-M2",)
    filter: Literal["fir", "sos"] | None = "sos"  # the reference filters P2018 with an IIR (method.md §1)
    labels: Literal["arousal", "mat"] = "arousal"  # the WFDB .arousal file or the v7.3 -arousal.mat


class PrepareParams(_Block):
    common: PrepareCommon = PrepareCommon()
    sleepedf: SleepedfPrepare = SleepedfPrepare()
    hmc: HmcPrepare = HmcPrepare()
    isruc: IsrucPrepare = IsrucPrepare()
    shhs: ShhsPrepare = ShhsPrepare()
    p2018: P2018Prepare = P2018Prepare()

    def dataset(self, name: str) -> DatasetPrepare:
        if name not in DATASETS:
            raise ParamsError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
        block: DatasetPrepare = getattr(self, name)
        return block


# ---------------------------------------------------------------------------------------------
# model, train, evaluate, folds, runtime


class ModelParams(_Block):
    """Widths of SleepDIFFormer. ``preset`` fills every width left out (see sleepdg.model.config).

    ``paper``: the reference sizes (the only preset reference weights fit); ``small``: 4-5 times
    cheaper per training step, for the synthetic pipeline. ``stacking``: ``reference`` feeds
    every MDTA layer the embeddings and keeps the last (the published code), ``chained`` stacks them
    (the paper's figure). ``attention``: ``standard`` swaps the MDTA's differential attention only.
    """

    preset: Literal["small", "paper"] = "small"
    d_model: int | None = Field(None, ge=8)
    n_heads: int | None = Field(None, ge=1)  # differential heads: d_model / (2 * n_heads) wide each
    n_layers: int | None = Field(None, ge=1)
    d_ff: int | None = Field(None, ge=8)
    cnn_channels: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]] | None = None
    dropout: float | None = Field(None, ge=0.0, lt=1.0)
    stacking: Literal["reference", "chained"] = "reference"
    attention: Literal["differential", "standard"] = "differential"


class LossWeights(_Block):
    align: float = Field(0.5, ge=0.0)  # L_mean + L_cov + L_seq
    rec: float = Field(0.5, ge=0.0)


class TrainParams(_Block):
    epochs: int = Field(50, ge=1)
    batch_size: int = Field(16, ge=1)
    lr: float = Field(5e-4, gt=0)
    weight_decay: float = Field(5e-5, ge=0)  # coupled L2 as the reference (lr / 10)
    optimizer: Literal["adam", "radam"] = "adam"
    clip_grad_norm: float | None = Field(1.0, gt=0)
    label_smoothing: float = Field(0.1, ge=0.0, lt=1.0)
    loss_weights: LossWeights = LossWeights()
    seq_len: int = Field(20, ge=1)
    stride: int = Field(20, ge=1)
    val_split: Literal["sequence", "subject"] = "sequence"
    val_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    select_by: Literal["acc", "macro_f1"] = "acc"
    early_stopping: int | None = Field(None, ge=1, description="patience in epochs; None runs every epoch")
    max_steps_per_epoch: int | None = Field(None, ge=1)


class EvaluateParams(_Block):
    """What ``evaluate`` draws: figures and the form of ``confusion.csv`` (never the metrics)."""

    n_hypnograms: int = Field(3, ge=0, description="recordings drawn, spread from the worst to the best")
    n_attention: int = Field(1, ge=0, description="attention figures, each one epoch per stage")
    confusion_sample: int = Field(
        0, ge=0, description="0: 25 count rows (template confusion_counts); N: N epochs (template confusion)"
    )


_SCHEDULER_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?")


class RuntimeParams(_Block):
    """How to run, never what to compute: no stage lists it, so changing it re-runs nothing."""

    workers: int = Field(2, ge=1)
    scheduler: str = "processes"  # processes | dask (LocalCluster of `workers`) | tcp://host:port | tls://
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    threads: int | None = Field(None, ge=1)
    bf16: bool = False
    loader_workers: int = Field(0, ge=0)
    preload_mb: int = Field(4096, ge=0, description="load training signals into RAM when they fit; 0 never")

    @field_validator("scheduler")
    @classmethod
    def _known_scheduler(cls, value: str) -> str:
        if value in ("processes", "dask") or _SCHEDULER_ADDRESS.fullmatch(value):
            return value
        raise ValueError(
            "expected processes, dask (a local Dask cluster) or a Dask scheduler address "
            f"(tcp://host:port or tls://host:port), got {value!r}"
        )


class Params(_Block):
    base: BaseParams = BaseParams()
    data: DataParams = DataParams()
    synthetic: SyntheticParams = SyntheticParams()
    prepare: PrepareParams = PrepareParams()
    model: ModelParams = ModelParams()
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    folds: dict[DatasetName, tuple[DatasetName, ...]] = Field(default_factory=dict)
    runtime: RuntimeParams = RuntimeParams()

    @model_validator(mode="after")
    def _folds(self) -> Params:
        folds = dict(self.folds) or {
            t: tuple(d for d in self.base.datasets if d != t) for t in self.base.datasets
        }
        if self.data.shhs_visit != self.prepare.shhs.visit:
            data, prep = self.data.shhs_visit, self.prepare.shhs.visit
            raise ValueError(
                f"data.shhs_visit ({data}) and prepare.shhs.visit ({prep}) disagree: "
                "prepare would find no recording of the downloaded visit"
            )
        known = set(self.base.datasets)
        for target, sources in folds.items():
            unknown = sorted({target, *sources} - known)
            if unknown:
                raise ValueError(f"folds.{target}: {', '.join(unknown)} not in base.datasets")
            if target in sources:
                raise ValueError(f"folds.{target}: the target cannot be one of its sources")
            if len(set(sources)) != len(sources) or not sources:
                raise ValueError(f"folds.{target}: sources must be distinct and non-empty")
        object.__setattr__(self, "folds", {t: tuple(d for d in DATASETS if d in s) for t, s in folds.items()})
        return self

    def sources(self, target: str) -> tuple[str, ...]:
        """The source datasets of a fold, in domain-id order."""
        if target not in self.folds:
            raise ParamsError(f"no fold {target!r} in params folds; have {', '.join(self.folds)}")
        return self.folds[target]

    def fold_seed(self, target: str) -> int:
        """Per-fold seed: base.seed + index of the target in the dataset list (architecture.md)."""
        return self.base.seed + DATASETS.index(target)


def _format_errors(path: Path, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"{path}: unknown key {key}")
        elif item["type"] == "value_error":  # our own validators already name the keys and values
            where = f"{key}: " if item["loc"] else ""
            lines.append(f"{path}: {where}{item['msg'].removeprefix('Value error, ')}")
        else:
            lines.append(f"{path}: {key}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(lines)


def parse_params(raw: dict[str, Any], path: Path | str = "params.yaml") -> Params:
    """Validate a params mapping; raise `ParamsError` naming every bad key."""
    try:
        return Params.model_validate(raw or {})
    except ValidationError as exc:
        raise ParamsError(_format_errors(Path(path), exc)) from None


def load_params(path: Path | str = "params.yaml") -> Params:
    """Read and validate ``params.yaml``."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such params file") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if raw is not None and not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of blocks, got {type(raw).__name__}")
    return parse_params(raw or {}, path)
