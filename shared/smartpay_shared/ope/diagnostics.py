"""What the weights and the reward model say about how far to trust the estimates, with warnings."""

from __future__ import annotations

import math

from smartpay_shared.ope.estimators import BASE_SQ_ERR, Q_SQ_ERR, RAW_WEIGHT, Z95, Accumulator

MIN_ESS = 100
MIN_ESS_SHARE = 0.01
MAX_ROW_WEIGHT_SHARE = 0.05
MAX_CLIPPED_SHARE = 0.05
MAX_SWITCHED_SHARE = 0.05
MEAN_WEIGHT_SLACK = 0.02


def diagnose(acc: Accumulator, folds: int) -> tuple[dict, list[str]]:
    n, s = acc.n, acc.settings
    mean_w = float(acc.mean[RAW_WEIGHT])
    sum_w2 = float(acc.comoment[RAW_WEIGHT, RAW_WEIGHT]) + n * mean_w * mean_w
    ess = (n * mean_w) ** 2 / sum_w2 if sum_w2 > 0 else 0.0
    se_w = math.sqrt(acc.comoment[RAW_WEIGHT, RAW_WEIGHT] / (n - 1) / n) if n > 1 else 0.0
    top_share = acc.max_weight / (n * mean_w) if mean_w > 0 else 0.0
    q_mse, base_mse = float(acc.mean[Q_SQ_ERR]), float(acc.mean[BASE_SQ_ERR])
    found = {
        "effective_sample_size": ess, "effective_sample_share": ess / n if n else 0.0,
        "mean_weight": mean_w, "mean_weight_ci95": [mean_w - Z95 * se_w, mean_w + Z95 * se_w],
        "max_weight": acc.max_weight, "max_weight_share": top_share, "min_propensity": acc.min_propensity,
        "clipped_share": acc.clipped / n if s.clip is not None and n else 0.0,
        "switched_to_dm_share": acc.switched_off / n if n else 0.0,
        "q_model": {"out_of_fold_mse": q_mse, "mean_reward_mse": base_mse,
                    "out_of_fold_r2": 1 - q_mse / base_mse if base_mse > 0 else None},
    }
    warnings = []
    if mean_w == 0:
        warnings.append("SNIPS is undefined: the candidate gives zero probability to every logged action; IPS "
                        "and DR have nothing to weigh, only DM speaks, and only through the reward model")
    elif ess < MIN_ESS or ess < MIN_ESS_SHARE * n:
        warnings.append(f"effective sample size {ess:.0f} of {n} rows: the weighted estimates rest on few rows "
                        f"and their intervals are unreliable")
    if top_share > MAX_ROW_WEIGHT_SHARE:
        warnings.append(f"one row carries {top_share:.1%} of the total weight (max weight {acc.max_weight:.4g}, "
                        f"min propensity {acc.min_propensity:.3g}): IPS and DR hang on it")
    if mean_w > 0 and abs(mean_w - 1) > max(3 * se_w, MEAN_WEIGHT_SLACK):
        warnings.append(f"mean importance weight {mean_w:.4f} is far from 1 (standard error {se_w:.4f}): the "
                        f"logged propensities are off, or the candidate puts mass where the logger had none")
    if s.clip is not None and found["clipped_share"] > MAX_CLIPPED_SHARE:
        warnings.append(f"clipping at {s.clip:g} changed {found['clipped_share']:.1%} of the weights: IPS, SNIPS "
                        f"and DR are biased by it")
    if found["switched_to_dm_share"] > MAX_SWITCHED_SHARE:
        warnings.append(f"switch-DR falls back to DM on {found['switched_to_dm_share']:.1%} of the rows "
                        f"(weights above {s.switch_tau:g})")
    if base_mse > 0 and q_mse > base_mse:
        warnings.append(f"the reward model predicts held-out rows worse than the mean reward (MSE {q_mse:.4g} vs "
                        f"{base_mse:.4g}): DM is unreliable and DR gains nothing from it")
    if n < 10 * folds:
        warnings.append(f"{n} rows for {folds} folds: the cross-fitted reward model sees very little data")
    return found, warnings
