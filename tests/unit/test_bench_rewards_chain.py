"""bench/rewards_chain.py's pure parts: the peak entitlement from the ledger's entries, the chain compared with
the payments and the ledger (what counts as lost, doubled, offset), what a redemption must move, the minter's
log and journal figures, the SPL layouts the bench reads (checked against accounts a real Solana VM wrote),
and the chain's verdict."""

import json
import random
import sys

import pytest

from smartpay_shared.manifest import repo_root

if str(repo_root()) not in sys.path:  # the repo's bench package is not installed in the venv
    sys.path.insert(0, str(repo_root()))

from bench import rewards_chain as rc  # noqa: E402

SEED = 1_000_000


def entry(customer, seq, kind, points=0, debt_change=0):
    return {"customer_id": customer, "seq": seq, "kind": kind, "points": points, "debt_change": debt_change}


def test_peak_entitlement_follows_the_entries_in_seq_order():
    entries = [entry("a", 1, "earn", 30), entry("a", 2, "minted"), entry("a", 3, "clawback", -10),
               entry("a", 4, "earn", 5),                                       # 30, 30, 20, 25
               entry("b", 1, "earn", 10), entry("b", 2, "redeem", -8), entry("b", 3, "clawback", -2),
               entry("b", 4, "debt", 0, 3), entry("b", 5, "earn", 4), entry("b", 6, "debt_repayment", -3, -3),
               entry("b", 7, "earn", 9)]                                       # 10, 10, 8, 5, 9, 9, 18
    random.Random(3).shuffle(entries)
    assert rc.peak_entitlements(entries) == {"a": 30, "b": 18}
    assert rc.peak_entitlements([entry("c", 1, "redeem_reversal", 5)]) == {"c": 0}
    assert rc.peak_entitlements([entry("d", 1, "earn", 10), entry("d", 2, "offer_bonus", 20),
                                 entry("d", 3, "clawback", -15)]) == {"d": 30}


def wallet(customer="cus_a", *, entitled=20, peak=30, redeemed=0, minted=30, ledger_redeemed=0, on_chain=30):
    return rc.WalletFacts(customer, f"W{customer}", entitled, peak, redeemed, minted, ledger_redeemed, on_chain)


def compare(wallets, *, extra_supply=0, pool=SEED, minted_total=None):
    supply = SEED + sum(w.on_chain + w.redeemed for w in wallets) + extra_supply
    return rc.compare_chain(wallets, supply=supply, pool_tokens=pool + sum(w.redeemed for w in wallets),
                            pool_seed=SEED, ledger_minted_total=sum(w.ledger_minted for w in wallets)
                            if minted_total is None else minted_total)


def test_a_wallet_between_its_entitlement_and_its_peak_agrees_the_excess_is_offset():
    # 30 minted, then 10 clawed back by a refund: the 10 stay in the wallet, offset by the ledger.
    c = compare([wallet(), wallet("cus_b", entitled=12, peak=12, minted=12, on_chain=12)])
    assert c["points_lost"] == c["points_doubled"] == 0 and c["offset_points"] == 10
    assert c["ledger_vs_chain"]["wallets_disagree"] == 0 and c["supply"]["agrees_with_ledger"]
    assert c["supply"]["outside_known_holders"] == 0 and c["pool"]["agrees"] and rc.chain_agrees(c)


def test_below_the_entitlement_is_lost_above_the_peak_is_doubled():
    lost = compare([wallet(on_chain=15, minted=15)])                 # the minter never caught up
    assert lost["points_lost"] == 5 and lost["points_doubled"] == 0 and lost["wallets_wrong"] == 1
    assert lost["ledger_vs_chain"]["wallets_disagree"] == 0 and not rc.chain_agrees(lost)
    doubled = compare([wallet(on_chain=60, minted=60)])              # minted twice, recorded twice
    assert doubled["points_doubled"] == 30 and doubled["points_lost"] == 0 and not rc.chain_agrees(doubled)
    unrecorded = compare([wallet(on_chain=60, minted=30)])           # minted twice, recorded once
    assert unrecorded["points_doubled"] == 30 and unrecorded["ledger_vs_chain"]["chain_excess"] == 30
    assert not unrecorded["supply"]["agrees_with_ledger"]
    # A customer never clawed back: the peak is the entitlement, one point more is doubled.
    assert compare([wallet(entitled=20, peak=20, minted=21, on_chain=21)])["points_doubled"] == 1


def test_the_ledger_and_the_supply_must_agree_too():
    short = compare([wallet(on_chain=25, minted=30)])                # within bounds, but not what the ledger says
    assert short["points_lost"] == short["points_doubled"] == 0
    assert short["ledger_vs_chain"] == {"wallets_disagree": 1, "chain_short": 5, "chain_excess": 0,
                                        "sample": [{"customer_id": "cus_a", "wallet": "Wcus_a", "ledger": 30,
                                                    "on_chain": 25}]}
    assert not rc.chain_agrees(short)
    stray = compare([wallet()], extra_supply=7)                      # minted to an account nobody knows
    assert stray["supply"]["outside_known_holders"] == 7 and stray["points_doubled"] == 7
    assert not rc.chain_agrees(stray)
    unlinked = compare([wallet()], minted_total=35)                 # the ledger minted to an unlinked customer
    assert not unlinked["supply"]["agrees_with_ledger"] and not rc.chain_agrees(unlinked)


def test_redeemed_points_leave_the_wallet_for_the_pool():
    c = compare([wallet(redeemed=12, ledger_redeemed=12, on_chain=18)])
    assert rc.chain_agrees(c) and c["pool"]["expected"] == SEED + 12 and c["points_expected_on_chain_at_least"] == 8
    unseen = compare([wallet(redeemed=12, ledger_redeemed=0, on_chain=18)])   # the ledger missed the redemption
    assert unseen["ledger_vs_chain"]["chain_short"] == 12 and not rc.chain_agrees(unseen)
    kept = rc.compare_chain([wallet(redeemed=12, ledger_redeemed=12, on_chain=18)], supply=SEED + 30,
                            pool_tokens=SEED, pool_seed=SEED, ledger_minted_total=30)  # the pool never got them
    assert not kept["pool"]["agrees"] and not rc.chain_agrees(kept)


BEFORE = {"tokens": 40, "pool_tokens": SEED, "lamports": 10**8, "ledger_balance": 40, "ledger_redeemed": 0}


def test_a_settled_redemption_must_move_exactly_what_it_says():
    answer = {"status": "settled", "points": 10, "amount_out": 997_000}
    after = {"tokens": 30, "pool_tokens": SEED + 10, "lamports": 10**8 + 997_000, "ledger_balance": 30,
             "ledger_redeemed": 10}
    assert rc.redemption_problems(answer, BEFORE, after) == []
    assert rc.redemption_problems(answer, BEFORE, {**after, "pool_tokens": SEED}) == \
        ["pool_tokens moved +0, expected +10"]
    assert rc.redemption_problems(answer, BEFORE, {**after, "lamports": 10**8}) == \
        ["lamports moved +0, expected +997000"]


def test_a_refused_redemption_moves_nothing_and_a_pending_one_is_a_problem():
    refused = {"status": "refused", "reason": "rejected", "points": 1}
    assert rc.redemption_problems(refused, BEFORE, dict(BEFORE)) == []
    assert rc.redemption_problems(refused, BEFORE, {**BEFORE, "ledger_balance": 39}) == \
        ["ledger_balance moved -1, expected +0"]
    assert rc.redemption_problems({"status": "pending", "points": 1}, BEFORE, BEFORE) == \
        ["status 'pending' (neither settled nor refused)"]


def test_the_minter_log_is_summed_over_its_runs():
    lines = ["2026-12-06 08:00:00 smartpay_rewards.chain.minter INFO something",
             "locked=False lease_lost=False recovered=0 batches=2 minted_points=45 failed_batches=0 "
             "skipped_in_flight=0 offsets=1 lamports_spent=2049280",
             "locked=True recovered=0 batches=0 minted_points=0 failed_batches=0 skipped_in_flight=0 offsets=0 "
             "lamports_spent=0",
             "locked=False lease_lost=False recovered=1 batches=1 minted_points=12 failed_batches=1 "
             "skipped_in_flight=0 offsets=0 lamports_spent=10000",
             "locked=False lease_lost=True recovered=0 batches=0 minted_points=0 failed_batches=0 "
             "skipped_in_flight=0 offsets=0 lamports_spent=0",
             "Traceback (most recent call last):", "error=no points mint recorded"]
    f = rc.minter_log_figures(lines)
    assert f["runs"] == {"ran": 2, "locked": 1, "lease_lost": 1, "error": 1} and f["tracebacks"] == 1
    assert (f["recovered"], f["batches"], f["minted_points"], f["failed_batches"], f["offsets"],
            f["lamports_spent"]) == (1, 3, 57, 1, 1, 2059280)


def test_the_journal_figures():
    def item(batch_id, status, orders, fee=10_000, rent=0, reason=None, attempts=1):
        return {"batch_id": batch_id, "status": status, "orders": json.dumps(orders), "fee_lamports": fee,
                "rent_lamports": rent, "reason": reason, "attempts": attempts}

    items = [item("run-1-a-0", "minted", [["m", "c1", "w1", 10], ["m", "c2", "w2", 5]], rent=2 * 2_039_280),
             item("run-2-b-0", "failed", [["m", "c3", "w3", 7]], fee=0,
                  reason="sendTransaction: Transaction simulation failed: BlockhashNotFound"),
             item("run-2-b-0.1", "minted", [["m", "c3", "w3", 7]], attempts=2),
             item("run-3-c-0", "pending", [["m", "c4", "w4", 1]], fee=0)]
    f = rc.journal_figures(items)
    assert f["by_status"] == {"minted": 2, "failed": 1, "pending": 1} and f["minted_points"] == 22
    assert f["orders_minted"] == 3 and f["fee_lamports"] == 20_000 and f["rent_lamports"] == 4_078_560
    assert f["split_batches"] == 1 and f["retried_batches"] == 1
    assert f["failed_reasons"] == {"sendTransaction: Transaction simulation failed: BlockhashNotFound": 1}


@pytest.mark.parametrize("token_2022", [False, True])
def test_the_spl_layouts_the_bench_reads_match_a_real_solana_vm(token_2022):
    """Accounts written by the real token programs (LiteSVM), parsed with the bench's own offsets."""
    from solders.keypair import Keypair
    from solders.message import MessageV0
    from solders.transaction import VersionedTransaction

    from smartpay_rewards.chain import spl
    from smartpay_rewards.chain.cluster import LiteSvmCluster
    from smartpay_rewards.chain.points_mint import PointsMint

    cluster = LiteSvmCluster()
    payer, authority, owner = Keypair(), Keypair(), Keypair()
    cluster.airdrop(payer.pubkey(), 10**10)
    cluster.airdrop(owner.pubkey(), 10**9)
    points = PointsMint.create(cluster, Keypair(), authority, payer,
                               "permanent_delegate_burn" if token_2022 else "offset")
    program = points.token_program
    ata = rc.associated_token_account(owner.pubkey(), points.address, program)
    points.send([spl.create_associated_token_account_idempotent(payer.pubkey(), owner.pubkey(), points.address,
                                                                program),
                 spl.mint_to(points.address, ata, authority.pubkey(), 42, program)], [payer, authority])
    delegate = Keypair().pubkey()
    approve = spl.approve_checked(ata, points.address, delegate, owner.pubkey(), 7, 0, program)
    cluster.send(VersionedTransaction(MessageV0.try_compile(owner.pubkey(), [approve], [],
                                                            cluster.latest_blockhash()), [owner]))
    account = cluster.account(ata)
    assert account is not None and account.owner == program            # the bench's address is the real account
    assert rc.token_amount(account.data) == 42 and rc.token_delegated_amount(account.data) == 7
    assert rc.mint_supply(cluster.account(points.address).data) == 42


def clean_chain():
    agree = compare([wallet()])
    agree["journal_pending"] = 0
    ok = {"ok": True, "wallets_checked": 2, "expected_supply": 1, "on_chain_supply": 1, "mismatches": 0}
    return {"links": {"linked": 60, "customers_chosen": 60, "error_sample": []},
            "minter_kill": {"killed_at_s": 75.0, "pending_batches_left_by_the_kill": [{"batch_id": "run-1-a-0"}],
                            "left_batches_outcome": {"run-1-a-0": "minted"}},
            "redemptions": [{"status": "settled", "problems": []}, {"status": "refused", "problems": []}],
            "converged": True, "before_redemptions": agree, "after_redemptions": agree,
            "reconcile_before_redemptions": ok, "reconcile_after_redemptions": dict(ok)}


def test_the_chain_verdict_needs_every_figure_clean():
    assert rc.chain_validity(clean_chain()) == [] and rc.chain_met(clean_chain())
    breaks = [
        lambda c: c.update(converged=False),
        lambda c: c["links"].update(linked=40),                                     # too few wallets: invalid
        lambda c: c["minter_kill"].update(pending_batches_left_by_the_kill=[]),   # recovery not exercised
        lambda c: c["minter_kill"].pop("killed_at_s"),
        lambda c: c["minter_kill"].update(left_batches_outcome={"run-1-a-0": "pending"}),
        lambda c: c["minter_kill"].update(left_batches_outcome={}),
        lambda c: c.update(redemptions=[{"status": "settled", "problems": []}]),  # none refused
        lambda c: c["redemptions"][0].update(problems=["tokens moved +0, expected -10"]),
        lambda c: c.update(after_redemptions={**c["after_redemptions"], "points_lost": 3}),
        lambda c: c.update(before_redemptions={**c["before_redemptions"], "points_doubled": 1}),
        lambda c: c.update(after_redemptions={**c["after_redemptions"], "journal_pending": 1}),
        lambda c: c["reconcile_after_redemptions"].update(ok=False),
    ]
    for i, breaking in enumerate(breaks):
        c = clean_chain()
        breaking(c)
        assert not rc.chain_met(c), i
    assert rc.chain_validity({"in_scope": True, "error": "RuntimeError: boom"}) == \
        ["the chain measurement failed: RuntimeError: boom"]
    assert not rc.chain_met({"in_scope": True, "error": "RuntimeError: boom"})


def test_scan_all_reads_every_page_as_plain_values():
    class Pages:
        def __init__(self):
            self.calls = []

        def scan(self, **kwargs):
            self.calls.append(kwargs)
            if "ExclusiveStartKey" not in kwargs:
                return {"Items": [{"id": {"S": "a"}, "n": {"N": "1"}}], "LastEvaluatedKey": {"id": {"S": "a"}}}
            return {"Items": [{"id": {"S": "b"}, "n": {"N": "2"}}]}

    db = Pages()
    items = rc.scan_all(db, "journal", FilterExpression="#s = :p")
    assert items == [{"id": "a", "n": 1}, {"id": "b", "n": 2}]
    assert [c.get("ExclusiveStartKey") for c in db.calls] == [None, {"id": {"S": "a"}}]
    assert all(c["TableName"] == "journal" and c["FilterExpression"] == "#s = :p" for c in db.calls)
