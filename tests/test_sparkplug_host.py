# SPDX-License-Identifier: MIT
# An independent Sparkplug B host (Google protobuf + paho) watching twintop's edge node: births
# with aliases and engUnit, DDATA by alias that resolves, no seq gap, a rebirth within a second
# of an NCMD, and (after the test kills twintop with -9) the NDEATH will with the birth's bdSeq.
import sys, time, threading
sys.path.insert(0, sys.argv[1])
import sparkplug_b_pb2 as spb
import paho.mqtt.client as mqtt

port, group, node = int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
st = {"nbirth": [], "dbirth": {}, "aliases": {}, "ddata": 0, "resolved": 0, "gaps": 0,
      "seq": None, "ndeath": None, "units": 0}


def on_message(c, u, msg):
    parts = msg.topic.split("/")
    pl = spb.Payload()
    pl.ParseFromString(msg.payload)
    kind = parts[2]
    with lock:
        if kind in ("NCMD", "DCMD"):
            return  # our own command, no seq
        if kind != "NDEATH":
            if kind == "NBIRTH":
                st["seq"] = pl.seq
            elif st["seq"] is not None:
                if pl.seq != (st["seq"] + 1) % 256:
                    st["gaps"] += 1
                st["seq"] = pl.seq
        if kind == "NBIRTH":
            bd = [m.long_value for m in pl.metrics if m.name == "bdSeq"]
            st["nbirth"].append((time.time(), bd[0]))
        elif kind == "NDEATH":
            st["ndeath"] = [m.long_value for m in pl.metrics if m.name == "bdSeq"][0]
        elif kind == "DBIRTH":
            st["dbirth"][parts[4]] = st["dbirth"].get(parts[4], 0) + 1
            for m in pl.metrics:
                st["aliases"][m.alias] = m.name
                if "engUnit" in m.properties.keys:
                    st["units"] += 1
        elif kind == "DDATA":
            st["ddata"] += 1
            st["resolved"] += all(m.alias in st["aliases"] and not m.name for m in pl.metrics)


c = mqtt.Client(client_id="pyhost", protocol=mqtt.MQTTv311)
c.on_message = on_message
c.connect("127.0.0.1", port)
c.subscribe("spBv1.0/%s/+/%s/#" % (group, node), qos=1)  # "#" also matches the node level
c.loop_start()


def wait(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        with lock:
            if cond():
                return True
        time.sleep(0.05)
    return False


assert wait(lambda: len(st["dbirth"]) == 16 and st["ddata"] > 100, 30), st
with lock:
    births_before = len(st["nbirth"])
ncmd = spb.Payload(timestamp=int(time.time() * 1000))
m = ncmd.metrics.add(name="Node Control/Rebirth", datatype=11, boolean_value=True)
sent = time.time()
c.publish("spBv1.0/%s/NCMD/%s" % (group, node), ncmd.SerializeToString(), qos=1)
assert wait(lambda: len(st["nbirth"]) > births_before, 1.0), "no rebirth within 1 s"
assert wait(lambda: min(st["dbirth"].values()) >= 2, 2), st["dbirth"]
print("rebirth after %.3f s" % (st["nbirth"][-1][0] - sent), flush=True)
print("ready", flush=True)
assert wait(lambda: st["ndeath"] is not None, 30), "no NDEATH will"
with lock:
    assert st["ndeath"] == st["nbirth"][-1][1], (st["ndeath"], st["nbirth"])
    assert st["gaps"] == 0, st["gaps"]
    assert st["resolved"] == st["ddata"], (st["resolved"], st["ddata"])
    assert st["units"] >= 16 * 4, st["units"]
    print("ok births=%d ddata=%d" % (len(st["nbirth"]), st["ddata"]), flush=True)
