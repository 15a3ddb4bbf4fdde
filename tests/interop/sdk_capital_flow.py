"""Drive `capflow sim` with the official Python SDK (futu-api or moomoo-api).

Usage: sdk_capital_flow.py MODULE HOST PORT OUTDIR START END [--encrypt KEYFILE]

With --encrypt, protocol encryption is turned on (SysConfig.enable_proto_encrypt(True) and
SysConfig.set_init_rsa_file(KEYFILE)) before the context is created; SysConfig is process-global,
so run one process per mode.

Writes OUTDIR/<PERIOD>.csv (the get_capital_flow DataFrame, to_csv(index=False)) for INTRADAY,
DAY, WEEK and MONTH, OUTDIR/DISTRIBUTION.csv (get_capital_distribution's) and OUTDIR/SNAPSHOT.csv
(get_market_snapshot's price, volume and turnover columns for SNAPSHOT_CODES), checks the columns
and the 'N/A' rules, and exercises the other calls capflow uses. Exits non-zero with a message on the first failure. Always closes the context:
the SDK's threads are not daemons.
"""

import importlib
import os
import sys

# The codes and columns of SNAPSHOT.csv; tests/interop_python.rs writes the same from the model.
SNAPSHOT_CODES = ["HK.00700", "US.AAPL", "SH.600519", "SZ.300750", "HK.18001"]
SNAPSHOT_COLUMNS = [
    "code",
    "last_price",
    "prev_close_price",
    "open_price",
    "high_price",
    "low_price",
    "volume",
    "turnover",
    "price_spread",
    "lot_size",
]

COLUMNS = [
    "last_valid_time",
    "in_flow",
    "super_in_flow",
    "big_in_flow",
    "mid_in_flow",
    "sml_in_flow",
    "main_in_flow",
    "capital_flow_item_time",
]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def main():
    args = sys.argv[1:]
    keyfile = None
    if "--encrypt" in args:
        i = args.index("--encrypt")
        check(i + 1 < len(args), "--encrypt needs a key file")
        keyfile = args[i + 1]
        del args[i : i + 2]
    check(len(args) == 6, "usage: MODULE HOST PORT OUTDIR START END [--encrypt KEYFILE]")
    module, host, port, outdir, start, end = args
    sdk = importlib.import_module(module)
    if keyfile is not None:
        sdk.SysConfig.enable_proto_encrypt(True)
        sdk.SysConfig.set_init_rsa_file(keyfile)
    ctx = sdk.OpenQuoteContext(host=host, port=int(port))
    try:
        run(sdk, ctx, outdir, start, end)
    finally:
        ctx.close()
    print("OK " + module, flush=True)


def run(sdk, ctx, outdir, start, end):
    code = "HK.00700"
    for period in ["INTRADAY", "DAY", "WEEK", "MONTH"]:
        if period == "INTRADAY":
            ret, df = ctx.get_capital_flow(code, period_type=sdk.PeriodType.INTRADAY)
        else:
            ret, df = ctx.get_capital_flow(
                code, period_type=getattr(sdk.PeriodType, period), start=start, end=end
            )
        check(ret == sdk.RET_OK, "get_capital_flow %s: %r" % (period, df))
        check(list(df.columns) == COLUMNS, "%s columns: %r" % (period, list(df.columns)))
        check(len(df) > 0, period + ": no rows")
        if period == "INTRADAY":
            check((df["main_in_flow"] == "N/A").all(), "intraday main_in_flow must be 'N/A'")
            check((df["last_valid_time"] != "N/A").all(), "intraday needs last_valid_time")
        else:
            check((df["last_valid_time"] == "N/A").all(), period + ": last_valid_time must be 'N/A'")
            check(
                (df["main_in_flow"] == df["super_in_flow"] + df["big_in_flow"]).all(),
                period + ": main != super + big",
            )
        total = df["super_in_flow"] + df["big_in_flow"] + df["mid_in_flow"] + df["sml_in_flow"]
        check((df["in_flow"] == total).all(), period + ": in_flow != sum of sizes")
        df.to_csv(os.path.join(outdir, period + ".csv"), index=False)

    ret, df = ctx.get_capital_distribution(code)
    check(ret == sdk.RET_OK, "get_capital_distribution: %r" % (df,))
    check(len(df) == 1 and df["capital_in_big"][0] >= 0, "distribution: %r" % (df,))
    df.to_csv(os.path.join(outdir, "DISTRIBUTION.csv"), index=False)

    ret, df = ctx.get_stock_basicinfo(sdk.Market.HK, sdk.SecurityType.STOCK, [code])
    check(ret == sdk.RET_OK, "get_stock_basicinfo: %r" % (df,))
    check(df["name"][0] == "TENCENT" and df["lot_size"][0] == 100, "basicinfo: %r" % (df,))

    ret, df = ctx.get_market_snapshot(SNAPSHOT_CODES)
    check(ret == sdk.RET_OK, "get_market_snapshot: %r" % (df,))
    check(list(df["code"]) == SNAPSHOT_CODES, "snapshot codes: %r" % (df,))
    check((df["low_price"] <= df["last_price"]).all(), "snapshot low > last: %r" % (df,))
    check((df["last_price"] <= df["high_price"]).all(), "snapshot last > high: %r" % (df,))
    check((df["volume"] % df["lot_size"] == 0).all(), "snapshot volume in lots: %r" % (df,))
    df[SNAPSHOT_COLUMNS].to_csv(os.path.join(outdir, "SNAPSHOT.csv"), index=False)

    ret, df = ctx.get_user_security_group()
    check(ret == sdk.RET_OK, "get_user_security_group: %r" % (df,))
    check("Tech" in list(df["group_name"]), "groups: %r" % (df,))

    ret, df = ctx.get_user_security("Tech")
    check(ret == sdk.RET_OK, "get_user_security: %r" % (df,))
    check(code in list(df["code"]), "user security: %r" % (df,))

    ret, state = ctx.get_global_state()
    check(ret == sdk.RET_OK, "get_global_state: %r" % (state,))
    check(state["market_hk"] == "MORNING", "global state: %r" % (state,))
    # The simulator's hint (capflow doctor reads it): the SDK shows it as program_status_desc.
    check(str(state.get("program_status_desc")).startswith("capflow sim"), "global state: %r" % (state,))

    ret, msg = ctx.get_capital_flow("HK.800000")
    check(ret != sdk.RET_OK and "only available" in msg, "index must be refused: %r" % (msg,))


if __name__ == "__main__":
    main()
