"""Rewards offers benchmark (issue #20, target 2): does the offer policy beat uniform offers, by how much, and
does offline evaluation agree with running it?

For each of two response models written apart from the feature code (smartpay_rewards.offers.simulator:
latent segments with multiplicative lifts; continuous traits with a logistic take-up), in one run:
1. log `--train` customers under the uniform policy and learn from the log: the VW contextual bandit
   (epsilon-greedy, `--epsilon` exploration share) and the best single offer (the baseline a merchant picks);
2. OPE on a second, held-out uniform log of `--held-out` customers: IPS, SNIPS and DR (smartpay_shared.ope,
   the estimators routing uses) with 95 % normal intervals, and each policy's margin over uniform as the mean
   of the paired per-row differences;
3. on-policy simulation on `--simulate` fresh customers: each policy chooses, the model draws the rewards
   (common random numbers across policies); mean reward and paired margin over uniform with 95 % intervals.
The simulator's exact expected rewards ("truth") are reported beside both, never used by a policy.

Target (ours, stated before the run): on both models the learned policy, exploring as deployed, beats
uniform with the lower end of the 95 % interval of its margin above 0, by DR and by simulation.

    .venv/bin/python -m bench.bench_rewards_offers [--train 20000] [--held-out 40000] [--simulate 40000]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import report
from smartpay_rewards.offers import experiment
from smartpay_rewards.offers.policy import VW_ARGS
from smartpay_rewards.offers.reward import RewardDefinition
from smartpay_rewards.offers.simulator import RESPONSE_MODELS

POLICIES = (experiment.LEARNED, experiment.GREEDY, experiment.BEST_SINGLE, experiment.UNIFORM)


def _ci(found: dict) -> str:
    return f"{found['value']:.3f} [{found['ci95'][0]:.3f}, {found['ci95'][1]:.3f}]"


def _covers(found: dict, truth: float) -> str:
    return "" if found["ci95"][0] <= truth <= found["ci95"][1] else " (misses)"


def summarise(result: dict) -> dict:
    """Margins, ratios and the target check of one response model."""
    ope, sim = result["ope"], result["simulation"]
    uniform_dr = ope["policies"][experiment.UNIFORM]["estimates"]["dr"]["value"]
    uniform_sim = sim["policies"][experiment.UNIFORM]["realised"]["value"]
    out = {}
    for name in POLICIES[:-1]:
        dr = ope["margins_over_baseline"][name]["dr"]
        realised = sim["margins_over_baseline"][name]["realised"]
        out[name] = {
            "ope_dr_margin": dr, "simulated_margin": realised,
            "ope_dr_ratio_to_uniform": ope["policies"][name]["estimates"]["dr"]["value"] / uniform_dr,
            "simulated_ratio_to_uniform": sim["policies"][name]["realised"]["value"] / uniform_sim,
            "beats_uniform_by_ope_dr": dr["ci95"][0] > 0, "beats_uniform_by_simulation": realised["ci95"][0] > 0,
        }
    learned, best = sim["policies"][experiment.LEARNED]["realised"], sim["policies"][experiment.BEST_SINGLE]["realised"]
    out["learned_vs_best_single"] = {
        "simulated_ratio": learned["value"] / best["value"],
        "ope_dr_difference": (ope["policies"][experiment.LEARNED]["estimates"]["dr"]["value"]
                              - ope["policies"][experiment.BEST_SINGLE]["estimates"]["dr"]["value"]),
        "truth_difference": ope["truth"][experiment.LEARNED] - ope["truth"][experiment.BEST_SINGLE]}
    gap = ope["truth"][experiment.ORACLE] - ope["truth"][experiment.UNIFORM]
    out["share_of_oracle_gain_captured"] = ((ope["truth"][experiment.LEARNED] - ope["truth"][experiment.UNIFORM]) / gap
                                            if gap > 0 else None)
    out["target_met"] = out[experiment.LEARNED]["beats_uniform_by_ope_dr"] and \
        out[experiment.LEARNED]["beats_uniform_by_simulation"]
    return out


def section(results: dict, summaries: dict, args, seconds: float) -> str:
    reward = RewardDefinition()
    lines = [
        "## Rewards: offer policy vs uniform and the best single offer (rewards offers)", "",
        f"Per response model: {args.train:,} customers logged under the uniform policy to learn from (VW "
        f"`{VW_ARGS} --epsilon {args.epsilon}`, one pass; the best single offer by self-normalised mean reward), "
        f"OPE on {args.held_out:,} held-out uniform-logged customers (smartpay_shared.ope: IPS, SNIPS, DR with a "
        f"cross-fitted ridge reward model; 95 % normal intervals), on-policy simulation on {args.simulate:,} fresh "
        f"customers (95 % intervals; margins are paired per-customer differences, common random numbers). "
        f"Reward per customer over the 14 days after the choice: {reward.margin_rate:g} x spend - "
        f"{reward.point_value:g} x points earned (base {reward.points_per_unit:g}/unit + the offer's bonus). "
        f"\"truth\" is the simulator's exact expected reward on the held-out customers; \"(misses)\" marks an OPE "
        f"interval that does not contain it. `learned` is the policy as deployed (exploring, epsilon "
        f"{args.epsilon}); `learned_greedy` its mode. Seed {args.seed}; {seconds:.0f} s for the whole run.", ""]
    for name, result in results.items():
        ope, sim, s = result["ope"], result["simulation"], summaries[name]
        lines += [f"### {name} (best single offer: {result['best_single_offer']}; oracle truth "
                  f"{ope['truth'][experiment.ORACLE]:.3f})", "",
                  "| policy | truth | IPS | SNIPS | DR | ESS | simulated (realised) | simulated (expected) |",
                  "|---|---|---|---|---|---|---|---|"]
        for policy in POLICIES:
            est, truth = ope["policies"][policy]["estimates"], ope["truth"][policy]
            lines.append(f"| {policy} | {truth:.3f} | " + " | ".join(_ci(est[e]) + _covers(est[e], truth)
                                                                  for e in ("ips", "snips", "dr"))
                         + f" | {ope['policies'][policy]['effective_sample_size']:,.0f} | "
                         f"{_ci(sim['policies'][policy]['realised'])} | {_ci(sim['policies'][policy]['expected'])} |")
        lines += ["", "| margin over uniform | OPE (DR, paired) | OPE (IPS, paired) | simulated (realised, paired) "
                      "| simulated (expected) | ratio to uniform (DR / simulated) |", "|---|---|---|---|---|---|"]
        for policy in POLICIES[:-1]:
            m = ope["margins_over_baseline"][policy]
            sm = sim["margins_over_baseline"][policy]
            lines.append(f"| {policy} | {_ci(m['dr'])} | {_ci(m['ips'])} | {_ci(sm['realised'])} | "
                         f"{_ci(sm['expected'])} | {s[policy]['ope_dr_ratio_to_uniform']:.3f} / "
                         f"{s[policy]['simulated_ratio_to_uniform']:.3f} |")
        captured = s["share_of_oracle_gain_captured"]
        lines += ["", f"Learned vs best single offer: truth {s['learned_vs_best_single']['truth_difference']:+.3f}, "
                      f"DR {s['learned_vs_best_single']['ope_dr_difference']:+.3f}, simulated ratio "
                      f"{s['learned_vs_best_single']['simulated_ratio']:.3f}. Share of the oracle's gain over uniform "
                      f"the learned policy captures (truth): "
                      f"{'-' if captured is None else f'{captured:.0%}'}. Target (margin's 95 % interval above 0 by "
                      f"DR and by simulation): **{'met' if s['target_met'] else 'missed'}**.", ""]
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(prog="bench.bench_rewards_offers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=20_000)
    parser.add_argument("--held-out", type=int, default=40_000)
    parser.add_argument("--simulate", type=int, default=40_000)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv or [])
    settings = experiment.ExperimentSettings(args.train, args.held_out, args.simulate, "epsilon", args.epsilon,
                                             seed=args.seed)
    start = time.perf_counter()
    results, summaries, seconds = {}, {}, {}
    for name in RESPONSE_MODELS:
        t = time.perf_counter()
        results[name] = experiment.run(name, settings, say=lambda m: print(m, flush=True))
        seconds[name] = round(time.perf_counter() - t, 1)
        summaries[name] = summarise(results[name])
    total = time.perf_counter() - start
    met = all(s["target_met"] for s in summaries.values())
    text = section(results, summaries, args, total)
    path = report.write("rewards_offers", {
        "target": "learned policy (exploring) beats uniform: 95 % CI of the margin above 0 by OPE (DR) and by "
                  "on-policy simulation, on both response models",
        "target_met": met, "seconds": seconds, "vw_args": VW_ARGS, "summary": summaries, "runs": results}, text)
    print(text)
    print(f"wrote {path}")
    return met


if __name__ == "__main__":
    sys.exit(0 if run(sys.argv[1:]) else 1)
