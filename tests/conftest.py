"""Test-wide settings."""

from hypothesis import settings

# Properties here are about results, not speed: on a loaded CI machine a single
# example can exceed hypothesis's default 200 ms deadline and fail a correct test.
settings.register_profile("geomap", deadline=None)
settings.load_profile("geomap")
