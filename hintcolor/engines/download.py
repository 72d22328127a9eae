"""A pooch downloader that resumes an interrupted download from a ``.part`` file."""
from __future__ import annotations

import os
from pathlib import Path

import requests
from tqdm.auto import tqdm


class ResumingDownloader:
    """Download ``url`` into a persistent ``part`` file, continuing it with an HTTP Range request.

    Called by pooch as ``downloader(url, output_file, pooch)``; when the body is complete the part
    file is moved onto pooch's temporary ``output_file``, which pooch then hash-checks and moves
    into place (or deletes, so a corrupt file is never resumed). If the connection breaks, the part
    file stays and the next attempt (pooch retries, or a later call) asks only for the rest.
    """

    def __init__(self, part: Path, progress: bool = True, timeout: float = 30.0) -> None:
        self.part = Path(part)
        self.progress = progress
        self.timeout = timeout

    def __call__(self, url: str, output_file: str, pooch: object = None, check_only: bool = False) -> bool | None:
        if check_only:
            return requests.head(url, timeout=self.timeout, allow_redirects=True).ok
        done = self.part.stat().st_size if self.part.exists() else 0
        headers = {"Range": f"bytes={done}-"} if done else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
            if response.status_code == 416:  # the part is already as long as (or longer than) the file
                self.part.unlink()
                return self(url, output_file, pooch)
            response.raise_for_status()
            if response.status_code != 206:  # the server ignored the range: start over
                done = 0
            remaining = int(response.headers.get("Content-Length", 0))
            with open(self.part, "ab" if done else "wb") as out, tqdm(
                total=done + remaining or None,
                initial=done,
                unit="B",
                unit_scale=True,
                desc=self.part.name[: -len(".part")],
                disable=not self.progress,
            ) as bar:
                received = 0
                for chunk in response.iter_content(chunk_size=1 << 16):
                    out.write(chunk)
                    bar.update(len(chunk))
                    received += len(chunk)
            if remaining and received < remaining:  # keep the part file: the next attempt resumes it
                raise requests.exceptions.ChunkedEncodingError(f"connection closed after {received} of {remaining} bytes")
        os.replace(self.part, output_file)
        return None
