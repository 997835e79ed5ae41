"""NSRR and profusion XML (sleepdg.io.nsrr_xml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sleepdg.errors import ReaderError
from sleepdg.io.nsrr_xml import (
    ScoredEvent,
    read_nsrr_events,
    read_profusion_stages,
    write_nsrr_xml,
    write_profusion_xml,
)


def test_nsrr_xml_round_trips_its_events_after_the_recording_start(tmp_path: Path) -> None:
    path = tmp_path / "shhs1-200001-nsrr.xml"
    events = [
        ("Stages|Stages", "Wake|0", 0, 660),
        ("Respiratory|Respiratory", "Hypopnea|Hypopnea", 1202, 12.4),
    ]
    write_nsrr_xml(path, events, recording_duration_s=30600)
    assert read_nsrr_events(path)[0] == ScoredEvent("", "Recording Start Time", 0.0, 30600.0)
    got = read_nsrr_events(path)
    assert got[1:] == [ScoredEvent(*event) for event in events]
    assert "<ClockTime>00.00.00 22.00.00</ClockTime>" in path.read_text()


def test_profusion_xml_round_trips_one_stage_per_epoch(tmp_path: Path) -> None:
    path = tmp_path / "shhs1-200001-profusion.xml"
    write_profusion_xml(path, [0, 0, 1, 2, 3, 4, 5, 9], [("SpO2 desaturation", 100.0, 12.0)])
    assert read_profusion_stages(path) == ([0, 0, 1, 2, 3, 4, 5, 9], 30.0)


def test_malformed_xml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad-nsrr.xml"
    path.write_text("<PSGAnnotation><ScoredEvents><ScoredEvent>")
    with pytest.raises(ReaderError, match=r"bad-nsrr.xml: malformed XML"):
        read_nsrr_events(path)


def test_xml_with_an_external_entity_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "xxe-nsrr.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    "<PSGAnnotation><ScoredEvents>&e;</ScoredEvents></PSGAnnotation>")  # fmt: skip
    with pytest.raises(ReaderError, match="declares entities or a DTD, refused"):
        read_nsrr_events(path)


def test_xml_of_the_other_flavour_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    write_profusion_xml(path, [0])
    with pytest.raises(ReaderError, match=r"root element is <CMPStudyConfig>, expected <PSGAnnotation>"):
        read_nsrr_events(path)


def test_a_non_numeric_start_names_the_event(tmp_path: Path) -> None:
    path = tmp_path / "x-nsrr.xml"
    path.write_text("<PSGAnnotation><ScoredEvents><ScoredEvent><EventType>Stages|Stages</EventType>"
                    "<EventConcept>Wake|0</EventConcept><Start>soon</Start><Duration>30</Duration>"
                    "</ScoredEvent></ScoredEvents></PSGAnnotation>")  # fmt: skip
    with pytest.raises(ReaderError, match=r"ScoredEvent 0 Start is 'soon', not a number"):
        read_nsrr_events(path)
