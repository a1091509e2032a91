"""Turn the raw files that benches/run.sh writes into the Markdown tables of results.md.

Usage: report.py OUT_DIR

Reads machine.txt, hyperfine.json, imports.json, memory.tsv, footprint.tsv, loop.tsv and
batch.tsv from OUT_DIR
and prints Markdown on standard output. Every ratio is the client's median divided by
seam-edge's, so 2.0 means twice the time, memory or bytes of seam-edge.
"""

import csv
import json
import statistics
import sys
from pathlib import Path

BASELINE = "seam-edge"
LOOP_BASELINE = "seam-edge library"


def read_tsv(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


def group_medians(rows, value):
    """Return {client: median of value} in first-seen client order."""
    groups = {}
    for row in rows:
        groups.setdefault(row["client"], []).append(float(row[value]))
    return {client: statistics.median(values) for client, values in groups.items()}


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_section(out):
    rows = []
    for line in (out / "machine.txt").read_text().splitlines():
        name, _, value = line.partition(": ")
        rows.append((name, f"`{value}`"))
    return "## Machine and versions\n\n" + table(("what", "value"), rows)


def startup_section(out):
    results = json.loads((out / "hyperfine.json").read_text())["results"]
    medians = {result["command"]: result["median"] for result in results}
    baseline = medians[BASELINE]
    rows = []
    for result in results:
        rows.append(
            (
                result["command"],
                f"{result['median'] * 1e3:.1f}",
                f"{result['mean'] * 1e3:.1f} ± {result['stddev'] * 1e3:.1f}",
                f"{result['min'] * 1e3:.1f}",
                f"{result['max'] * 1e3:.1f}",
                len(result["times"]),
                f"{result['median'] / baseline:.2f}",
            )
        )
    header = ("client", "median ms", "mean ± σ ms", "min ms", "max ms", "runs", "÷ seam-edge")
    return "## One update, process start to exit\n\n" + table(header, rows)


def imports_section(out):
    results = json.loads((out / "imports.json").read_text())["results"]
    rows = [
        (result["command"], f"{result['median'] * 1e3:.1f}", len(result["times"]))
        for result in results
    ]
    header = ("command", "median ms", "runs")
    return "## Runtime start and client import, no request\n\n" + table(header, rows)


def memory_section(out):
    medians = group_medians(read_tsv(out / "memory.tsv"), "max_rss_kib")
    baseline = medians[BASELINE]
    rows = [
        (client, f"{kib / 1024:.1f}", f"{kib / baseline:.2f}")
        for client, kib in medians.items()
    ]
    header = ("client", "median max RSS MiB", "÷ seam-edge")
    return "## Peak resident memory, one update\n\n" + table(header, rows)


def footprint_section(out):
    """Split each client's parts into its own code, which is the first part listed, and
    the runtime and shared libraries that the other parts contain."""
    parts = {}
    for row in read_tsv(out / "footprint.tsv"):
        parts.setdefault(row["client"], []).append((row["part"], int(row["bytes"])))
    own = {client: items[0][1] for client, items in parts.items()}
    totals = {client: sum(size for _, size in items) for client, items in parts.items()}
    rows = []
    for client, items in parts.items():
        detail = ", ".join(f"{part} {megabytes(size)}" for part, size in items)
        rows.append(
            (
                client,
                megabytes(own[client]),
                f"{own[client] / own[BASELINE]:.2f}",
                megabytes(totals[client]),
                f"{totals[client] / totals[BASELINE]:.2f}",
                detail,
            )
        )
    header = (
        "client",
        "own code MB",
        "÷ seam-edge",
        "with runtime and shared libraries MB",
        "÷ seam-edge",
        "parts, MB",
    )
    return "## On-disk footprint (MB = 10^6 bytes)\n\n" + table(header, rows)


def megabytes(size):
    return f"{size / 1e6:.2f}"


def loop_section(out):
    rows = read_tsv(out / "loop.tsv")
    cpu = group_medians(rows, "cpu_us")
    wall = group_medians(rows, "wall_us")
    baseline = cpu[LOOP_BASELINE]
    table_rows = [
        (client, f"{cpu[client]:.1f}", f"{wall[client]:.1f}", f"{cpu[client] / baseline:.2f}")
        for client in cpu
    ]
    header = ("client", "median CPU µs per update", "median wall µs per update", "CPU ÷ seam-edge library")
    return "## One update in a long-running process, connection reused\n\n" + table(
        header, table_rows
    )


def batch_section(out):
    """Per update: the whole process's CPU and wall time divided by its number of updates,
    and for the Python client also the CPU time per update inside its loop."""
    rows = read_tsv(out / "batch.tsv")
    for row in rows:
        updates = float(row["updates"])
        row["cpu_per_update"] = float(row["process_cpu_us"]) / updates
        row["wall_per_update"] = float(row["process_wall_us"]) / updates

    cpu = group_medians(rows, "cpu_per_update")
    wall = group_medians(rows, "wall_per_update")
    loop = {}
    for row in rows:
        if row["loop_cpu_us"]:
            loop.setdefault(row["client"], []).append(float(row["loop_cpu_us"]))

    baseline = cpu["seam-edge --batch"]
    table_rows = [
        (
            client,
            rows[0]["updates"],
            f"{cpu[client]:.1f}",
            f"{wall[client]:.1f}",
            f"{statistics.median(loop[client]):.1f}" if client in loop else "",
            f"{cpu[client] / baseline:.2f}",
        )
        for client in cpu
    ]
    header = (
        "client",
        "updates per process",
        "median process CPU µs per update",
        "median process wall µs per update",
        "median loop CPU µs per update",
        "CPU ÷ seam-edge --batch",
    )
    return "## Many updates in one process, start to exit\n\n" + table(header, table_rows)


def main(argv):
    if len(argv) != 1:
        sys.exit("usage: report.py OUT_DIR")
    out = Path(argv[0])
    sections = [
        machine_section(out),
        startup_section(out),
        imports_section(out),
        memory_section(out),
        footprint_section(out),
        loop_section(out),
        batch_section(out),
    ]
    print("\n\n".join(sections))


if __name__ == "__main__":
    main(sys.argv[1:])
