"""Only the introspection endpoint (RFC 7662), as django-oauth-toolkit ships it."""

from django.urls import path
from oauth2_provider.views import IntrospectTokenView

urlpatterns = [path("o/introspect/", IntrospectTokenView.as_view())]
