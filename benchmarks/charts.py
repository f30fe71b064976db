#!/usr/bin/env python3
"""Draws the headline charts at the top of BENCHMARKS.md from the raw results in benchmarks/results/.

Run from anywhere, with Python 3 and nothing else:  python3 benchmarks/charts.py
It writes plain SVG (no scripts, no external fonts) to benchmarks/charts/, which GitHub renders.

Inputs are the lists below. Within a list, a later file wins over an earlier one for the same benchmark
and parameters: to chart a new run, append its file and run the script again.
  - JMH JSON (-rf json): heartbeat and fanout times.
  - Summary lines the benchmarks print at the end of a trial (MEMORY ..., TYPING ...), kept in text files
    next to the JSON: bytes per user and typing events per burst, which JMH does not record.
"""

import json
import math
import os
import re
import statistics
from xml.sax.saxutils import escape

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "charts")

# Heartbeat: run.json has the seed and the floor; heartbeat-after-coarse-clock.json has ours after 32cc151;
# final-heartbeat.json is the closing run of issue 11 (ours, the seed and the floor in one invocation).
# r7-final-heartbeat.json: issue 11's seventh round on the final main, the heap pretouched, two forks.
HEARTBEAT_JSON = ["run.json", "heartbeat-after-coarse-clock.json", "final-heartbeat.json", "r7-final-heartbeat.json"]
# Fanout: subscriptions-run.json has ours and the seed at M = 10, 1,000 and 100,000 watchers.
# final-fanout.json: the closing run of issue 11, every mode and the seed at every M in one invocation.
# fanout6-final.json: issue 11's sixth round (aligned windows, fanout once per window), with the seed.
# r7-final-fanout10.json, r7-final-fanout.json: the seventh round on the final main, heap pretouched
# (M = 10 with two forks).
FANOUT_JSON = [
    "subscriptions-run.json", "final-fanout.json", "fanout6-after-r2.json", "fanout6-final.json",
    "r7-final-fanout10.json", "r7-final-fanout.json",
]
# MEMORY lines: heap after full GCs per connected user, 1M devices (MemoryBenchmark).
# final-issue11-summary.txt: presence after issue 11 (the seed and Caffeine did not change: run-summary.txt).
# memory5-after4-summary.txt: presence after issue 11's fifth round (the compact records, session and entry).
MEMORY_SUMMARIES = ["run-summary.txt", "final-issue11-summary.txt", "memory5-after4-summary.txt"]
# TYPING lines: events each receiver gets per 20 s burst (TypingBenchmark).
TYPING_SUMMARIES = ["subscriptions-run-summary.txt", "final-issue11-summary.txt"]

OURS, SEED, FLOOR, OTHER = "#2f6fb0", "#c8553d", "#7a7a7a", "#8fb8de"
FONT = "font-family='Helvetica, Arial, sans-serif'"


# ---- reading

def jmh_scores(files):
    """{(benchmark method, frozenset(params)): (score, unit)}; later files win."""
    scores = {}
    for name in files:
        with open(os.path.join(RESULTS, name)) as f:
            for row in json.load(f):
                method = ".".join(row["benchmark"].split(".")[-2:])
                key = (method, frozenset((row.get("params") or {}).items()))
                scores[key] = (row["primaryMetric"]["score"], row["primaryMetric"]["scoreUnit"])
    return scores


def score(scores, method, **params):
    key = (method, frozenset((k, str(v)) for k, v in params.items()))
    if key not in scores:
        raise SystemExit(f"no result for {method} {params} in the inputs")
    value, unit = scores[key]
    to_ns = {"ns/op": 1, "us/op": 1e3, "ms/op": 1e6, "s/op": 1e9}[unit]
    return value * to_ns


def summary_lines(files, kind):
    """Each 'KIND k=v ...' line as a dict; for the same parameters a later file replaces an earlier one."""
    by_file = []
    for name in files:
        rows = []
        with open(os.path.join(RESULTS, name)) as f:
            for line in f:
                if line.startswith(kind + " "):
                    rows.append(dict(re.findall(r"(\w+)=([^\s()]+)", line)))
        by_file.append(rows)
    merged = {}
    for rows in by_file:
        fresh = {}
        for r in rows:
            fresh.setdefault(param_key(r), []).append(r)
        merged.update(fresh)
    return merged


def param_key(row):
    return tuple(sorted((k, v) for k, v in row.items() if k in ("impl", "devices", "devicesPerUser", "receivers")))


def median_of(merged, field, **params):
    want = {k: str(v) for k, v in params.items()}
    values = [float(r[field].rstrip("%")) for key, rows in merged.items() if want.items() <= dict(key).items() for r in rows]
    if not values:
        raise SystemExit(f"no summary line with {params}")
    return statistics.median(values)


# ---- drawing

def tick(v, unit):
    """A round axis label: 1 ns, 100 ns, 10 µs."""
    if unit == "ns":
        for div, name in ((1e6, "ms"), (1e3, "µs"), (1, "ns")):
            if v >= div:
                return f"{v / div:g} {name}"
    return fmt(v, unit)


def fmt(v, unit):
    if unit == "ns":
        if v >= 1e6:
            return f"{v / 1e6:,.1f} ms"
        if v >= 1e3:
            return f"{v / 1e3:,.2f} µs"
        return f"{v:,.1f} ns" if v < 100 else f"{v:,.0f} ns"
    if unit == "B":
        return f"{v:,.0f} B"
    if unit == "%":
        return f"{v:.0f} %"
    return f"{v:g}"


class Svg:
    def __init__(self, width, height, title, subtitle):
        self.w, self.h = width, height
        self.parts = [
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' {FONT}>",
            f"<rect width='{width}' height='{height}' fill='white'/>",
            f"<text x='16' y='24' font-size='16' font-weight='bold'>{escape(title)}</text>",
            f"<text x='16' y='42' font-size='12' fill='#555'>{escape(subtitle)}</text>",
        ]

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, anchor="start", fill="#222", weight="normal"):
        self.add(f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' fill='{fill}' font-weight='{weight}'>{escape(s)}</text>")

    def legend(self, items, y):
        x = 16
        for label, colour in items:
            self.add(f"<rect x='{x}' y='{y - 10}' width='12' height='12' fill='{colour}'/>")
            self.text(x + 16, y, label)
            x += 24 + 7 * len(label)

    def save(self, name):
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            f.write("\n".join(self.parts + ["</svg>"]) + "\n")
        print("wrote", os.path.relpath(os.path.join(OUT, name)))


def bar_chart(name, title, subtitle, groups, unit, log, legend, target=None):
    """groups: [(group label, [(bar label, value, colour)])]; horizontal bars, one row per bar."""
    rows = sum(len(bars) for _, bars in groups) + len(groups)  # a heading row per group
    left, right, top = 250, 100, 78
    row_h, gap = 20, 8
    height = top + rows * row_h + len(groups) * gap + 40
    width = 760
    svg = Svg(width, height, title, subtitle)
    svg.legend(legend, 62)
    values = [v for _, bars in groups for _, v, _ in bars] + ([target[0]] if target else [])
    plot_w = width - left - right
    if log:
        lo = 10 ** math.floor(math.log10(min(values)))
        hi = 10 ** math.ceil(math.log10(max(values)))
        scale = lambda v: plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        ticks = [10 ** e for e in range(int(math.log10(lo)), int(math.log10(hi)) + 1)]
    else:
        hi = max(values) * 1.1
        scale = lambda v: plot_w * v / hi
        step = 10 ** math.floor(math.log10(hi))
        step = step / 2 if hi / step < 4 else step
        ticks = [i * step for i in range(int(hi / step) + 1)]
    bottom = height - 30
    for t in ticks:
        x = left + scale(t) if (not log or t > 0) else left
        svg.add(f"<line x1='{x:.1f}' y1='{top - 6}' x2='{x:.1f}' y2='{bottom}' stroke='#e3e3e3'/>")
        svg.text(x, bottom + 14, tick(t, unit), size=10, anchor="middle", fill="#666")
    y = top
    for group, bars in groups:
        svg.text(16, y + 14, group, weight="bold")
        y += row_h
        for label, value, colour in bars:
            w = max(scale(value), 1)
            svg.text(left - 8, y + 14, label, anchor="end", size=11)
            svg.add(f"<rect x='{left}' y='{y + 3}' width='{w:.1f}' height='{row_h - 6}' fill='{colour}'/>")
            svg.text(left + w + 6, y + 14, fmt(value, unit), size=11)
            y += row_h
        y += gap
    if target:
        x = left + scale(target[0])
        svg.add(f"<line x1='{x:.1f}' y1='{top - 6}' x2='{x:.1f}' y2='{bottom}' stroke='#2a9d4b' stroke-width='2' stroke-dasharray='5,4'/>")
        svg.text(x + 4, top - 8, target[1], size=11, fill="#2a9d4b")
    svg.add(f"<line x1='{left}' y1='{top - 6}' x2='{left}' y2='{bottom}' stroke='#999'/>")
    svg.save(name)


def line_chart(name, title, subtitle, xs, series, unit, target, x_label):
    """series: [(label, [y per x], colour, dashed)]; both axes logarithmic."""
    width, height, left, right, top, bottom = 760, 360, 80, 200, 70, 300
    svg = Svg(width, height, title, subtitle)
    values = [v for _, ys, _, _ in series for v in ys] + [target[0]]
    lo, hi = 10 ** math.floor(math.log10(min(values))), 10 ** math.ceil(math.log10(max(values)))
    ly = lambda v: bottom - (bottom - top) * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    lx = lambda i: left + (width - left - right) * i / (len(xs) - 1)
    for e in range(int(math.log10(lo)), int(math.log10(hi)) + 1):
        y = ly(10 ** e)
        svg.add(f"<line x1='{left}' y1='{y:.1f}' x2='{width - right}' y2='{y:.1f}' stroke='#e3e3e3'/>")
        svg.text(left - 6, y + 4, tick(10 ** e, unit), size=10, anchor="end", fill="#666")
    for i, x in enumerate(xs):
        svg.add(f"<line x1='{lx(i):.1f}' y1='{top}' x2='{lx(i):.1f}' y2='{bottom}' stroke='#eeeeee'/>")
        svg.text(lx(i), bottom + 16, f"M = {x:,}", size=11, anchor="middle")
    svg.text((left + width - right) / 2, bottom + 34, x_label, size=11, anchor="middle", fill="#555")
    ty = ly(target[0])
    svg.add(f"<line x1='{left}' y1='{ty:.1f}' x2='{width - right}' y2='{ty:.1f}' stroke='#2a9d4b' stroke-width='2' stroke-dasharray='5,4'/>")
    svg.text(width - right + 6, ty + 4, target[1], size=11, fill="#2a9d4b")
    label_y = {}
    for label, ys, _, _ in sorted(series, key=lambda s: ly(s[1][-1])):
        y = ly(ys[-1]) + 4
        label_y[label] = max(y, max(label_y.values(), default=-1e9) + 14)  # no two end labels overlap
    for label, ys, colour, dashed in series:
        points = " ".join(f"{lx(i):.1f},{ly(v):.1f}" for i, v in enumerate(ys))
        dash = " stroke-dasharray='6,4'" if dashed else ""
        svg.add(f"<polyline points='{points}' fill='none' stroke='{colour}' stroke-width='2.5'{dash}/>")
        for i, v in enumerate(ys):
            svg.add(f"<circle cx='{lx(i):.1f}' cy='{ly(v):.1f}' r='3.5' fill='{colour}'/>")
        svg.text(width - right + 6, label_y[label], f"{label}: {fmt(ys[-1], unit)}", size=11, fill=colour)
    svg.add(f"<line x1='{left}' y1='{top}' x2='{left}' y2='{bottom}' stroke='#999'/>")
    svg.save(name)


# ---- the charts

def heartbeat():
    s = jmh_scores(HEARTBEAT_JSON)
    groups = []
    for devices, label in ((10000, "10k devices"), (1000000, "1M devices")):
        hb = lambda impl: score(s, "HeartbeatBenchmark.heartbeat", devices=devices, impl=impl)
        groups.append((label, [
            ("presence, via its handle", hb("presence-handle"), OURS),
            ("presence, by user and device id", hb("presence-id"), OTHER),
            ("seed (map write + timestamp)", hb("seed"), SEED),
            ("floor (CHM get + volatile write)", hb("floor"), FLOOR),
        ]))
    bar_chart("heartbeat.svg", "Heartbeat: time per heartbeat (lower is better, log scale)",
              "JMH average; 0 store writes and 0 B allocated for presence; inputs: " + ", ".join(HEARTBEAT_JSON),
              groups, "ns", True, [("presence", OURS), ("presence by id", OTHER), ("seed", SEED), ("floor", FLOOR)])


def fanout():
    s = jmh_scores(FANOUT_JSON)
    ms = [10, 1000, 100000]
    per = lambda impl: [score(s, "FanoutBenchmark.change", impl=impl, subscribers=m) / m for m in ms]
    line_chart("fanout.svg", "Fanout: time per recipient of one change (lower is better, log scales)",
               "M watchers among 11×M + 1 connected; JMH average per change ÷ M; inputs: " + ", ".join(FANOUT_JSON),
               ms, [
                   ("presence, routing", per("presence-offer"), OURS, False),
                   ("presence, full path", per("presence-immediate"), OTHER, False),
                   ("presence, via flush timer", per("presence-flush"), "#6a51a3", True),
                   ("seed, per watcher", per("seed"), SEED, False),
               ], "ns", (10, "target 10 ns"), "watchers of the changing user (the seed broadcasts to all)")


def memory():
    m = summary_lines(MEMORY_SUMMARIES, "MEMORY")
    groups = []
    for per_user, label in ((1, "1 device per user"), (2, "2 devices per user")):
        b = lambda impl: median_of(m, "bytesPerUser", impl=impl, devices=1000000, devicesPerUser=per_user)
        groups.append((label, [
            ("presence", b("presence"), OURS),
            ("seed", b("seed"), SEED),
            ("floor (Caffeine expireAfter)", b("caffeine"), FLOOR),
        ]))
    bar_chart("memory.svg", "Memory per connected user, 1M devices (lower is better)",
              "Heap after full GCs, ids excluded, median of the measurements; MEMORY lines of " + ", ".join(MEMORY_SUMMARIES),
              groups, "B", False, [("presence", OURS), ("seed", SEED), ("floor", FLOOR)], target=(160, "target ≤ 160 B with one device"))


def typing():
    t = summary_lines(TYPING_SUMMARIES, "TYPING")
    ev = lambda impl: median_of(t, "eventsPerReceiverPerBurst", impl=impl, receivers=1000)
    shown = lambda impl: median_of(t, "indicatorShown", impl=impl, receivers=1000)
    bar_chart("typing.svg", "Typing: events per receiver for one 20 s burst of 134 keystrokes",
              "1,000 receivers; median over the trial; TYPING lines of " + ", ".join(TYPING_SUMMARIES),
              [("presence: start, a refresh when the expiry would lapse, stop", [
                  (f"indicator shown {shown('presence'):.0f} % of the burst", ev("presence"), OURS)]),
               ("seed: start, stop (client debounce)", [
                  (f"indicator shown {shown('seed'):.0f} % of the burst", ev("seed"), SEED)])],
              "", False, [("presence", OURS), ("seed", SEED)])

if __name__ == "__main__":
    heartbeat()
    fanout()
    memory()
    typing()
