"""benchmarks/bench_agents.py runs end to end (smoke sizes) and reports sane numbers."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_agents.py"


@pytest.mark.slow
def test_agent_benchmark_smoke_prints_a_row_per_agent_and_bf16_rows_where_supported():
    agents = ["sac", "parsimonious_planning", "embedded_td3:s_dyne", "dreamer:dreamerv1",
              "vsg:svsg"]
    out = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--repeats", "1",
                          "--precision", "both", "--agents", *agents], capture_output=True,
                         text=True, check=True, timeout=850).stdout
    table = out[out.index("## Agents"):]          # the final section (rows also print live)
    rows = [line.split(" | ") for line in table.splitlines()
            if line.startswith("| ") and " cpu " in line]
    assert [(row[0][2:], row[3]) for row in rows] == [
        ("sac", "fp32"), ("parsimonious_planning", "fp32"), ("embedded_td3:s_dyne", "fp32"),
        ("dreamer:dreamerv1", "fp32"),
        ("dreamer:dreamerv1", "bf16"), ("vsg:svsg", "fp32"), ("vsg:svsg", "bf16")]
    for row in rows:
        update_s, act_s, gflop = (float(x) for x in row[4:7])
        assert update_s > 0 and act_s > 0 and gflop > 0
