# SPDX-License-Identifier: MIT
# An independent Sparkplug B edge node (Google protobuf + paho) that plays against twintop as
# host: births, alias-only data, a seq gap (expects an NCMD rebirth), a DDEATH, a garbage
# payload, a second node sharing a device id; then waits to be killed (the broker sends the will).
import sys, time
sys.path.insert(0, sys.argv[1])  # protoc --python_out of core/sparkplug_b.proto
import sparkplug_b_pb2 as spb
import paho.mqtt.client as mqtt

port = int(sys.argv[2])
P = spb.Payload
INT32, INT64, UINT64, FLOAT, DOUBLE, BOOLEAN, STRING, DATETIME, DATASET = 3, 4, 8, 9, 10, 11, 12, 13, 16


def payload(seq, metrics):
    pl = P(timestamp=int(time.time() * 1000))
    if seq is not None:
        pl.seq = seq
    for m in metrics:
        pl.metrics.add().CopyFrom(m)
    return pl.SerializeToString()


def metric(name=None, alias=None, datatype=None, **value):
    m = P.Metric()
    if name is not None:
        m.name = name
    if alias is not None:
        m.alias = alias
    if datatype is not None:
        m.datatype = datatype
    for k, v in value.items():
        if k == "dataset":
            m.dataset_value.num_of_columns = 1
            m.dataset_value.columns.append("a")
            m.dataset_value.types.append(INT32)
        else:
            setattr(m, k, v)
    return m



def say(line):
    """One line in one write: paho's thread prints too, and print() may interleave."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

class Node:
    def __init__(self, group, node, devices):
        self.group, self.node, self.devices = group, node, devices
        self.seq, self.bdseq, self.ncmd = 0, 0, 0
        self.c = mqtt.Client(client_id="spb-" + node, protocol=mqtt.MQTTv311)
        death = payload(None, [metric("bdSeq", datatype=INT64, long_value=self.bdseq)])
        self.c.will_set(self.topic("NDEATH"), death, qos=1)
        self.c.on_message = self.on_message
        self.c.connect("127.0.0.1", port)
        self.c.subscribe(self.topic("NCMD"), qos=1)
        self.c.loop_start()
        time.sleep(0.3)

    def topic(self, kind, device=None):
        return "spBv1.0/%s/%s/%s%s" % (self.group, kind, self.node, "/" + device if device else "")

    def on_message(self, c, u, msg):
        pl = P()
        pl.ParseFromString(msg.payload)
        if any(m.name == "Node Control/Rebirth" and m.boolean_value for m in pl.metrics):
            self.ncmd += 1  # answered from the main thread: paho's callback must not wait
            say("NCMD rebirth %s" % self.node)

    def send(self, kind, metrics, device=None, seq=None):
        if seq is None:
            seq = self.seq
            self.seq = (self.seq + 1) % 256
        self.c.publish(self.topic(kind, device), payload(seq, metrics), qos=1).wait_for_publish()

    def birth(self):
        self.seq = 0
        self.send("NBIRTH", [metric("bdSeq", datatype=INT64, long_value=self.bdseq),
                             metric("Node Control/Rebirth", datatype=BOOLEAN, boolean_value=False)])
        for d in self.devices:
            self.send("DBIRTH", [
                metric("Motor/Temperature", 1, DOUBLE, double_value=55.5),
                metric("Motor/Speed", 2, INT32, int_value=(-5) & 0xffffffff),
                metric("Running", 3, BOOLEAN, boolean_value=True),
                metric("Mode", 4, STRING, string_value="AUTO"),
                metric("Recipe", 5, DATASET, dataset=True),
                metric("Counter", 6, UINT64, long_value=7),
                metric("Flow", 7, FLOAT, float_value=1.25),
                metric("LastService", 8, DATETIME, long_value=1700000000000),
            ], d)

    def data(self, device, i, seq=None):
        self.send("DDATA", [metric(alias=1, double_value=55.5 + i),
                            metric(alias=2, int_value=(-5 - i) & 0xffffffff),
                            metric(alias=3, boolean_value=i % 2 == 0),
                            metric(alias=7, float_value=1.25)], device, seq)


a = Node("Plant1", "edge1", ["PUMP_X", "FAN_Y"])
a.birth()
for i in range(20):
    a.data("PUMP_X", i)
    a.data("FAN_Y", i)
b = Node("Plant1", "edge2", ["PUMP_X"])
b.birth()
b.data("PUMP_X", 0)
print("births done", flush=True)
time.sleep(1)
a.data("PUMP_X", 99, seq=(a.seq + 5) % 256)  # a gap: twintop must ask for a rebirth
for _ in range(50):
    if a.ncmd:
        break
    time.sleep(0.1)
say("ncmd %d" % a.ncmd)
a.birth()
a.send("DDATA", [metric(alias=42, double_value=1.0)], "PUMP_X")  # unknown alias
a.c.publish(a.topic("DDATA", "PUMP_X"), b"\xff\xff\xff garbage", qos=1).wait_for_publish()
a.send("DDEATH", [], "FAN_Y")
a.c.publish("spBv1.0/STATE/scada1", b'{"online":true,"timestamp":1}', qos=1, retain=True).wait_for_publish()
print("ready", flush=True)
time.sleep(120)
