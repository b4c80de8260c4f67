"""localstripe for one local stack: `python -m smartpay_payment.sandbox.localstripe_stack --state-file PATH
--port N --from-scratch` runs the unchanged localstripe server (every other option is its own), except that
the state file it rewrites on every change is PATH instead of the machine-wide /tmp/localstripe.pickle.
So two stacks (a demo and a test run, two benches) never write, or load, each other's Stripe data: a stack's
Stripe state is its own process plus a file in its own state directory."""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path


def keep_state_in(path: Path) -> None:
    """Point localstripe's store at `path` (its load and dump are hard-wired to /tmp/localstripe.pickle)."""
    from localstripe import resources

    def try_load_from_disk(store: resources.Store) -> None:
        try:
            with open(path, "rb") as f:
                old = pickle.load(f)
        except FileNotFoundError:
            return
        store.clear()
        store.update(old)

    def dump_to_disk(store: resources.Store) -> None:
        with open(path, "wb") as f:
            pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)

    path.parent.mkdir(parents=True, exist_ok=True)
    resources.Store.try_load_from_disk = try_load_from_disk
    resources.Store.dump_to_disk = dump_to_disk


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--state-file", type=Path, required=True, help="Where this localstripe keeps its state.")
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    keep_state_in(args.state_file)
    from localstripe import server

    sys.argv = [sys.argv[0], *rest]  # localstripe parses its own options (--port, --from-scratch)
    server.start()


if __name__ == "__main__":
    main()
