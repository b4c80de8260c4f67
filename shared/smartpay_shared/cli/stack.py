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
    if info.get("redis_url"):
        table.add_row("Redis (this stack's own)", info["redis_url"])
    for name, value in sorted(info.get("env", {}).items()):
        if name.startswith("PAYMENT_") and value.startswith("http"):
            table.add_row(name, value)
    for name, proc in info["processes"].items():
        where = f", {proc['url']}" if proc.get("url") else ""
        table.add_row(f"process {name}", f"pid {proc['pid']}{where}, log {proc['log']}")
    console.print(table)
    console.print("Token for curl: [bold]scripts/create-user.sh[/bold]   Events: [bold]smartpay events tail[/bold]   "
                  "This stack's settings in your shell: [bold]eval \"$(.venv/bin/smartpay stack env)\"[/bold]")


@app.command()
def up(endpoint: str = typer.Option(stack.DEFAULT_ENDPOINT, envvar="AWS_ENDPOINT_URL"),
       gateway_port: int | None = typer.Option(
           None, help=f"Default: {stack.GATEWAY_PORT} if free, else a free port."),
       free_ports: bool = typer.Option(False, "--free-ports", help="Never the documented ports (8080, 8420, "
                                       "8430, 8899): free ones only, as private stacks take.")) -> None:
    """Start moto, Redis, the emulators and sandboxes, apply Terraform, start workers, X-Ray relay and gateway.

    The gateway and the payment emulators take their documented ports while those are free, free ones
    otherwise (printed here and by `status`); the stack's Redis is always on a free port."""
    _print(stack.up(endpoint, gateway_port, prefer_default_ports=not free_ports))


@app.command()
def down() -> None:
    """Stop exactly what `up` started."""
    stopped = stack.down()
    console.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


@app.command()
def status() -> None:
    """Show where everything is."""
    _print(stack.load_stack())


@app.command()
def env() -> None:
    """The stack's settings as shell exports (`eval "$(smartpay stack env)"`): CLI commands run from that
    shell (`smartpay payment fund-wallet`, `reconcile`, ...) then reach this stack's emulators and Redis. For an
    emulator on this machine, also the emulator's credentials where the shell has none (a fresh machine has no
    AWS credentials, and boto3 refuses to sign without some); credentials already set are kept."""
    import shlex

    settings = stack.load_stack().get("env", {})
    for name, value in sorted(settings.items()):
        typer.echo(f"export {name}={shlex.quote(str(value))}")
    if stack.is_local(str(settings.get("AWS_ENDPOINT_URL", ""))):
        for name, value in stack.EMULATOR_CREDENTIALS.items():
            typer.echo(f'export {name}="${{{name}:-{value}}}"')
