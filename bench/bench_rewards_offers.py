"""Rewards offers benchmark (issue #20, target 2): does the offer policy beat uniform offers, by how much, and
does offline evaluation agree with running it?

For each of two response models written apart from the feature code (smartpay_rewards.offers.simulator:
latent segments with multiplicative lifts; continuous traits with a logistic take-up), and each seed (every
cohort, log and learner drawn anew), in one run:
1. log `--train` customers under the uniform policy and learn from the log: the VW contextual bandit
   (epsilon-greedy, `--epsilon` exploration share) and the best single offer (the baseline a merchant picks);
2. OPE on a second, held-out uniform log of `--held-out` customers: IPS, SNIPS and DR (smartpay_shared.ope,
   the estimators routing uses) with 95 % normal intervals, and each policy's margin over uniform as the mean
   of the paired per-row differences;
3. on-policy simulation on `--simulate` fresh customers: each policy chooses, the model draws the rewards
   (common random numbers across policies); mean reward and paired margin over uniform with 95 % intervals.
The simulator's exact expected rewards ("truth") are reported beside both, never used by a policy.

Target (ours, stated before the run): on both models and every seed the learned policy, exploring as
deployed, beats uniform with the lower end of the 95 % interval of its margin above 0, by DR and by simulation.

    .venv/bin/python -m bench.bench_rewards_offers [--train 20000] [--held-out 60000] [--simulate 20000]
                                                   [--seeds 20,21]
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


def _model_tables(result: dict, s: dict) -> list[str]:
    ope, sim = result["ope"], result["simulation"]
    lines = ["| policy | truth | IPS | SNIPS | DR | ESS | simulated (realised) | simulated (expected) |",
             "|---|---|---|---|---|---|---|---|"]
    for policy in POLICIES:
        est, truth = ope["policies"][policy]["estimates"], ope["truth"][policy]
        lines.append(f"| {policy} | {truth:.3f} | " + " | ".join(_ci(est[e]) + _covers(est[e], truth)
                                                              for e in ("ips", "snips", "dr"))
                     + f" | {ope['policies'][policy]['effective_sample_size']:,.0f} | "
                     f"{_ci(sim['policies'][policy]['realised'])} | {_ci(sim['policies'][policy]['expected'])} |")
    lines += ["", "| margin over uniform | truth | OPE (DR, paired) | OPE (IPS, paired) | simulated (realised, paired) "
                  "| simulated (expected) | ratio to uniform (DR / simulated) |", "|---|---|---|---|---|---|---|"]
    for policy in POLICIES[:-1]:
        m, sm = ope["margins_over_baseline"][policy], sim["margins_over_baseline"][policy]
        lines.append(f"| {policy} | {ope['truth'][policy] - ope['truth'][experiment.UNIFORM]:.3f} | "
                     f"{_ci(m['dr'])}{_covers(m['dr'], ope['truth'][policy] - ope['truth'][experiment.UNIFORM])} | "
                     f"{_ci(m['ips'])} | {_ci(sm['realised'])} | {_ci(sm['expected'])} | "
                     f"{s[policy]['ope_dr_ratio_to_uniform']:.3f} / {s[policy]['simulated_ratio_to_uniform']:.3f} |")
    captured = s["share_of_oracle_gain_captured"]
    lines += ["", f"Learned vs best single offer ({result['best_single_offer']}): truth "
                  f"{s['learned_vs_best_single']['truth_difference']:+.3f}, DR "
                  f"{s['learned_vs_best_single']['ope_dr_difference']:+.3f}, simulated ratio "
                  f"{s['learned_vs_best_single']['simulated_ratio']:.3f}. Oracle truth "
                  f"{ope['truth'][experiment.ORACLE]:.3f}; share of the oracle's gain over uniform the learned policy "
                  f"captures (truth): {'-' if captured is None else f'{captured:.0%}'}.", ""]
    return lines


def section(results: dict, summaries: dict, args, seconds: float, met: bool) -> str:
    reward = RewardDefinition()
    lines = [
        "## Rewards: offer policy vs uniform and the best single offer (rewards offers)", "",
        f"Per response model and seed: {args.train:,} customers logged under the uniform policy to learn from (VW "
        f"`{VW_ARGS} --epsilon {args.epsilon}`, one pass; the best single offer by self-normalised mean reward), "
        f"OPE on {args.held_out:,} held-out uniform-logged customers (smartpay_shared.ope: IPS, SNIPS, DR with a "
        f"cross-fitted ridge reward model; 95 % normal intervals), on-policy simulation on {args.simulate:,} fresh "
        f"customers (95 % intervals; margins are paired per-customer differences, common random numbers). "
        f"Reward per customer over the 14 days after the choice: {reward.margin_rate:g} x spend - "
        f"{reward.point_value:g} x points earned (base {reward.points_per_unit:g}/unit + the offer's bonus). "
        f"\"truth\" is the simulator's exact expected reward on the held-out customers; \"(misses)\" marks an OPE "
        f"interval that does not contain it. `learned` is the policy as deployed (exploring, epsilon "
        f"{args.epsilon}); `learned_greedy` its mode. Seeds {', '.join(map(str, args.seeds))}; "
        f"{seconds:.0f} s for the whole run.", "",
        "### Learned policy's margin over uniform, every run", "",
        "| response model | seed | truth | OPE (DR) | simulated (realised) | DR / simulated ratio to uniform | "
        "interval above 0 (DR, simulated) |", "|---|---|---|---|---|---|---|"]
    for name, by_seed in results.items():
        for seed, result in by_seed.items():
            s, ope = summaries[name][seed], result["ope"]
            learned = s[experiment.LEARNED]
            truth = ope["truth"][experiment.LEARNED] - ope["truth"][experiment.UNIFORM]
            lines.append(f"| {name} | {seed} | {truth:.3f} | {_ci(learned['ope_dr_margin'])} | "
                         f"{_ci(learned['simulated_margin'])} | {learned['ope_dr_ratio_to_uniform']:.3f} / "
                         f"{learned['simulated_ratio_to_uniform']:.3f} | "
                         f"{'yes' if learned['beats_uniform_by_ope_dr'] else 'no'}, "
                         f"{'yes' if learned['beats_uniform_by_simulation'] else 'no'} |")
    lines += ["", f"Target (on both models and every seed, the learned policy's margin over uniform has its 95 % "
                  f"interval above 0 by DR and by simulation): **{'met' if met else 'missed'}**.", ""]
    first = args.seeds[0]
    for name, by_seed in results.items():
        lines += [f"### {name}, seed {first}", "", *_model_tables(by_seed[first], summaries[name][first])]
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(prog="bench.bench_rewards_offers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=20_000)
    parser.add_argument("--held-out", type=int, default=60_000)
    parser.add_argument("--simulate", type=int, default=20_000)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--seeds", type=lambda v: [int(x) for x in v.split(",")], default=[20, 21])
    args = parser.parse_args(argv or [])
    start = time.perf_counter()
    results: dict = {name: {} for name in RESPONSE_MODELS}
    summaries: dict = {name: {} for name in RESPONSE_MODELS}
    seconds: dict = {}
    for seed in args.seeds:
        settings = experiment.ExperimentSettings(args.train, args.held_out, args.simulate, "epsilon", args.epsilon,
                                                 seed=seed)
        for name in RESPONSE_MODELS:
            t = time.perf_counter()
            results[name][seed] = experiment.run(name, settings, say=lambda m: print(f"seed {seed}: {m}", flush=True))
            seconds[f"{name}/{seed}"] = round(time.perf_counter() - t, 1)
            summaries[name][seed] = summarise(results[name][seed])
    total = time.perf_counter() - start
    met = all(s["target_met"] for by_seed in summaries.values() for s in by_seed.values())
    text = section(results, summaries, args, total, met)
    path = report.write("rewards_offers", {
        "target": "learned policy (exploring) beats uniform: 95 % CI of the margin above 0 by OPE (DR) and by "
                  "on-policy simulation, on both response models and every seed",
        "target_met": met, "seeds": args.seeds, "seconds": seconds, "total_seconds": round(total, 1),
        "vw_args": VW_ARGS, "summary": summaries, "runs": results}, text)
    print(text)
    print(f"wrote {path}")
    return met


if __name__ == "__main__":
    sys.exit(0 if run(sys.argv[1:]) else 1)
