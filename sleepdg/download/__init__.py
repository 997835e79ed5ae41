"""Fill ``data/raw/<dataset>/``: synthetic files, or the official files fetched and verified.

``download_dataset`` is the stage; the parts are usable alone: `HttpClient.fetch` (resumable,
verified download of one URL), `safe_extract` (zip/tar/RAR without escapes), `parse_sha256sums`.
"""

from sleepdg.download.checksums import Checksum, parse_sha256sums
from sleepdg.download.extract import (
    ArchiveError,
    ArchiveToolError,
    ExtractedFile,
    UnsafeArchiveError,
    require_rar_tool,
    safe_extract,
)
from sleepdg.download.http import FetchResult, HttpClient, HttpOptions, partial_path
from sleepdg.download.run import ARCHIVES_NAME, RECORD_NAME, download_dataset, generator_digest
from sleepdg.download.sources import RemoteFile

__all__ = [
    "ARCHIVES_NAME",
    "RECORD_NAME",
    "ArchiveError",
    "ArchiveToolError",
    "Checksum",
    "ExtractedFile",
    "FetchResult",
    "HttpClient",
    "HttpOptions",
    "RemoteFile",
    "UnsafeArchiveError",
    "download_dataset",
    "generator_digest",
    "parse_sha256sums",
    "partial_path",
    "require_rar_tool",
    "safe_extract",
]
