"""Run a command and print the CPU and wall time of the process it starts, for benches/run.sh.

Usage: child_cpu.py COMMAND [ARG...]

The command's standard output and error pass through. When it exits with status 0, the
last line printed is `child_cpu_us=X child_wall_us=Y`: the user plus system CPU time of
the command's process and its children (getrusage RUSAGE_CHILDREN) and the wall time from
start to exit, both in microseconds. Otherwise it exits with the command's status.
"""

import resource
import subprocess
import sys
import time


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv):
    if not argv:
        sys.exit("usage: child_cpu.py COMMAND [ARG...]")
    cpu_start = children_cpu_seconds()
    wall_start = time.perf_counter()
    status = subprocess.run(argv).returncode
    wall = time.perf_counter() - wall_start
    cpu = children_cpu_seconds() - cpu_start
    if status != 0:
        sys.exit(status)
    sys.stdout.flush()
    print(f"child_cpu_us={cpu * 1e6:.0f} child_wall_us={wall * 1e6:.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
