"""benchmarks/bench_agents.py runs end to end (smoke sizes) and reports sane numbers."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_agents.py"


@pytest.mark.slow
def test_agent_benchmark_smoke_prints_a_row_per_agent():
    agents = ["sac", "parsimonious_planning", "dreamer:dreamerv1", "vsg:svsg"]
    out = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--repeats", "1",
                          "--agents", *agents], capture_output=True, text=True, check=True,
                         timeout=600).stdout
    table = out[out.index("## Agents"):]          # the final section (rows also print live)
    rows = [line for line in table.splitlines() if line.startswith("| ") and " cpu " in line]
    assert [row.split(" | ")[0][2:] for row in rows] == agents
    for row in rows:
        update_s, act_s, gflop = (float(x) for x in row.split(" | ")[3:6])
        assert update_s > 0 and act_s > 0 and gflop > 0
