"""notebooks/match_quality.ipynb runs top to bottom (and fast)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "match_quality.ipynb"


@pytest.mark.skipif(not Path("/work/shared/data/febrl").exists(), reason="no FEBRL data")
def test_match_quality_notebook_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    started = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    assert time.perf_counter() - started < 60
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert "precision" in text and "probability" in text
    assert "Error" not in text
