#!/usr/bin/env python3
"""Turns the benchmark's raw measurements into a table, a JSON file and an SVG chart.

Input (bench/run.sh writes it): one tab-separated line per measurement, "<round> <contender>
<transport> <value> <unit>", with units "us/request", "ns/call" or "requests/s". Per contender and transport: the median and the spread (min-max over rounds) and,
for request latencies, the ratio of the median to the floor (raw socket) and to libcurl reusing its
handle, measured in the same run.

    report.py <measurements> <results.json> <chart.svg> <title line>
"""
import json
import math
import statistics
import sys
from collections import OrderedDict

FLOOR = "C raw socket (floor)"
CURL_REUSE = "C libcurl, handle reused"


def load(path):
    series = OrderedDict()
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            contender, transport, value, unit = parts[1], parts[2], float(parts[3]), parts[4]
            series.setdefault((contender, transport, unit), []).append(value)
    return series


def summarise(series):
    rows = []
    for (contender, transport, unit), values in series.items():
        rows.append({
            "contender": contender,
            "transport": transport,
            "unit": unit,
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "rounds": len(values),
        })
    medians = {(r["contender"], r["transport"]): r["median"] for r in rows if r["unit"] == "us/request"}
    for r in rows:
        if r["unit"] != "us/request":
            continue
        floor = medians.get((FLOOR, r["transport"]))
        curl = medians.get((CURL_REUSE, r["transport"]))
        r["vs_floor"] = r["median"] / floor if floor else None
        r["vs_curl_reuse"] = r["median"] / curl if curl else None
    return rows


def fmt(value):
    if value >= 100:
        return "%.0f" % value
    if value >= 10:
        return "%.1f" % value
    return "%.2f" % value


def table(rows):
    lines = ["%-46s %-6s %14s %19s %8s %8s" % ("contender", "", "median", "spread (min-max)", "x floor", "x curl")]
    for r in rows:
        ratio = lambda k: ("%.2f" % r[k]) if r.get(k) else "-"
        lines.append("%-46s %-6s %14s %19s %8s %8s" % (
            r["contender"], r["transport"], fmt(r["median"]) + " " + r["unit"].split("/")[0],
            "%s-%s" % (fmt(r["min"]), fmt(r["max"])), ratio("vs_floor"), ratio("vs_curl_reuse")))
    return "\n".join(lines)


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chart(rows, title):
    """Horizontal bars of the median microseconds per request, log scale, HTTP and HTTPS side by side,
    with the min-max spread as a line."""
    latency = [r for r in rows if r["unit"] == "us/request"]
    contenders = list(OrderedDict.fromkeys(r["contender"] for r in latency))
    by_key = {(r["contender"], r["transport"]): r for r in latency}
    # From the power of ten below the fastest, so that the differences that matter stay visible.
    low = 10 ** math.floor(math.log10(min(r["min"] for r in latency)))
    high = max(r["max"] for r in latency) * 1.5
    label_width, plot_width, bar, gap, top = 330, 520, 11, 8, 58
    height = top + len(contenders) * (2 * bar + gap) + 50

    def x(v):
        return label_width + plot_width * (math.log10(max(v, low)) - math.log10(low)) / (math.log10(high) - math.log10(low))

    colours = {"http": "#4c78a8", "https": "#f58518"}
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">'
           % (label_width + plot_width + 80, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="15" font-weight="bold">Microseconds per token request '
           '(median of rounds, log scale; lower is better)</text>',
           '<text x="10" y="38" fill="#555" font-size="10">%s</text>' % escape(title)]
    for tick in [1, 10, 100, 1000, 10000, 100000]:
        if tick < low:
            continue
        if tick > high:
            break
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x(tick), top - 6, x(tick), height - 40))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>' % (x(tick), height - 25, "{:,}".format(tick)))
    y = top
    for name in contenders:
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (label_width - 8, y + bar + 4, escape(name)))
        for i, transport in enumerate(["http", "https"]):
            r = by_key.get((name, transport))
            if r:
                yy = y + i * bar
                out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                           % (label_width, yy, x(r["median"]) - label_width, bar - 1, colours[transport]))
                out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/>'
                           % (x(r["min"]), yy + bar // 2, x(r["max"]), yy + bar // 2))
                out.append('<text x="%.1f" y="%d" font-size="10">%s</text>' % (x(r["max"]) + 4, yy + bar - 2, fmt(r["median"])))
        y += 2 * bar + gap
    out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">HTTP</text>'
               % (label_width, height - 15, colours["http"], label_width + 14, height - 6))
    out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">HTTPS</text>'
               % (label_width + 70, height - 15, colours["https"], label_width + 84, height - 6))
    out.append("</svg>")
    return "\n".join(out)


def main():
    measurements, json_path, svg_path, title = sys.argv[1:5]
    rows = summarise(load(measurements))
    print(table(rows))
    with open(json_path, "w") as f:
        json.dump({"title": title, "results": rows}, f, indent=1)
    with open(svg_path, "w") as f:
        f.write(chart(rows, title))


if __name__ == "__main__":
    main()
