# SPDX-License-Identifier: MIT
# Watches an edge node's NBIRTH and NDEATH across broker restarts (paho reconnects and
# subscribes again): prints "NBIRTH <bdSeq>" and "NDEATH <bdSeq>" lines as they arrive.
import sys
sys.path.insert(0, sys.argv[1])  # protoc --python_out of core/sparkplug_b.proto
import sparkplug_b_pb2 as spb
import paho.mqtt.client as mqtt

port, group, node = int(sys.argv[2]), sys.argv[3], sys.argv[4]


def on_connect(c, u, flags, rc):
    c.subscribe("spBv1.0/%s/NBIRTH/%s" % (group, node), qos=1)
    c.subscribe("spBv1.0/%s/NDEATH/%s" % (group, node), qos=1)
    print("connected", flush=True)


def on_message(c, u, msg):
    pl = spb.Payload()
    pl.ParseFromString(msg.payload)
    bd = [m.long_value for m in pl.metrics if m.name == "bdSeq"]
    print("%s %s" % (msg.topic.split("/")[2], bd[0] if bd else "none"), flush=True)


c = mqtt.Client(client_id="pysession", protocol=mqtt.MQTTv311)
c.on_connect, c.on_message = on_connect, on_message
c.reconnect_delay_set(min_delay=1, max_delay=1)
c.connect("127.0.0.1", port)
c.loop_forever(retry_first_connection=True)
