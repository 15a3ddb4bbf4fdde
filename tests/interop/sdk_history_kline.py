"""request_history_kline and get_history_kl_quota through the official Python SDK (futu-api or
moomoo-api) against `capflow sim`.

Usage: sdk_history_kline.py MODULE HOST PORT OUTDIR CODE DAY_START DAY_END MIN_START MIN_END

Writes to OUTDIR, as to_csv(index=False), UTF-8:
  kline_day.csv  request_history_kline(CODE, DAY_START, DAY_END, ktype=K_DAY, max_count=None)
  kline_1m.csv   request_history_kline(CODE, MIN_START, MIN_END, ktype=K_1M, max_count=None)
and quota.txt: "USED,REMAIN" from get_history_kl_quota() after both.
max_count=None makes the SDK follow every nextReqKey itself, as capflow does.
Exits non-zero with a message on failure; always closes the context.
"""

import importlib
import os
import sys


def main():
    module, host, port, out_dir, code, d0, d1, m0, m1 = sys.argv[1:10]
    sdk = importlib.import_module(module)
    ctx = sdk.OpenQuoteContext(host=host, port=int(port))
    try:
        for name, ktype, start, end in (
            ("kline_day.csv", sdk.KLType.K_DAY, d0, d1),
            ("kline_1m.csv", sdk.KLType.K_1M, m0, m1),
        ):
            ret, df, key = ctx.request_history_kline(
                code, start=start, end=end, ktype=ktype, max_count=None
            )
            if ret != 0:
                print("FAIL: request_history_kline %s: %s" % (ktype, df), file=sys.stderr, flush=True)
                raise SystemExit(1)
            with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="") as f:
                f.write(df.to_csv(index=False))
        ret, q = ctx.get_history_kl_quota()
        if ret != 0:
            print("FAIL: get_history_kl_quota: %s" % (q,), file=sys.stderr, flush=True)
            raise SystemExit(1)
        with open(os.path.join(out_dir, "quota.txt"), "w", encoding="utf-8") as f:
            f.write("%d,%d" % (q[0], q[1]))
    finally:
        ctx.close()


if __name__ == "__main__":
    main()
