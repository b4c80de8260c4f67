"""Run the benchmarks: `python -m bench [name ...]`."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["hop", "moto_events", "moto_dynamodb", "fraud", "routing", "saga", "chat", "chat_indexer", "webhooks",
              "rewards_offers", "rewards"]


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        if not module.run():
            failed.append(name)
    if failed:
        print(f"targets missed: {', '.join(failed)} (see docs/benchmarks.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
