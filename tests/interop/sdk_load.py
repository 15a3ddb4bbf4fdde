"""Load `capflow serve` as several SDK scripts would: CLIENTS OpenQuoteContexts (one connection
each, one thread each) ask get_capital_flow (INTRADAY) for every code once a second, for SECONDS
seconds.

Usage: sdk_load.py MODULE HOST PORT CLIENTS SECONDS OUTFILE CODE...

Writes OUTFILE, one JSON object (the SDK logs to stdout itself): calls, ok (RET_OK with rows),
the first failures and the slowest call in seconds. Exits 1 if any call failed. Always closes the contexts: the SDK's threads are not
daemons.
"""

import importlib
import json
import sys
import threading
import time


def worker(sdk, ctx, codes, start, seconds, results, index):
    calls = ok = 0
    failures = []
    slowest = 0.0
    for second in range(seconds):
        delay = start + second - time.time()
        if delay > 0:
            time.sleep(delay)
        for code in codes:
            t = time.time()
            ret, df = ctx.get_capital_flow(code)
            slowest = max(slowest, time.time() - t)
            calls += 1
            if ret == sdk.RET_OK and len(df) > 0:
                ok += 1
            elif len(failures) < 10:
                failures.append("client %d %s: %r" % (index, code, df))
    results[index] = (calls, ok, failures, slowest)


def main():
    if len(sys.argv) < 8:
        print("usage: MODULE HOST PORT CLIENTS SECONDS OUTFILE CODE...", file=sys.stderr)
        raise SystemExit(2)
    module, host, port, clients, seconds, outfile = sys.argv[1:7]
    codes = sys.argv[7:]
    sdk = importlib.import_module(module)
    contexts = [sdk.OpenQuoteContext(host=host, port=int(port)) for _ in range(int(clients))]
    results = [None] * len(contexts)
    try:
        start = time.time() + 1
        threads = [
            threading.Thread(
                target=worker, args=(sdk, ctx, codes, start, int(seconds), results, i)
            )
            for i, ctx in enumerate(contexts)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for ctx in contexts:
            ctx.close()
    calls = sum(r[0] for r in results)
    ok = sum(r[1] for r in results)
    failures = [f for r in results for f in r[2]][:10]
    slowest = max(r[3] for r in results)
    with open(outfile, "w") as f:
        json.dump({"calls": calls, "ok": ok, "failures": failures, "slowest": slowest}, f)
    if ok != calls:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
