"""/community/: each part of the app keeps its own URL list; one namespace, ``community``."""

from . import urls_activities, urls_libraries, urls_volunteers

app_name = "community"

urlpatterns = [
    *urls_libraries.urlpatterns,
    *urls_volunteers.urlpatterns,
    *urls_activities.urlpatterns,
]
