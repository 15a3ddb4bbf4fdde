"""Search and plates through the official Python SDK (futu-api or moomoo-api) against `capflow sim`.

Usage: sdk_search.py MODULE HOST PORT OUTDIR KEYWORD...

Writes, each the DataFrame's to_csv(index=False) as UTF-8:
  OUTDIR/SEARCH_<i>.csv     get_search_quote(KEYWORD_i, max_count=10), one per keyword
  OUTDIR/PLATE_LIST.csv     get_plate_list("HK", "INDUSTRY")
  OUTDIR/PLATE_STOCK.csv    get_plate_stock("HK.BK1910")
  OUTDIR/BASICINFO.csv      get_stock_basicinfo("HK", "STOCK")
Exits non-zero with a message on the first failure; always closes the context.
"""

import importlib
import os
import sys


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    raise SystemExit(1)


def write(out_dir, name, ret_df, what):
    ret, df = ret_df
    if ret != 0:
        fail("%s: %s" % (what, df))
    with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="") as f:
        f.write(df.to_csv(index=False))


def main():
    module, host, port, out_dir = sys.argv[1:5]
    keywords = sys.argv[5:]
    sdk = importlib.import_module(module)
    ctx = sdk.OpenQuoteContext(host=host, port=int(port))
    try:
        for i, k in enumerate(keywords):
            write(out_dir, "SEARCH_%d.csv" % i, ctx.get_search_quote(k, max_count=10), "search " + k)
        write(out_dir, "PLATE_LIST.csv", ctx.get_plate_list("HK", "INDUSTRY"), "get_plate_list")
        write(out_dir, "PLATE_STOCK.csv", ctx.get_plate_stock("HK.BK1910"), "get_plate_stock")
        write(
            out_dir,
            "BASICINFO.csv",
            ctx.get_stock_basicinfo("HK", "STOCK"),
            "get_stock_basicinfo",
        )
    finally:
        ctx.close()


if __name__ == "__main__":
    main()
