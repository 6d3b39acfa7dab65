# SPDX-License-Identifier: MIT
# A Sparkplug B edge node (Google protobuf + paho) that forwards a stored outage: one device,
# PUMP_001 of the demo catalog, then 120 is_historical bearing temperatures far above the alarm
# limit stamped an hour ago, then live readings inside the normal band, then one stamped 2100.
import sys, time
sys.path.insert(0, sys.argv[1])  # protoc --python_out of core/sparkplug_b.proto
import sparkplug_b_pb2 as spb
import paho.mqtt.client as mqtt

port = int(sys.argv[2])
P = spb.Payload
INT64, DOUBLE = 4, 10
now_ms = int(time.time() * 1000)
seq = 0


def send(c, topic, metrics, ts=None):
    global seq
    pl = P(timestamp=ts if ts is not None else int(time.time() * 1000), seq=seq)
    seq = (seq + 1) % 256
    for m in metrics:
        pl.metrics.add().CopyFrom(m)
    c.publish(topic, pl.SerializeToString(), qos=1).wait_for_publish()


def metric(name=None, alias=None, datatype=None, value=None, historical=False, ts=None):
    m = P.Metric()
    if name is not None:
        m.name = name
    if alias is not None:
        m.alias = alias
    if datatype is not None:
        m.datatype = datatype
    if value is not None:
        m.double_value = value
    if historical:
        m.is_historical = True
    if ts is not None:
        m.timestamp = ts
    return m


c = mqtt.Client(client_id="spb-history", protocol=mqtt.MQTTv311)
c.connect("127.0.0.1", port)
c.loop_start()
base = "spBv1.0/G1/%s/edgeH"
bd = P.Metric(name="bdSeq", datatype=INT64, long_value=0)
send(c, base % "NBIRTH", [bd])
send(c, base % "DBIRTH" + "/PUMP_001", [metric("bearing_temp_c", 1, DOUBLE, 55.0)])
t0 = now_ms - 3600 * 1000
hist = [metric(alias=1, value=200.0 + i, historical=True, ts=t0 + i * 1000) for i in range(120)]
for k in range(0, 120, 40):
    send(c, base % "DDATA" + "/PUMP_001", hist[k:k + 40])
for i in range(5):
    send(c, base % "DDATA" + "/PUMP_001", [metric(alias=1, value=56.0 + i * 0.1)])
    time.sleep(0.05)
send(c, base % "DDATA" + "/PUMP_001", [metric(alias=1, value=57.0)], ts=4102444800000)  # 2100: a lying clock
print("ready", flush=True)
time.sleep(60)
