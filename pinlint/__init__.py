"""pinlint: find mutable image references in container builds, resolve and pin them."""

from __future__ import annotations

__version__ = "0.1.0"
