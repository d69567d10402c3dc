"""Storing an uploaded evidence file (already checked for size and type by its form) beside what it supports: an
assessment's item, a rectification item, a spot-check finding. Served only through views that apply the policy.

A refused form stores nothing: the screens run a step inside `files_removed_on_failure`, so files written by a step
whose transaction then rolls back are deleted again (the database rows go with the transaction)."""

import contextlib
from contextvars import ContextVar

_written: ContextVar[list | None] = ContextVar("evidence_written", default=None)


@contextlib.contextmanager
def files_removed_on_failure():
    """Delete the evidence files written inside the block if the block fails (its rows are rolled back)."""
    written: list = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise
    finally:
        _written.reset(token)


def evidence_store(model, *, upload, content_type: str, by, **links):
    """A new `model` row (Evidence, FindingEvidence) for `upload`, linked by `links` (e.g. `finding=...`)."""
    ev = _file_written(model, upload=upload, content_type=content_type, by=by, **links)
    ev.save()
    return ev


def evidence_store_many(model, files, *, by, **links) -> list:
    """New `model` rows for several uploads at once, in one INSERT: `files` is [(upload, content type, {link: value}
    of this file alone, e.g. its indicator)], `links` what all of them share."""
    rows = [_file_written(model, upload=u, content_type=ct, by=by, **links, **own) for u, ct, own in files]
    return model.objects.bulk_create(rows)


def _file_written(model, *, upload, content_type: str, by, **links):
    ev = model(original_name=upload.name[:200], content_type=content_type, size=upload.size, uploaded_by=by, **links)
    ev.file.save(upload.name, upload, save=False)
    written = _written.get()
    if written is not None:
        written.append((ev.file.storage, ev.file.name))
    return ev
