"""SHHS scoring XML: the NSRR format (``*-nsrr.xml``) and the Compumedics profusion format.

- NSRR: ``<PSGAnnotation><ScoredEvents><ScoredEvent>`` with ``EventType``, ``EventConcept``,
  ``Start`` and ``Duration`` (seconds); stages are runs with EventType ``Stages|Stages`` and a
  concept such as ``Wake|0`` or ``Stage 2 sleep|2``.
- Profusion: ``<CMPStudyConfig>`` with ``<EpochLength>`` and ``<SleepStages>``, one
  ``<SleepStage>`` integer per epoch from the recording start.

Parsing goes through defusedxml: a document that declares entities (billion laughs, external
entities) is refused with a `ReaderError`, as is malformed XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from sleepdg.atomic import atomic_path
from sleepdg.errors import ReaderError

STAGE_EVENT_TYPE = "Stages|Stages"


class ScoredEvent(NamedTuple):
    """One NSRR ``ScoredEvent``: times in seconds from the recording start."""

    event_type: str
    concept: str
    start_s: float
    duration_s: float


def _parse(path: Path) -> ET.Element:
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        root: ET.Element = DET.parse(path).getroot()
    except FileNotFoundError:
        raise ReaderError(path, "no such file") from None
    except DefusedXmlException as exc:
        raise ReaderError(
            path, f"XML declares entities or a DTD, refused for safety ({type(exc).__name__})"
        ) from None
    except ET.ParseError as exc:
        raise ReaderError(path, f"malformed XML: {exc}") from None
    return root


def _float(path: Path, element: ET.Element | None, what: str) -> float:
    text = (element.text or "").strip() if element is not None else ""
    try:
        return float(text)
    except ValueError:
        raise ReaderError(path, f"{what} is {text!r}, not a number") from None


def read_nsrr_events(path: Path | str) -> list[ScoredEvent]:
    """Every ``ScoredEvent`` of an NSRR XML file, in file order.

    Raises
    ------
    ReaderError
        Malformed or unsafe XML, a root other than ``PSGAnnotation``, or a non-numeric time.
    """
    path = Path(path)
    root = _parse(path)
    if root.tag != "PSGAnnotation":
        raise ReaderError(path, f"root element is <{root.tag}>, expected <PSGAnnotation> (NSRR XML)")
    events = []
    for i, node in enumerate(root.iter("ScoredEvent")):
        events.append(
            ScoredEvent(
                event_type=(node.findtext("EventType") or "").strip(),
                concept=(node.findtext("EventConcept") or "").strip(),
                start_s=_float(path, node.find("Start"), f"ScoredEvent {i} Start"),
                duration_s=_float(path, node.find("Duration"), f"ScoredEvent {i} Duration"),
            )
        )
    return events


def read_profusion_stages(path: Path | str) -> tuple[list[int], float]:
    """The ``SleepStage`` integers (one per epoch from the start) and ``EpochLength`` in seconds."""
    path = Path(path)
    root = _parse(path)
    if root.tag != "CMPStudyConfig":
        raise ReaderError(path, f"root element is <{root.tag}>, expected <CMPStudyConfig> (profusion XML)")
    epoch_s = _float(path, root.find("EpochLength"), "EpochLength")
    stages_node = root.find("SleepStages")
    if stages_node is None:
        raise ReaderError(path, "no <SleepStages> element")
    codes = []
    for i, node in enumerate(stages_node.iter("SleepStage")):
        text = (node.text or "").strip()
        if not text.lstrip("-").isdigit():
            raise ReaderError(path, f"SleepStage {i} is {text!r}, not an integer")
        codes.append(int(text))
    return codes, epoch_s


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    node = ET.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


def _write(path: Path, root: ET.Element) -> None:
    ET.indent(root, space="")
    data = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    with atomic_path(Path(path)) as tmp:
        tmp.write_bytes(data)


def write_nsrr_xml(
    path: Path,
    events: Sequence[tuple[str, str, float, float]],
    *,
    recording_duration_s: float,
    clock_time: str = "00.00.00 22.00.00",
) -> None:
    """Write an NSRR ``*-nsrr.xml``.

    Parameters
    ----------
    events
        (event_type, concept, start_s, duration_s), e.g. ``("Stages|Stages", "Wake|0", 0, 660)``
        or ``("Respiratory|Respiratory", "Hypopnea|Hypopnea", 1202, 12.4)``.
    recording_duration_s
        Duration of the leading ``Recording Start Time`` event.
    clock_time
        Its ``ClockTime``, ``"00.00.00 HH.MM.SS"`` as in the de-identified files.
    """
    root = ET.Element("PSGAnnotation")
    _sub(root, "SoftwareVersion", "Compumedics")
    _sub(root, "EpochLength", "30")
    scored = _sub(root, "ScoredEvents")
    first = _sub(scored, "ScoredEvent")
    _sub(first, "EventType")
    _sub(first, "EventConcept", "Recording Start Time")
    _sub(first, "Start", "0")
    _sub(first, "Duration", f"{recording_duration_s:.1f}")
    _sub(first, "ClockTime", clock_time)
    for event_type, concept, start_s, duration_s in events:
        node = _sub(scored, "ScoredEvent")
        _sub(node, "EventType", event_type)
        _sub(node, "EventConcept", concept)
        _sub(node, "Start", f"{start_s:g}")
        _sub(node, "Duration", f"{duration_s:.1f}")
    _write(path, root)


def write_profusion_xml(
    path: Path, stages: Sequence[int], events: Sequence[tuple[str, float, float]] = ()
) -> None:
    """Write a Compumedics profusion ``*-profusion.xml``: one ``SleepStage`` per 30-s epoch
    (0 W, 1-4 R&K, 5 REM, 9 unscored) and ``events`` as (name, start_s, duration_s)."""
    root = ET.Element("CMPStudyConfig")
    _sub(root, "EpochLength", "30")
    _sub(root, "StepChannels")
    _sub(root, "ScoredEventSettings")
    scored = _sub(root, "ScoredEvents")
    for name, start_s, duration_s in events:
        node = _sub(scored, "ScoredEvent")
        _sub(node, "Name", name)
        _sub(node, "Start", f"{start_s:g}")
        _sub(node, "Duration", f"{duration_s:g}")
        _sub(node, "Input", "")
    sleep = _sub(root, "SleepStages")
    for code in stages:
        _sub(sleep, "SleepStage", str(int(code)))
    _write(path, root)
