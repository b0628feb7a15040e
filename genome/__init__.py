"""Creative Genome: learns which creative elements make ads work."""

from __future__ import annotations

__version__ = "0.1.0"
