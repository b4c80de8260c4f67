"""Off-policy evaluation of a candidate routing policy from logged decisions (pure: no I/O).

records: the logged decision and the checks on a candidate's probabilities; features: every context key
hashed; qmodel: the cross-fitted ridge reward model; estimators: DM / IPS / SNIPS / DR / DR-OS / switch-DR
with analytic and bootstrap intervals; diagnostics: weights and warnings."""

from smartpay_routing.domain.ope.diagnostics import diagnose
from smartpay_routing.domain.ope.estimators import Accumulator, Estimate, EstimatorSettings, row_terms
from smartpay_routing.domain.ope.features import ContextHasher
from smartpay_routing.domain.ope.qmodel import BudgetExceeded, CrossFitRidge, FittedRidge, fold_of
from smartpay_routing.domain.ope.records import LogFormatError, LoggedDecision, check_distribution, distribution_from_mapping

__all__ = ["Accumulator", "BudgetExceeded", "ContextHasher", "CrossFitRidge", "Estimate", "EstimatorSettings",
           "FittedRidge", "LogFormatError", "LoggedDecision", "check_distribution", "diagnose", "distribution_from_mapping",
           "fold_of", "row_terms"]
