from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from flows.models import Evidence
from flows.policy import access


@login_required
def evidence_download(request, pk):
    """Evidence files are served only here, to those who may see the organisation; never from a public URL."""
    ev = Evidence.objects.select_related("assessment__organisation").filter(pk=pk).first()
    if ev is None or not access.can_view_organisation(request.user, ev.assessment.organisation):
        raise Http404
    return private_file(ev.file, ev.original_name, ev.content_type)


def private_file(field_file, name: str, content_type: str) -> FileResponse:
    """An uploaded file as a download that a browser will never run or render inline."""
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
