"""Storing an uploaded evidence file (already checked for size and type by its form) beside what it supports: an
assessment's item, a rectification item, a spot-check finding. Served only through views that apply the policy."""


def evidence_store(model, *, upload, content_type: str, by, **links):
    """A new `model` row (Evidence, FindingEvidence) for `upload`, linked by `links` (e.g. `finding=...`)."""
    ev = model(original_name=upload.name[:200], content_type=content_type, size=upload.size, uploaded_by=by, **links)
    ev.file.save(upload.name, upload, save=False)
    ev.save()
    return ev
