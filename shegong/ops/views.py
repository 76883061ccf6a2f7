from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from shegong.ops import metrics as prometheus


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for allowed networks or the bearer token; 404 for everyone else."""
    if not prometheus.may_read(request):
        raise Http404
    return HttpResponse(prometheus.render(), content_type=CONTENT_TYPE_LATEST)
