from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from .. import access
from ..models import Evidence


@login_required
def evidence_download(request, pk):
    """Evidence files are served only here, to those who may see the organisation; never from a public URL."""
    ev = Evidence.objects.select_related("assessment__organisation").filter(pk=pk).first()
    if ev is None or not access.can_view_organisation(request.user, ev.assessment.organisation):
        raise Http404
    response = FileResponse(
        ev.file.open("rb"), as_attachment=True, filename=ev.original_name, content_type=ev.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
