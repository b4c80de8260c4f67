"""Off-policy evaluation of a candidate routing policy from logged decisions: the estimators, the reward model,
the logged record and the diagnostics live in smartpay_shared.ope (rewards' offer policies are judged by the
same code); this module keeps routing's names for them. What is routing's own (reading decision logs, the
candidates, the two-pass evaluation) is in service_layer/ and adapters/."""

from smartpay_shared.ope import (Accumulator, BudgetExceeded, ContextHasher, CrossFitRidge, Estimate,
                                 EstimatorSettings, FittedRidge, LogFormatError, LoggedDecision, check_distribution,
                                 diagnose, distribution_from_mapping, fold_of, row_terms)

__all__ = ["Accumulator", "BudgetExceeded", "ContextHasher", "CrossFitRidge", "Estimate", "EstimatorSettings",
           "FittedRidge", "LogFormatError", "LoggedDecision", "check_distribution", "diagnose", "distribution_from_mapping",
           "fold_of", "row_terms"]
