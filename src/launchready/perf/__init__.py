"""The latency engine behind PERF001–PERF004.

``wire`` is a lean HTTP/1.1 keep-alive client, ``histogram`` a constant-memory latency
histogram with a declared precision, ``load`` the closed and open load models, ``baseline`` the
CI baseline file and its noise-aware comparison, ``chart`` an inline SVG percentile chart.
"""
