"""Creative Genome: learns which creative elements make ads work.

import genome
g = genome.open()                  # GENOME_DATABASE_URL, else the embedded sqlite:///genome.db
g.refresh(); g.recommend("brand-1", seed=3)
"""

from __future__ import annotations

from genome.service import ColdStart, Genome, open

__version__ = "0.1.0"
__all__ = ["ColdStart", "Genome", "__version__", "open"]
