from __future__ import annotations

from django.http import HttpRequest

from citylab import textsize


def citylab(request: HttpRequest) -> dict[str, object]:
    """What the base template needs on every page: the text-size step and its choices."""
    return {
        "text_size": textsize.text_size(request),
        "text_sizes": textsize.SIZES,
    }
