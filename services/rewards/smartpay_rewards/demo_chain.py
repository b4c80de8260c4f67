"""`make demo`'s on-chain rewards part (issue #20), after the points check (smartpay_rewards.demo): one customer
with points links a wallet through the API (a challenge the wallet signs; the key is generated here, stays in
this process and is never printed: only its public key is), the stack's minter (`smartpay rewards mint --loop`)
mints the customer's points into it, and the customer redeems some of them for SOL through
POST /rewards/{customer_id}/redeem (the pool's constant-product price).

Shown: ledger balance, minted and the token balance read from the chain RPC, once minted and after the
redemption; the quote and the settlement; the SOL received, measured as the wallet's lamport change; and
`smartpay rewards reconcile --json` against the stack (every linked wallet, the pool's reserve, the supply).
Any disagreement fails the demo: the rules are `minted_problems`, `redeemed_problems` and
`reconcile_problems` (pure, unit-tested)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.table import Table

AIRDROP_LAMPORTS = 10**7     # 0.01 SOL: the wallet pays its own approval's fee (5,000 lamports)
LAMPORTS_PER_SOL = 10**9
SLIPPAGE_BPS = 200
APPROVE_ATTEMPTS = 5         # the sandbox keeps one blockhash, expired by every send (the minter's included)


@dataclass(frozen=True)
class Holdings:
    """One reading of the customer's points: the ledger (GET /rewards) and the chain (the wallet's token
    account, read over the chain RPC)."""

    balance: int
    debt: int
    earned: int
    clawed: int
    redeemed: int
    minted: int
    on_chain: int

    @classmethod
    def of(cls, statement: Mapping[str, Any], on_chain: int) -> Holdings:
        t = statement["totals"]
        return cls(statement["balance"], statement["debt"], t["earned"], t["clawed_back"], t["redeemed"],
                   t["minted"], on_chain)

    @property
    def entitled(self) -> int:
        """What the chain should have received: earned - clawed back (redemptions do not lower it)."""
        return self.earned - self.clawed

    @property
    def expected_on_chain(self) -> int:
        return self.minted - self.redeemed


def pick_customer(statements: Mapping[str, Mapping[str, Any] | None]) -> str | None:
    """The customer with the most points (no debt, at least 2 points so half can be redeemed); ties by id."""
    fit = sorted((-s["balance"], cid) for cid, s in statements.items() if s and s["debt"] == 0 and s["balance"] >= 2)
    return fit[0][1] if fit else None


def points_to_redeem(balance: int) -> int:
    return max(1, balance // 2)


def minted_problems(h: Holdings) -> list[str]:
    """Empty once the minter caught up: everything the customer is entitled to is minted (the wallet was linked
    after the demo's refunds, so no offset applies) and the wallet holds minted - redeemed."""
    problems = []
    if h.minted != h.entitled:
        problems.append(f"ledger says {h.minted} minted, the customer is entitled to {h.entitled} "
                        f"(earned {h.earned} - clawed back {h.clawed})")
    if h.on_chain != h.expected_on_chain:
        problems.append(f"the wallet holds {h.on_chain} points on chain, the ledger expects {h.expected_on_chain} "
                        f"(minted {h.minted} - redeemed {h.redeemed})")
    return problems


def redeemed_problems(before: Holdings, after: Holdings, points: int, redemption: Mapping[str, Any],
                      lamports_received: int) -> list[str]:
    """Empty when the redemption settled as promised and the ledger and the chain moved by the same points."""
    problems = []
    if redemption.get("status") != "settled":
        return [f"redemption {redemption.get('status')}: {redemption.get('reason')} {redemption.get('detail', '')}"]
    if not redemption["amount_out"] >= redemption["min_out"] > 0:
        problems.append(f"paid {redemption['amount_out']} lamports, below the quote's minimum {redemption['min_out']}")
    if lamports_received != redemption["amount_out"]:
        problems.append(f"the wallet received {lamports_received} lamports, the settlement says "
                        f"{redemption['amount_out']}")
    if (after.balance, after.redeemed) != (before.balance - points, before.redeemed + points):
        problems.append(f"ledger balance {before.balance} -> {after.balance}, redeemed {before.redeemed} -> "
                        f"{after.redeemed} for {points} points redeemed")
    if after.on_chain != before.on_chain - points:
        problems.append(f"on chain {before.on_chain} -> {after.on_chain} for {points} points redeemed")
    if after.minted != before.minted:
        problems.append(f"minted changed during the redemption: {before.minted} -> {after.minted}")
    return problems + minted_problems(after)


def reconcile_problems(returncode: int, stdout: str) -> list[str]:
    """`smartpay rewards reconcile --json`: ok, exit 0, every wallet agreeing and the supply too."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return [f"reconcile printed no JSON report (exit {returncode}): {stdout[-300:]}"]
    problems = [f"{m['wallet']}: ledger {m['expected']}, chain {m['on_chain']} ({m['kind']})"
                for m in report.get("mismatches", [])]
    if report.get("expected_supply") != report.get("on_chain_supply"):
        problems.append(f"supply: ledger {report.get('expected_supply')}, chain {report.get('on_chain_supply')}")
    if (not report.get("ok") or returncode != 0) and not problems:
        problems.append(f"reconcile not ok (exit {returncode})")
    return problems


def sol(lamports: int) -> str:
    return f"{lamports / LAMPORTS_PER_SOL:.9f}".rstrip("0").rstrip(".") + " SOL"


def holdings_table(customer: str, wallet: str, rows: list[tuple[str, Holdings, list[str] | None]]) -> Table:
    """One row per reading; `problems` None: a reading not checked (before the minter ran)."""
    table = Table(title=f"{customer}: points in the ledger and on chain (wallet {wallet})")
    for column in ("when", "ledger balance", "earned - clawed back", "minted", "redeemed",
                   "expected on chain (minted - redeemed)", "on-chain token balance (RPC)", ""):
        table.add_column(column, justify="left" if column in ("when", "") else "right")
    for when, h, problems in rows:
        verdict = ("not checked" if problems is None else "[green]agree[/green]" if not problems
                   else "[red]DIFFERS[/red]")
        table.add_row(when, str(h.balance), str(h.entitled), str(h.minted), str(h.redeemed),
                      str(h.expected_on_chain), str(h.on_chain), verdict)
    return table


def redemption_table(redemption: Mapping[str, Any], slippage_bps: int, lamports_received: int) -> Table:
    r = redemption
    table = Table(title=f"redemption {r.get('redemption_id')} (POST /rewards/{{customer_id}}/redeem, venue "
                        f"{r.get('venue')})")
    table.add_column("step")
    table.add_column("what", overflow="fold")
    quoted = r.get("quoted_out") or 0
    table.add_row("quote", f"{r.get('points')} points -> {quoted} lamports ({sol(quoted)}); "
                           f"min {r.get('min_out')} at {slippage_bps} bps slippage")
    reason = f", reason {r.get('reason')}" if r.get("reason") else ""
    table.add_row("settlement", f"{r.get('status')}{reason}: {r.get('amount_out')} lamports paid out; transaction "
                                f"{r.get('reference') or '-'}; fee {r.get('fee_lamports')} lamports paid by the "
                                f"platform")
    table.add_row("received", f"the wallet's lamports rose by {lamports_received} ({sol(lamports_received)}), "
                              f"read over the chain RPC")
    return table


def history_table(customer: str, statement: Mapping[str, Any], rows: int = 4) -> Table:
    table = Table(title=f"{customer}: ledger history (newest first)")
    for column in ("seq", "kind", "points", "balance after", "detail"):
        table.add_column(column, justify="right" if column in ("seq", "points", "balance after") else "left",
                         overflow="fold")
    for e in statement["history"][:rows]:
        table.add_row(str(e["seq"]), e["kind"], f"{e['points']:+d}", str(e["balance_after"]), e["detail"])
    return table


# --- against the stack ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainAddresses:
    """Public facts a customer's wallet needs: the points mint, its token program and the pool authority the
    wallet approves as delegate. Read from the ledger's chain setup (`smartpay rewards chain-setup` wrote it)
    and the mint's owner on chain."""

    mint: Any
    token_program: Any
    pool_authority: Any


def chain_addresses(deployed: Mapping[str, str], endpoint: str, region: str, cluster: Any) -> ChainAddresses:
    from solders.pubkey import Pubkey

    from smartpay_shared import aws

    from smartpay_rewards.adapters.dynamodb import DynamoUnitOfWork

    uow = DynamoUnitOfWork(aws.client("dynamodb", endpoint_url=endpoint, region=region),
                           deployed["REWARDS_LEDGER_TABLE"], deployed["REWARDS_ACCOUNTS_TABLE"],
                           deployed["REWARDS_MINT_JOURNAL_TABLE"])
    with uow:
        setup = uow.chain_setup()
    if setup is None:
        raise LookupError("no chain setup in the ledger (`smartpay rewards chain-setup` did not run)")
    mint = Pubkey.from_string(setup.mint)
    found = cluster.account(mint)
    if found is None:
        raise LookupError(f"no mint account {mint} on the chain")
    return ChainAddresses(mint, found.owner, Pubkey.from_string(setup.pool_authority))


def _token_balance(cluster: Any, chain: ChainAddresses, wallet: Any) -> int:
    from smartpay_rewards.chain import spl

    found = cluster.account(spl.associated_token_address(wallet, chain.mint, chain.token_program))
    return spl.token_account_amount(found.data) if found else 0


def _statement(session: Any, url: str, customer: str) -> dict[str, Any] | None:
    response = session.get(f"{url}/rewards/{quote(customer, safe='')}", params={"limit": 5}, timeout=15)
    return response.json() if response.status_code == 200 else None


def _approve(cluster: Any, chain: ChainAddresses, wallet: Any, points: int) -> None:
    """The customer's wallet approves the pool authority as delegate for `points` (one transaction it signs and
    pays). Approving again is harmless, so a send that lost the race for the sandbox's blockhash is re-signed."""
    from solders.message import MessageV0
    from solders.transaction import VersionedTransaction

    from smartpay_rewards.chain import spl
    from smartpay_rewards.chain.ports import ClusterError
    from smartpay_rewards.chain.points_mint import POINTS_DECIMALS

    account = spl.associated_token_address(wallet.pubkey(), chain.mint, chain.token_program)
    instruction = spl.approve_checked(account, chain.mint, chain.pool_authority, wallet.pubkey(), points,
                                      POINTS_DECIMALS, chain.token_program)
    for attempt in range(APPROVE_ATTEMPTS):
        try:
            cluster.send(VersionedTransaction(MessageV0.try_compile(wallet.pubkey(), [instruction], [],
                                                                    cluster.latest_blockhash()), [wallet]))
        except ClusterError:
            if attempt == APPROVE_ATTEMPTS - 1:
                raise
        found = cluster.account(account)
        if found is not None and spl.token_account_delegation(found.data) == (chain.pool_authority, points):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the approval of {points} points to the pool authority is not on chain")


def cli_reconcile(deployed: Mapping[str, str]) -> tuple[int, str, str]:
    """`smartpay rewards reconcile --json` with the deployed function's settings over this process's (the
    stack's endpoint and addresses: stack.up put them into os.environ)."""
    smartpay = Path(sys.executable).parent / "smartpay"
    done = subprocess.run([str(smartpay), "rewards", "reconcile", "--json"], capture_output=True, text=True,
                          timeout=180, env={**os.environ, **deployed})
    return done.returncode, done.stdout, done.stderr


def deployed_minter(info: Mapping[str, Any]) -> dict[str, str]:
    """The rewards minter's environment as Terraform deployed it to the stack (RPC URL, tables, secret ids)."""
    from smartpay_shared.local.stack import deployed_environments

    return deployed_environments(info["terraform_outputs"], info["aws_endpoint_url"], info["region"])["rewards"][
        "minter"]


def run(session: Any, url: str, customers: Iterable[str], deployed: Mapping[str, str], endpoint: str, region: str,
        say: Callable[[Any], None], mint_timeout: float = 90.0) -> bool:
    """The whole on-chain part against the running stack; True when ledger and chain agreed at every step.
    `deployed`: the rewards minter's environment as Terraform deployed it (`deployed_minter`). An error on
    the way (the chain or the API unreachable) fails the part with its type and message."""
    try:
        return _run(session, url, customers, deployed, endpoint, region, say, mint_timeout)
    except Exception as e:  # noqa: BLE001 - the demo reports and fails; the message names no secret
        say(f"[red]rewards on chain: {type(e).__name__}: {e}[/red]")
        return False


def _link(session: Any, base: str, wallet: Any) -> tuple[str | None, str]:
    """POST .../wallet/challenge, the wallet signs the message, POST .../wallet: (error or None, expiry)."""
    address = str(wallet.pubkey())
    issued = session.post(f"{base}/wallet/challenge", json={"wallet": address}, timeout=15)
    if issued.status_code != 201:
        return f"challenge -> HTTP {issued.status_code}: {issued.text[:300]}", ""
    signature = str(wallet.sign_message(issued.json()["message"].encode()))
    linked = session.post(f"{base}/wallet", json={"nonce": issued.json()["nonce"], "signature": signature},
                          timeout=15)
    if linked.status_code != 200 or linked.json().get("wallet") != address:
        return f"link -> HTTP {linked.status_code}: {linked.text[:300]}", ""
    return None, issued.json()["expires_at"]


def _run(session: Any, url: str, customers: Iterable[str], deployed: Mapping[str, str], endpoint: str, region: str,
         say: Callable[[Any], None], mint_timeout: float) -> bool:
    from solders.keypair import Keypair

    from smartpay_rewards.chain.cluster import RpcCluster

    started = time.monotonic()
    cluster = RpcCluster(deployed["REWARDS_SOLANA_RPC_URL"])
    chain = chain_addresses(deployed, endpoint, region, cluster)
    customer = pick_customer({cid: _statement(session, url, cid) for cid in sorted(set(customers))})
    if customer is None:
        say("[red]rewards on chain: no customer has 2 points or more to link and redeem[/red]")
        return False
    base = f"{url}/rewards/{quote(customer, safe='')}"

    def reading() -> tuple[dict[str, Any], Holdings]:
        statement = _statement(session, url, customer)
        return statement, Holdings.of(statement, _token_balance(cluster, chain, wallet.pubkey()))

    wallet = Keypair()  # the customer's wallet: its secret never leaves this process (str() of it IS the secret)
    address = str(wallet.pubkey())
    error, expires = _link(session, base, wallet)
    if error:
        say(f"[red]rewards on chain: {error}[/red]")
        return False
    linked_at = time.monotonic()
    say(f"rewards on chain: {customer} linked wallet {address} (a challenge the wallet signed, valid until "
        f"{expires}); waiting for the minter (`smartpay rewards mint --loop`)")

    _, first = reading()
    while True:
        _, minted = reading()
        problems = minted_problems(minted)
        if not problems or time.monotonic() > linked_at + mint_timeout:
            break
        time.sleep(1.0)
    mint_seconds = time.monotonic() - linked_at
    rows: list[tuple[str, Holdings, list[str] | None]] = [
        ("just linked", first, None), (f"minted ({mint_seconds:.1f} s after the link)", minted, problems)]
    if problems:
        say(holdings_table(customer, address, rows))
        say(f"[red]rewards on chain: not minted after {mint_timeout:.0f} s: {'; '.join(problems)}[/red]")
        return False

    points = points_to_redeem(minted.balance)
    cluster.airdrop(wallet.pubkey(), AIRDROP_LAMPORTS)  # the sandbox's faucet: the wallet pays its approval's fee
    _approve(cluster, chain, wallet, points)
    lamports = cluster.account(wallet.pubkey()).lamports
    redeem_started = time.monotonic()
    answer = session.post(f"{base}/redeem", json={"points": points, "asset": "SOL", "slippage_bps": SLIPPAGE_BPS},
                          timeout=60)
    redeem_seconds = time.monotonic() - redeem_started
    if answer.status_code != 200:
        say(holdings_table(customer, address, rows))
        say(f"[red]rewards on chain: redeem -> HTTP {answer.status_code}: {answer.text[:300]}[/red]")
        return False
    redemption = answer.json()
    received = cluster.account(wallet.pubkey()).lamports - lamports
    statement, after = reading()
    problems = redeemed_problems(minted, after, points, redemption, received)
    rows.append((f"after redeeming {points}", after, problems))
    say(holdings_table(customer, address, rows))
    say(redemption_table(redemption, SLIPPAGE_BPS, received))
    say(history_table(customer, statement))

    reconcile_started = time.monotonic()
    code, out, err = cli_reconcile(deployed)
    reconcile_seconds = time.monotonic() - reconcile_started
    wrong = reconcile_problems(code, out)
    if not wrong:
        report = json.loads(out)
        say(f"`smartpay rewards reconcile`: {report['wallets_checked']} wallets (the pool's reserve included) and "
            f"the supply ({report['on_chain_supply']}) agree with the ledger")
    for problem in [*problems, *wrong]:
        say(f"[red]rewards on chain: {problem}[/red]")
    if wrong and err:
        say(err[-1000:])
    say(f"rewards on chain took {time.monotonic() - started:.1f} s (before the link {linked_at - started:.1f} s, "
        f"minted {mint_seconds:.1f} s after the link, the redeem call {redeem_seconds:.1f} s, "
        f"`smartpay rewards reconcile` {reconcile_seconds:.1f} s)")
    return not problems and not wrong
