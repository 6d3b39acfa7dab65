# SPDX-License-Identifier: MIT
# The QoS 1 publisher of tests/test_journal.sh: N messages at RATE a second to dt/pump/JRNL_1,
# message i stamped BASE + i ms (BASE: an hour ago) with data seq = i; writes how many the broker
# acknowledged, and BASE, to OUT.   test_journal_pub.py PORT N RATE OUT
import datetime, json, sys, time
import paho.mqtt.client as mqtt

port, n, rate, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
acked = [0]
client = mqtt.Client(client_id="journal-pub", clean_session=True)
client.max_inflight_messages_set(200)
client.max_queued_messages_set(0)


def on_publish(cl, userdata, mid):
    acked[0] += 1


client.on_publish = on_publish
client.connect("127.0.0.1", port)
client.loop_start()
base = int(time.time() * 1000) - 3600 * 1000
start = time.time()
for i in range(n):
    stamp = datetime.datetime.fromtimestamp((base + i) / 1000, datetime.timezone.utc)
    payload = {"timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
               "machine_id": "JRNL_1", "data": {"seq": i}}
    client.publish("dt/pump/JRNL_1/telemetry", json.dumps(payload), qos=1)
    delay = start + (i + 1) / rate - time.time()
    if delay > 0:
        time.sleep(delay)
deadline = time.time() + 60
while acked[0] < n and time.time() < deadline:
    time.sleep(0.05)
client.loop_stop()
with open(out, "w") as f:
    f.write("%d %d\n" % (acked[0], base))
