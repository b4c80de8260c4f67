"""Off-policy evaluation of a candidate policy from logged decisions (pure: no I/O), shared by every service
that logs bandit decisions with their propensities (routing's gateway choice, rewards' offers).

records: the logged decision and the checks on a candidate's probabilities; features: every context key
hashed; qmodel: the cross-fitted ridge reward model; estimators: DM / IPS / SNIPS / DR / DR-OS / switch-DR
with analytic and bootstrap intervals; diagnostics: weights (effective sample size) and warnings.

Needs numpy and scipy (the `ope` extra of smartpay-shared): import it only where they are installed."""

from smartpay_shared.ope.diagnostics import diagnose
from smartpay_shared.ope.estimators import Accumulator, Estimate, EstimatorSettings, row_terms
from smartpay_shared.ope.features import ContextHasher
from smartpay_shared.ope.qmodel import BudgetExceeded, CrossFitRidge, FittedRidge, fold_of
from smartpay_shared.ope.records import LogFormatError, LoggedDecision, check_distribution, distribution_from_mapping

__all__ = ["Accumulator", "BudgetExceeded", "ContextHasher", "CrossFitRidge", "Estimate", "EstimatorSettings",
           "FittedRidge", "LogFormatError", "LoggedDecision", "check_distribution", "diagnose", "distribution_from_mapping",
           "fold_of", "row_terms"]
