"""Stress the stack's moto server with stack-like clients; report every call slower than 2 s.

`python -m bench.moto_stress cheroot|werkzeug SECONDS`: 8 "worker processes" (a boto3 client each, 5 slots long
polling their own queue, the stack's retry and timeout settings), each message answered with PutItem, GetItem,
sometimes a SendMessage, and a delete; 12 "gateways" sending in bursts with idle gaps of up to 65 s, past
cheroot's 60 s idle-connection expiry. A long poll that returns empty before 19 s or after 23 s counts as slow.
Written to hunt a 15 s stall seen once in a stack run (moto_server's docstring); prints SLOW lines as they happen
and a DONE line with the count. Exit status 1 if any call was slow."""
import random, socket, subprocess, sys, threading, time, json, urllib.request
import boto3
from botocore.config import Config
server = sys.argv[1]; seconds = float(sys.argv[2])
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
proc = subprocess.Popen([sys.executable, "-m", "smartpay_shared.local.moto_server", "-p", str(port), "--server", server],
                        stdout=subprocess.DEVNULL, stderr=None)
url = f"http://127.0.0.1:{port}"
for _ in range(100):
    try: urllib.request.urlopen(url + "/moto-api/", timeout=1); break
    except Exception: time.sleep(0.2)
cfg = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
def client(svc): return boto3.client(svc, endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t", config=cfg)
ddb = client("dynamodb"); sqs = client("sqs")
ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
queues = [sqs.create_queue(QueueName=f"q{i}")["QueueUrl"] for i in range(8)]
stop = time.monotonic() + seconds
slow, counts, lock = [], [0], threading.Lock()
def timed(name, fn, **kw):
    t0 = time.monotonic()
    try: fn(**kw); err = None
    except Exception as e: err = f"{type(e).__name__}: {e}"[:120]
    dt = time.monotonic() - t0
    with lock:
        counts[0] += 1
        if dt > 2 and not (name == "poll" and 19 < dt < 23 and err is None):
            slow.append((time.strftime("%T"), name, round(dt, 2), err)); print("SLOW", slow[-1], flush=True)
        elif err: print("ERR", name, err, flush=True)
def process(i):  # one "worker process": one client per service, 5 slots long polling, plus work
    c_sqs, c_ddb = client("sqs"), client("dynamodb")
    q = queues[i]
    def slot():
        while time.monotonic() < stop:
            t0 = time.monotonic()
            r = c_sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=20)
            dt = time.monotonic() - t0
            msgs = r.get("Messages", [])
            if dt > 23 or (not msgs and dt < 19 and time.monotonic() < stop - 1):
                with lock: slow.append((time.strftime("%T"), f"poll{i}", round(dt, 2), len(msgs))); print("SLOW poll", i, dt, flush=True)
            for m in msgs:
                k = f"k{random.randrange(200)}"
                timed("put", c_ddb.put_item, TableName="t", Item={"pk": {"S": k}, "v": {"S": "x" * 200}})
                timed("get", c_ddb.get_item, TableName="t", Key={"pk": {"S": k}})
                timed("send", c_sqs.send_message, QueueUrl=queues[(i + 1) % len(queues)], MessageBody="m") if random.random() < 0.3 else None
                timed("del", c_sqs.delete_message, QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
    ts = [threading.Thread(target=slot, daemon=True) for _ in range(5)]
    [t.start() for t in ts]; return ts
def producer(j):  # the "gateway": bursts, then idle gaps up to 65 s (past cheroot's 60 s idle expiry)
    c_sqs, c_ddb = client("sqs"), client("dynamodb")
    while time.monotonic() < stop:
        for _ in range(random.randint(5, 40)):
            timed("send", c_sqs.send_message, QueueUrl=random.choice(queues), MessageBody="m")
            timed("get", c_ddb.get_item, TableName="t", Key={"pk": {"S": f"k{random.randrange(200)}"}})
        time.sleep(random.choice([0.1, 0.5, 2, 10, 58, 59.5, 60, 60.5, 61, 65]))
threads = sum((process(i) for i in range(8)), [])
ps = [threading.Thread(target=producer, args=(j,), daemon=True) for j in range(12)]
[t.start() for t in ps]
t_end = stop
while time.monotonic() < t_end:
    time.sleep(30); print(time.strftime("%T"), "calls", counts[0], "slow", len(slow), flush=True)
time.sleep(25)
print("DONE", server, "calls", counts[0], "slow", len(slow), json.dumps(slow[:30]), flush=True)
proc.terminate()
sys.exit(1 if slow else 0)
