"""`smartpay` CLI: platform commands here, service commands from the `smartpay.cli` entry points."""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

app = typer.Typer(help="SmartPay operator CLI.", no_args_is_help=True, add_completion=False)


def _mount_platform_commands() -> None:
    import importlib

    for module, name, help_text in (
        ("smartpay_shared.cli.events", "events", "Watch and replay events on the bus."),
        ("smartpay_shared.cli.dlq", "dlq", "Inspect and redrive dead-letter queues."),
        ("smartpay_shared.cli.auth", "auth", "Cognito users and tokens for the local stack."),
        ("smartpay_shared.cli.stack", "stack", "Start, stop and inspect the local stack."),
    ):
        try:
            sub = importlib.import_module(module).app
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        app.add_typer(sub, name=name, help=help_text)


def _mount_service_commands() -> None:
    # Services plug their commands in (e.g. `smartpay fraud train`) without shared importing them.
    for ep in entry_points(group="smartpay.cli"):
        app.add_typer(ep.load(), name=ep.name)


_mount_platform_commands()
_mount_service_commands()

if __name__ == "__main__":
    app()
