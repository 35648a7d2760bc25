"""Run every speed and memory benchmark in one process; print each table, then one summary line.

In one process the derived indexes are built once and shared (the 100k index of the query
benchmark is the one the memory and add benchmarks use). Order: build, query, memory, add
(add changes the 100k index), batch (similar / similar_ids / similar_many on the full real
corpus of ~26,000 trials; without ``--quick`` also on 500k derived trials). Each benchmark also
writes ``benchmarks/results/<name>.json``; this writes ``benchmarks/results/run_all.json``.

    python benchmarks/run_all.py --quick          # make bench: ~10 minutes on 2 cores once the
                                                  # full corpus is encoded (the first run: +12 min)
    python benchmarks/run_all.py                  # make bench-full: 8,769-trial build, 500k
    python benchmarks/run_all.py --only build query
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import bench_add
import bench_batch
import bench_build
import bench_memory
import bench_query
import common

BENCHES = {
    "build": bench_build,
    "query": bench_query,
    "memory": bench_memory,
    "add": bench_add,
    "batch": bench_batch,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (make bench)")
    parser.add_argument("--device", default="cpu", help="device of the build benchmark")
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), help="run only these")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHES)
    quick = ["--quick"] if args.quick else []

    info = common.machine_info(args.device)
    print(common.machine_line(info), flush=True)
    t0 = time.perf_counter()
    outs: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        t = time.perf_counter()
        extra = ["--device", args.device] if name == "build" else []
        if name == "batch":  # its own sizes: the full real corpus (and 500k derived)
            flags = ["--corpus", "full"] + ([] if args.quick else ["--derived", "500000"])
        else:
            flags = quick + extra
        outs[name] = BENCHES[name].main(flags)
        seconds[name] = time.perf_counter() - t

    total = time.perf_counter() - t0
    print("\n" + "=" * 100)
    print(common.machine_line(common.machine_info(args.device)))
    for name in names:
        print(f"\n{outs[name]['table']}\n({name}: {seconds[name]:.0f} s)")
    line = "SUMMARY " + " | ".join(outs[n]["summary"] for n in names)
    common.write_results(
        "run_all",
        {
            "machine": info,
            "params": {"quick": args.quick, "device": args.device, "benchmarks": names},
            "seconds": {**seconds, "total": total},
            "tables": {n: outs[n]["table"] for n in names},
            "summary": line,
        },
    )
    print(f"\n(total {total / 60:.1f} min)")
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
