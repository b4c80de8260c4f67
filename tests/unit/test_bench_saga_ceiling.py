"""The pure parts of the saga benchmark's emulator ceiling and saturation diagnosis (bench/)."""

from bench.cpu import diagnosis
from bench.saga_ceiling import Ceiling, delete_groups, delta, per_saga_mix, where_time_goes


def test_a_sagas_mix_is_the_emulators_count_difference_per_saga():
    before = {"AWSEvents.PutEvents": {"n": 10, "seconds": 1.0}, "AmazonSQS.DeleteMessage": {"n": 5, "seconds": 0.1}}
    after = {"AWSEvents.PutEvents": {"n": 70, "seconds": 4.0}, "AmazonSQS.DeleteMessage": {"n": 95, "seconds": 0.5},
             "DynamoDB.UpdateItem": {"n": 64, "seconds": 0.9}, "AmazonSQS.ReceiveMessage": {"n": 500, "seconds": 90.0}}
    counted = delta(after, before)
    assert counted["AWSEvents.PutEvents"] == {"n": 60, "seconds": 3.0}
    mix = per_saga_mix(counted, sagas=10)
    # Idle long polls are not a saga's work: a delivery is its delete (batch size 1).
    assert mix == {"PutEvents": 6.0, "deliveries": 9.0, "deletes": 9.0, "GetItem": 0.0, "PutItem": 0.0,
                   "UpdateItem": 6.4, "DeleteItem": 0.0, "Query": 0.0}
    # Deletes coalesced across invocations: the deliveries come from the hop count, the delete calls stay counted.
    coalesced = per_saga_mix(counted, sagas=10, deliveries=11)
    assert (coalesced["deliveries"], coalesced["deletes"]) == (11, 9.0)
    # Long polls wait for messages by design: left out of where the emulator's time goes.
    assert [row["action"] for row in where_time_goes(counted)] == ["AWSEvents.PutEvents", "DynamoDB.UpdateItem",
                                                                  "AmazonSQS.DeleteMessage"]


def test_the_replay_fans_out_exactly_the_sagas_deliveries():
    for puts, deliveries in ((6, 9), (5, 5), (4, 11)):
        mix = {"PutEvents": puts, "deliveries": deliveries, "GetItem": 0, "PutItem": 0, "UpdateItem": 0,
               "DeleteItem": 0, "Query": 0}
        ceiling = Ceiling("http://127.0.0.1:1", "bus", "table", mix)  # no call is made before __enter__
        assert len(ceiling.fanouts) == puts and sum(ceiling.fanouts) == deliveries
        assert len(ceiling.rules) == max(ceiling.fanouts)


def test_saturation_is_named_from_the_windows_own_figures():
    assert diagnosis({"process_cpu_pct": {"moto": 98.0, "worker-payment": 40.0}, "machine_cpu_pct": 70.0,
                      "cores": 2}, 0.5) == "process at a full core: moto 98 %"
    assert diagnosis({"process_cpu_pct": {"moto": 98.0}, "machine_cpu_pct": 97.0, "cores": 2}, 0.5) \
        .startswith("machine CPU 97 % of 2 cores")
    assert diagnosis({"process_cpu_pct": {"moto": 50.0}, "machine_cpu_pct": 60.0, "cores": 2}, 0.93) \
        == "the emulator: 93 % of its replayed ceiling"
    assert diagnosis({"process_cpu_pct": {"moto": 50.0}, "machine_cpu_pct": 60.0, "cores": 2}, 0.4) \
        .startswith("no process at a full core")


def test_the_replay_deletes_in_as_many_calls_as_the_saga_and_never_more_than_ten_a_call():
    handles = [f"h{i}" for i in range(11)]
    groups = delete_groups(handles, 4)
    assert len(groups) == 4 and sorted(h for g in groups for h in g) == sorted(handles)
    assert [len(g) for g in delete_groups(handles, 1)] == [6, 5]  # 11 cannot go in one call
    assert delete_groups([], 3) == []
    mix = {"PutEvents": 5, "deliveries": 11, "deletes": 4.6, "GetItem": 0, "PutItem": 0, "UpdateItem": 0,
           "DeleteItem": 0, "Query": 0}
    assert Ceiling("http://127.0.0.1:1", "bus", "table", mix).deletes == 5
