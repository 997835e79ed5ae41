"""Native file formats of the five datasets: parse with validation, read only what is needed, write.

Heavy libraries (wfdb, h5py, scipy, openpyxl, defusedxml) are imported inside the functions that
use them, so importing this package stays cheap.
"""

from sleepdg.io.edf import (
    Annotation,
    EdfChannel,
    EdfHeader,
    read_edf_annotations,
    read_edf_channels,
    read_edf_header,
    write_annotations_edf,
    write_edf,
)
from sleepdg.io.hmc_txt import read_hmc_scoring_txt, write_hmc_scoring_txt
from sleepdg.io.isruc_labels import read_isruc_txt, read_isruc_xlsx, write_isruc_labels
from sleepdg.io.nsrr_xml import (
    ScoredEvent,
    read_nsrr_events,
    read_profusion_stages,
    write_nsrr_xml,
    write_profusion_xml,
)
from sleepdg.io.wfdb_io import (
    WfdbHeader,
    read_arousal_annotations,
    read_arousal_mat,
    read_mat_channels,
    read_wfdb_header,
    write_arousal_annotations,
    write_arousal_mat,
    write_mat_record,
)

__all__ = [
    "Annotation",
    "EdfChannel",
    "EdfHeader",
    "ScoredEvent",
    "WfdbHeader",
    "read_arousal_annotations",
    "read_arousal_mat",
    "read_edf_annotations",
    "read_edf_channels",
    "read_edf_header",
    "read_hmc_scoring_txt",
    "read_isruc_txt",
    "read_isruc_xlsx",
    "read_mat_channels",
    "read_nsrr_events",
    "read_profusion_stages",
    "read_wfdb_header",
    "write_annotations_edf",
    "write_arousal_annotations",
    "write_arousal_mat",
    "write_edf",
    "write_hmc_scoring_txt",
    "write_isruc_labels",
    "write_mat_record",
    "write_nsrr_xml",
    "write_profusion_xml",
]
