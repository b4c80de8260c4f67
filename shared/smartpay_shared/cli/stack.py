"""`smartpay stack up|down|status`: the local stack."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from smartpay_shared.local import stack

app = typer.Typer(no_args_is_help=True)
console = Console()


def _print(info: dict) -> None:
    table = Table(title="SmartPay local stack", show_lines=False)
    table.add_column("what")
    table.add_column("where")
    table.add_row("AWS endpoint", f"{info['aws_endpoint_url']} ({info['emulator']})")
    table.add_row("HTTP gateway", info["gateway_url"])
    table.add_row("OpenAPI", info["openapi_url"])
    table.add_row("event bus", info["bus_name"])
    table.add_row("archive", info["archive_name"])
    table.add_row("user pool / client", f"{info['user_pool_id']} / {info['user_pool_client_id']}")
    table.add_row("X-Ray daemon", info["xray_daemon"])
    for name, proc in info["processes"].items():
        table.add_row(f"process {name}", f"pid {proc['pid']}, log {proc['log']}")
    console.print(table)
    console.print("Token for curl: [bold]scripts/create-user.sh[/bold]   Events: [bold]smartpay events tail[/bold]")


@app.command()
def up(endpoint: str = typer.Option(stack.DEFAULT_ENDPOINT, envvar="AWS_ENDPOINT_URL"),
       gateway_port: int = typer.Option(stack.GATEWAY_PORT)) -> None:
    """Start moto, apply Terraform, start workers, X-Ray relay and gateway."""
    _print(stack.up(endpoint, gateway_port))


@app.command()
def down() -> None:
    """Stop exactly what `up` started."""
    stopped = stack.down()
    console.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


@app.command()
def status() -> None:
    """Show where everything is."""
    _print(stack.load_stack())
