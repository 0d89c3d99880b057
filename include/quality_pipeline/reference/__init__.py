"""Reference data kept by hand: standards led by district enterprises, brand stock, construction-quality returns.

Versioned CSV seeds in `warehouse/seeds/` (see its README) are checked, loaded whole into `ref.*`,
and reported as stock figures on a given day.
"""

from quality_pipeline.reference.seeds import SEEDS_DIR, SeedError, read_seeds
from quality_pipeline.reference.store import load_reference, stock_figures

__all__ = ["SEEDS_DIR", "SeedError", "load_reference", "read_seeds", "stock_figures"]
