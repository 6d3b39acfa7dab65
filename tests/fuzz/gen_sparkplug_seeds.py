#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus of fuzz_sparkplug (tests/fuzz/corpus/sparkplug/) with Google's protobuf
# for Python from core/sparkplug_b.proto: message sequences in the target's framing (topic byte,
# 2-byte length, payload). Usage: tests/fuzz/gen_sparkplug_seeds.py (needs protoc, python3-protobuf)
import os, struct, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
tmp = tempfile.mkdtemp()
subprocess.run(["protoc", "--proto_path=" + os.path.join(root, "core"), "--python_out=" + tmp,
                os.path.join(root, "core", "sparkplug_b.proto")], check=True)
sys.path.insert(0, tmp)
import sparkplug_b_pb2 as spb  # noqa: E402

NBIRTH, DBIRTH, DDATA, NDATA, DDEATH, NDEATH, NCMD, STATE, NBIRTH2, DBIRTH2, DDATA2, BAD = range(12)
T0 = 1700000000000


def payload(seq, metrics, ts=T0):
    p = spb.Payload()
    p.timestamp = ts
    if seq is not None:
        p.seq = seq
    for m in metrics:
        x = p.metrics.add()
        for k, v in m.items():
            if k == "engUnit":
                x.properties.keys.append("engUnit")
                pv = x.properties.values.add()
                pv.type = 12
                pv.string_value = v
            else:
                setattr(x, k, v)
    return p.SerializeToString()


def frame(topic, data):
    return bytes([topic]) + struct.pack(">H", len(data)) + data


birth = frame(NBIRTH, payload(0, [{"name": "bdSeq", "datatype": 8, "long_value": 3},
                                  {"name": "Node Control/Rebirth", "datatype": 11,
                                   "boolean_value": False}]))
dbirth = frame(DBIRTH, payload(1, [
    {"name": "temp_c", "alias": 1, "datatype": 10, "double_value": 50.0, "engUnit": "degC"},
    {"name": "speed", "alias": 2, "datatype": 3, "int_value": 1500},
    {"name": "running", "alias": 3, "datatype": 11, "boolean_value": True},
    {"name": "mode", "alias": 4, "datatype": 12, "string_value": "AUTO"},
    {"name": "flow", "alias": 5, "datatype": 9, "float_value": 12.5}]))
ddata = frame(DDATA, payload(2, [{"alias": 1, "datatype": 10, "double_value": 51.0},
                                 {"alias": 2, "datatype": 3, "int_value": 1490}], T0 + 1000))
gap = frame(DDATA, payload(9, [{"alias": 5, "datatype": 9, "float_value": 13.0}], T0 + 2000))
unknown = frame(DDATA, payload(3, [{"alias": 77, "datatype": 10, "double_value": 1.0}]))
hist = frame(DDATA, payload(3, [{"alias": 1, "datatype": 10, "double_value": 49.0,
                                 "is_historical": True}], T0 - 60000))
ddeath = frame(DDEATH, payload(4, []))
ndeath = frame(NDEATH, payload(None, [{"name": "bdSeq", "datatype": 8, "long_value": 3}]))
ndeath_bad = frame(NDEATH, payload(None, [{"name": "bdSeq", "datatype": 8, "long_value": 9}]))
state = frame(STATE, b'{"online":true,"timestamp":1700000000000}')
second = frame(NBIRTH2, payload(0, [{"name": "bdSeq", "datatype": 8, "long_value": 0}])) + \
    frame(DBIRTH2, payload(1, [{"name": "temp_c", "alias": 1, "datatype": 10,
                                "double_value": 20.0}]))
seeds = {
    "life": birth + dbirth + ddata + ddata + ddeath + ndeath,
    "seq_gap": birth + dbirth + gap,
    "unknown_alias": birth + dbirth + unknown,
    "data_before_birth": ddata + birth,
    "historical": birth + dbirth + hist,
    "bdseq_mismatch": birth + ndeath_bad,
    "state_and_bad": state + frame(BAD, b"\x08\x01") + frame(DDATA, b"\xff\xff\xff"),
    "shared_device_id": birth + dbirth + second + frame(DDATA2, payload(2, [
        {"alias": 1, "datatype": 10, "double_value": 21.0}])),
}
out = os.path.join(root, "tests", "fuzz", "corpus", "sparkplug")
for name, data in seeds.items():
    open(os.path.join(out, name), "wb").write(data)
print("gen_sparkplug_seeds: %d seeds in %s" % (len(seeds), out))
