"""The project's URLs plus ``POST /bench/bare``: a bare Django JSON endpoint (same middleware,
reads the body, parses it, answers JSON) as the floor the ingestion endpoint is compared with."""

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from shegong.urls import urlpatterns as project_urls


@csrf_exempt
def bare(request):
    payload = json.loads(request.body or b"{}")
    return JsonResponse({"accepted": True, "event_id": payload.get("event_id")}, status=202)


urlpatterns = [path("bench/bare", bare), path("bench/bare-lean", bare), *project_urls]
