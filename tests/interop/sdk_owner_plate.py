"""get_owner_plate through the official Python SDK (futu-api or moomoo-api) against `capflow sim`.

Usage: sdk_owner_plate.py MODULE HOST PORT OUTFILE CODE...

Writes get_owner_plate([CODE...])'s DataFrame as to_csv(index=False), UTF-8, to OUTFILE.
Exits non-zero with a message on failure; always closes the context.
"""

import importlib
import sys


def main():
    module, host, port, out_file = sys.argv[1:5]
    codes = sys.argv[5:]
    sdk = importlib.import_module(module)
    ctx = sdk.OpenQuoteContext(host=host, port=int(port))
    try:
        ret, df = ctx.get_owner_plate(codes)
        if ret != 0:
            print("FAIL: get_owner_plate: %s" % df, file=sys.stderr, flush=True)
            raise SystemExit(1)
        with open(out_file, "w", encoding="utf-8", newline="") as f:
            f.write(df.to_csv(index=False))
    finally:
        ctx.close()


if __name__ == "__main__":
    main()
