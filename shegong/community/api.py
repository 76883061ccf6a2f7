"""/api/v1/community: organisations, professionals, volunteers and activities, scoped and
paginated like people."""

from ninja import Router

from . import api_activities, api_libraries, api_volunteers

router = Router(tags=["community"])
router.add_router("", api_libraries.router)
router.add_router("", api_volunteers.router)
router.add_router("", api_activities.router)
