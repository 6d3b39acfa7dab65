#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Replay the University of Michigan CNC milling experiments as CNC twin telemetry.

Reads ../shared/datasets/cnc_mill/experiment_NN.csv (one row every 100 ms) and publishes each row
in the CNC twin's simulator payload format to <prefix>/cnc-machining-centre/<id>/telemetry
through mosquitto_pub -l (one JSON message per line), or prints the lines with --stdout.

Mapping (the dataset's columns -> the CNC twin's fields):
  axes.{x,y,z}.position_mm  <- X1/Y1/Z1_ActualPosition (mm)
  spindle.rpm               <- S1_ActualVelocity x --rpm-scale (default 60: the column is read as
                               revolutions per second; the dataset does not state its unit)
  spindle.load_percent      <- S1_CurrentFeedback as a percentage of its maximum in the file
  power.spindle_kw          <- S1_OutputPower (kW)
  power.servo_kw            <- X1_OutputPower + Y1_OutputPower (kW; Z1 has no power column)
  power.total_kw            <- spindle + servo
  tool.runtime_minutes      <- time spent in "Layer …" (cutting) rows since the replay began
  status.mode               <- Machining_Process ("Prep", "Layer 1 Up", …)
  status.program            <- "expNN worn" / "expNN unworn" (train.csv's tool_condition)
Fields the dataset does not measure (temperatures, vibration, coolant, tool wear) are left out
rather than invented.

Examples:
  tests/cnc_feed.py --url mqtt://127.0.0.1:1883                 # real time, all experiments
  tests/cnc_feed.py --url mqtt://127.0.0.1:1883 --speed 10 --loop
  tests/cnc_feed.py --stdout --experiments 08 | head
Extra mosquitto_pub options (TLS, credentials) go after "--": ... -- --cafile ca.crt -u op
"""
import argparse
import csv
import datetime
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlparse

HERE = os.path.dirname(os.path.abspath(__file__))


def default_data():
    """$TWINTOP_SHARED/datasets/cnc_mill, else ../shared beside the checkout (or its parent)."""
    candidates = []
    if os.environ.get("TWINTOP_SHARED"):
        candidates.append(os.path.join(os.environ["TWINTOP_SHARED"], "datasets", "cnc_mill"))
    for up in (("..", ".."), ("..", "..", "..")):
        candidates.append(os.path.normpath(os.path.join(HERE, *up, "shared", "datasets", "cnc_mill")))
    for c in candidates:
        if os.path.isdir(c):
            return c
    return candidates[-1]


DEFAULT_DATA = default_data()


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def num(row, col):
    try:
        return float(row[col])
    except (KeyError, ValueError):
        return None


def tool_conditions(data_dir):
    out = {}
    path = os.path.join(data_dir, "train.csv")
    if os.path.exists(path):
        for r in csv.DictReader(open(path)):
            out[int(r["No"])] = r.get("tool_condition", "")
    return out


def experiment_rows(data_dir, number):
    path = os.path.join(data_dir, "experiment_%s.csv" % number)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise SystemExit("cnc_feed: %s is empty" % path)
    return rows


def payloads(args, conditions):
    t_ms = args.start_ms
    cutting_s = 0.0
    while True:
        for number in args.experiments:
            rows = experiment_rows(args.data, number)
            cur_max = max((num(r, "S1_CurrentFeedback") or 0.0) for r in rows) or 1.0
            program = ("exp%s %s" % (number, conditions.get(int(number), ""))).strip()
            for r in rows:
                process = r.get("Machining_Process", "")
                if process.startswith("Layer"):
                    cutting_s += 0.1
                sp = num(r, "S1_OutputPower") or 0.0
                servo = (num(r, "X1_OutputPower") or 0.0) + (num(r, "Y1_OutputPower") or 0.0)
                rpm = (num(r, "S1_ActualVelocity") or 0.0) * args.rpm_scale
                load = max(0.0, min(100.0, 100.0 * (num(r, "S1_CurrentFeedback") or 0.0) / cur_max))
                msg = {
                    "timestamp": iso(t_ms),
                    "machine_id": args.machine_id,
                    "spindle": {"rpm": round(max(rpm, 0.0), 2), "load_percent": round(load, 2)},
                    "axes": {
                        "x": {"position_mm": num(r, "X1_ActualPosition")},
                        "y": {"position_mm": num(r, "Y1_ActualPosition")},
                        "z": {"position_mm": num(r, "Z1_ActualPosition")},
                    },
                    "tool": {"runtime_minutes": round(cutting_s / 60.0, 3)},
                    "power": {
                        "total_kw": round(sp + servo, 5),
                        "spindle_kw": round(sp, 5),
                        "servo_kw": round(servo, 5),
                    },
                    "status": {"mode": process[:15], "program": program[:15]},
                }
                yield json.dumps(msg, separators=(",", ":"))
                t_ms += 100
        if not args.loop:
            return


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", default="mqtt://127.0.0.1:1883", help="broker (mqtt://host:port)")
    p.add_argument("--machine-id", default="CNC-001")
    p.add_argument("--topic-prefix", default="dt")
    p.add_argument("--type", default="cnc-machining-centre", help="topic type level")
    p.add_argument("--experiments", default="01,02,06,08", help="comma-separated numbers")
    p.add_argument("--data", default=DEFAULT_DATA, help="the cnc_mill folder")
    p.add_argument("--speed", type=float, default=1.0, help="replay speed; 0 = as fast as possible")
    p.add_argument("--start", help="plant time of the first row (ISO 8601, default now)")
    p.add_argument("--rpm-scale", type=float, default=60.0)
    p.add_argument("--qos", type=int, default=1, choices=(0, 1))
    p.add_argument("--loop", action="store_true", help="start over after the last experiment")
    p.add_argument("--stdout", action="store_true", help="print the payloads instead")
    args = p.parse_args(argv)
    args.experiments = [e.strip().zfill(2) for e in args.experiments.split(",") if e.strip()]
    for e in args.experiments:
        if not os.path.exists(os.path.join(args.data, "experiment_%s.csv" % e)):
            p.error("no experiment_%s.csv in %s" % (e, args.data))
    if args.start:
        t = datetime.datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        args.start_ms = int(t.timestamp() * 1000)
    else:
        args.start_ms = int(time.time() * 1000)
    conditions = tool_conditions(args.data)

    if args.stdout:
        out = sys.stdout
        proc = None
    else:
        u = urlparse(args.url)
        if u.scheme not in ("mqtt", "mqtts") or not u.hostname:
            p.error("--url must be mqtt://host:port or mqtts://host:port")
        port = u.port or (8883 if u.scheme == "mqtts" else 1883)
        topic = "%s/%s/%s/telemetry" % (args.topic_prefix, args.type, args.machine_id)
        cmd = ["mosquitto_pub", "-h", u.hostname, "-p", str(port), "-q", str(args.qos),
               "-t", topic, "-l"] + extra
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, text=True)
        out = proc.stdin
    sent = 0
    t0 = time.monotonic()
    try:
        for line in payloads(args, conditions):
            if args.speed > 0:
                due = t0 + sent * 0.1 / args.speed
                delay = due - time.monotonic()
                if delay > 0:
                    out.flush()
                    time.sleep(delay)
            out.write(line + "\n")
            sent += 1
        out.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    if proc:
        # mosquitto_pub -l drops what is still unacknowledged when its input ends: linger.
        time.sleep(1.0)
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        proc.wait()
    print("cnc_feed: %d messages" % sent, file=sys.stderr)
    return 0 if proc is None or proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
