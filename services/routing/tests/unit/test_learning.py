"""The VW policy learns: trained on a small simulated stream, it beats random on held-out rounds."""

from smartpay_routing.simulation.environment import GatewayEnvironment, Outage
from smartpay_routing.simulation.policies import UniformRandom, VowpalBandit
from smartpay_routing.simulation.runner import run

NO_OUTAGE = Outage(start=2.0, end=2.0)


def test_learned_policy_beats_random_on_held_out_rounds(catalog):
    env = GatewayEnvironment(catalog, seed=7, rounds=6000, outage=NO_OUTAGE)
    bandit = VowpalBandit(catalog, seed=7)
    run(env, bandit, stop=4000)  # training stream
    held_out = dict(start=4000, stop=6000, learn=False)  # later rounds, never learnt from
    learned = run(env, bandit, **held_out)
    random_ = run(env, UniformRandom(seed=7), **held_out)
    untrained = run(env, VowpalBandit(catalog, seed=7), **held_out)
    assert learned.expected.mean() > random_.expected.mean() + 0.02
    assert learned.regret.mean() < 0.5 * random_.regret.mean()
    assert learned.expected.mean() > untrained.expected.mean() + 0.02  # it is the training, not the features
