import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shegong.settings")
django_application = get_wsgi_application()

from shegong.lean import dispatching  # noqa: E402 - needs the settings configured above

# Vendor device events skip the browser middleware (see shegong/lean.py).
application = dispatching(django_application)
