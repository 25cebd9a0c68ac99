"""Great Expectations' static HTML Data Docs for a batch, built from the stored results.

Every suite run's result document is stored with its submission (``validation_document``),
wherever the file was validated (a thread, a Dask worker, the loading transaction), so the
docs are built once per run from the store: the suites' pages plus one validation page per
submission and suite, under ``<folder>/index.html``. GE is imported here (about 2.5 s); call
it only from the run, never at import time. A run sends its site to the helper process
(``jzplan.validate.docs_helper``) when one is ready, and builds it itself otherwise.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jzplan.validate import import_engine
from jzplan.validate.docs_helper import Answer, DocsHelper, SiteRequest
from jzplan.validate.rules import load_suite_dict
from jzplan.validate.validator import SUITES

if TYPE_CHECKING:
    from jzplan.store.db import Bind

SITE = "jzplan"
# in a built site's folder: the digest of what built it (``_site_digest``)
BUILT_FROM = ".built-from"
_RESULT_KEYS = ("success", "results", "suite_name", "suite_parameters", "statistics", "meta", "id")


def document_label(submission_id: int, org_unit: str | None, period: str | None) -> str:
    """A submission's name in the Data Docs: ``NGZ-2013-03-12``."""
    return f"{org_unit or 'unknown'}-{period or 'unknown'}-{submission_id}"


@dataclass
class DataDocsJob:
    """A site being built (``start_data_docs``): ``wait`` returns its ``index.html`` once it
    is written, by the helper process or, when the helper was not used or failed, here."""

    index: Path
    request: SiteRequest | None  # None: the site stands as built before
    digest: str
    helper: DocsHelper | None = None
    answer: Future[Answer] | None = None
    # why the helper's site was not used (its error, or no answer), once ``wait`` returned
    helper_error: str | None = None
    built_by_helper: bool = False
    _done: bool = field(default=False, init=False)

    def wait(self) -> Path:
        if self.request is None or self._done:
            return self.index
        built = False
        if self.helper is not None and self.answer is not None:
            self.helper_error = self.helper.result(self.answer)
            built = self.helper_error is None
        if not built:
            build_site(self.request)
        (self.request.folder / BUILT_FROM).write_text(self.digest, "utf-8")
        self.built_by_helper, self._done = built, True
        return self.index


def start_data_docs(
    bind: Bind,
    submission_ids: Sequence[int],
    folder: Path,
    expectations_dir: Path,
    *,
    run_name: str,
    labels: dict[int, str] | None = None,
    helper: DocsHelper | None = None,
) -> DataDocsJob:
    """Begin the Data Docs site of these submissions' validations in ``folder`` (replaced);
    the job's ``wait`` returns its ``index.html`` once written. The site is sent to
    ``helper`` (``jzplan.validate.docs_helper``) when it is ready and idle, else built by
    ``wait``. A site built from the same documents, labels and suites is left as it is (a
    rerun of a stored month need not import GE, nor read the documents, to rebuild it)."""
    # the store's reading is the run's (the helper that builds sites never imports it)
    from jzplan.validate.store_checks import read_validation_documents, read_validation_fingerprints

    stored = read_validation_fingerprints(bind, submission_ids)
    digest = _site_digest(stored, expectations_dir, run_name, labels or {})
    index, marker = folder / "index.html", folder / BUILT_FROM
    if index.is_file() and marker.is_file() and marker.read_text("utf-8") == digest:
        return DataDocsJob(index, None, digest)
    documents = read_validation_documents(bind, submission_ids)
    request = SiteRequest(documents, folder, expectations_dir, run_name, dict(labels or {}))
    answer = helper.submit(request) if helper is not None else None
    return DataDocsJob(index, request, digest, helper if answer is not None else None, answer)


def build_site(request: SiteRequest) -> None:
    """The site of ``request`` written to its folder (replaced), without its digest."""
    _build(
        request.documents,
        request.folder,
        request.expectations_dir,
        run_name=request.run_name,
        labels=request.labels,
    )


def warm_up() -> None:
    """Import what a build uses (GE's site builder, the page views), as a helper does before
    it says it is ready."""
    import great_expectations.render.renderer.site_builder  # noqa: F401

    for name in ("CompiledPageView", "CompiledIndexPageView"):
        __getattr__(name)


def _site_digest(
    stored: Sequence[tuple[int, str, int, int]],
    expectations_dir: Path,
    run_name: str,
    labels: dict[int, str],
) -> str:
    """sha256 of all a site is built from: the stored documents (``read_validation_
    fingerprints``: a document is never changed in place) and their labels, the suites, this
    module (its page views) and GE's version."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for name in SUITES:
        digest.update((expectations_dir / f"{name}.json").read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(version("great_expectations").encode())
    mine = {str(sub_id): labels.get(sub_id) for sub_id, *_ in stored}
    digest.update(json.dumps([run_name, mine, stored], sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def _build(
    documents: Sequence[dict[str, Any]],
    folder: Path,
    expectations_dir: Path,
    *,
    run_name: str,
    labels: dict[int, str] | None,
) -> None:
    import_engine()
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    import jzplan.validate.custom_expectations  # noqa: F401  (registers the custom types)

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    ctx = gx.get_context(mode="ephemeral")
    page_view = {"module_name": __name__, "class_name": "CompiledPageView"}
    site: Any = {
        "class_name": "SiteBuilder",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(folder),
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": {"module_name": __name__, "class_name": "CompiledIndexPageView"},
        },
        "site_section_builders": {
            "expectations": {"view": page_view},
            "validations": {"view": page_view},
            "profiling": {"view": page_view},
        },
    }
    ctx.add_data_docs_site(SITE, site)
    for name in SUITES:
        ctx.suites.add(gx.ExpectationSuite(**load_suite_dict(expectations_dir, name)))
    # The stored documents go into the results store's backend as dictionaries: set through
    # the store, each was made a GE object, dumped by its schema and parsed back for every
    # page that reads it; the store reads a dictionary through the same schema. Keys sorted,
    # as the store's JSON has them (the pages print some expectations' arguments in order).
    results = ctx.validation_results_store
    backend: Any = results.store_backend
    for doc in documents:
        raw = doc["document"]
        sub_id = int(doc["submission_id"])
        batch = (labels or {}).get(sub_id) or f"submission-{sub_id}"
        run_time = (raw.get("meta") or {}).get("validation_time")
        key = ValidationResultIdentifier(
            ExpectationSuiteIdentifier(str(doc["suite"])),
            RunIdentifier(run_name=run_name, run_time=run_time),
            batch,
        )
        document = json.loads(json.dumps({k: raw[k] for k in _RESULT_KEYS if k in raw},
                                         sort_keys=True))  # fmt: skip
        backend.set(results.key_to_tuple(key), document)
    ctx.build_data_docs(site_names=[SITE])


# --- GE's page views, their Jinja templates compiled once per process -------------------------

_BYTECODE: dict[str, bytes] = {}
_BYTECODE_LOCK = threading.Lock()


def _bytecode_cache() -> Any:
    """A Jinja bytecode cache in this process's memory (keyed by template name and source
    checksum): every build made new views whose environments compiled each template again,
    about a third of a build's time."""
    from jinja2 import BytecodeCache

    class _MemoryBytecodeCache(BytecodeCache):
        def load_bytecode(self, bucket: Any) -> None:
            with _BYTECODE_LOCK:
                code = _BYTECODE.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket: Any) -> None:
            code = bucket.bytecode_to_string()
            with _BYTECODE_LOCK:
                _BYTECODE[bucket.key] = code

    return _MemoryBytecodeCache()


def _compiled_view(base: type) -> type:
    class View(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.env.bytecode_cache = _bytecode_cache()

    return View


def __getattr__(name: str) -> type:
    # GE instantiates the views by module and class name (site builder config), after GE is
    # imported; this module imports GE only inside the functions that use it. The name is
    # checked first: the import system probes modules for attributes (``__path__`` on every
    # ``from jzplan.validate.datadocs import …``), and each probe imported all of GE (~2 s).
    if name not in ("CompiledPageView", "CompiledIndexPageView"):
        raise AttributeError(name)
    from great_expectations.render.view.view import DefaultJinjaIndexPageView, DefaultJinjaPageView

    bases = {
        "CompiledPageView": DefaultJinjaPageView,
        "CompiledIndexPageView": DefaultJinjaIndexPageView,
    }
    view = _compiled_view(bases[name])
    view.__name__ = view.__qualname__ = name
    globals()[name] = view
    return view
