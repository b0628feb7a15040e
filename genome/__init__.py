"""Creative Genome: learns which creative elements make ads work.

    import genome
    g = genome.open()                  # GENOME_DATABASE_URL, else the embedded sqlite:///genome.db
    g.refresh(); g.recommend("brand-1", seed=3)

The facade is imported on first use, so `import genome.sampling` stays light and pure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genome.service import ColdStart, Genome, open

__version__ = "0.1.0"
__all__ = ["ColdStart", "Genome", "__version__", "open"]


def __getattr__(name: str) -> object:
    if name in ("ColdStart", "Genome", "open"):
        from genome import service

        return getattr(service, name)
    raise AttributeError(f"module 'genome' has no attribute {name!r}")
