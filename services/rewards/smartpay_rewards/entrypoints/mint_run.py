"""Scheduled Lambda (EventBridge, manifest `scheduled`: minter): one mint run (`smartpay rewards mint` locally):
recover the journal's pending batches, then mint what the ledger owes to linked wallets."""

from aws_lambda_powertools import Logger

from smartpay_rewards import bootstrap
from smartpay_rewards.service_layer.onchain import mint_run

logger = Logger(service="rewards")


@logger.inject_lambda_context
def lambda_handler(event, context):
    rewards = bootstrap.service()
    run = mint_run(rewards.uow, rewards.chain().minter)
    summary = run_summary(run)
    logger.info("mint run", extra={"run": summary})
    return summary


def run_summary(run) -> dict:
    return {"locked": run.locked, "lease_lost": run.lease_lost, "recovered": len(run.recovered), "batches": len(run.results),
            "minted_points": run.minted_points, "failed_batches": len(run.failed),
            "skipped_in_flight": run.skipped_in_flight, "offsets": run.offsets,
            "lamports_spent": sum(r.lamports_spent for r in run.recovered + run.results)}
