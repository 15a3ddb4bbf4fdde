"""The official SDK's own protobuf classes decode what capflow sends, and capflow reads what
they encode.

A tiny OpenD stand-in built only from the SDK package (`futu` or `moomoo`): it parses each
packet header, checks SHA-1, decodes capflow's requests with the SDK's *_pb2 Request classes,
asserts their fields, and answers with Response objects built from the same classes. Then it
checks `capflow fetch --format csv` printed exactly those values.

Usage: python sdk_decodes_capflow.py CAPFLOW_BINARY [futu|moomoo]
"""
import hashlib
import importlib
import socket
import struct
import subprocess
import sys
import threading

CAPFLOW = sys.argv[1]
PKG = sys.argv[2] if len(sys.argv) > 2 else "futu"
pb = importlib.import_module(PKG + ".common.pb")
InitConnect_pb2 = importlib.import_module(PKG + ".common.pb.InitConnect_pb2")
KeepAlive_pb2 = importlib.import_module(PKG + ".common.pb.KeepAlive_pb2")
Qot_GetCapitalFlow_pb2 = importlib.import_module(PKG + ".common.pb.Qot_GetCapitalFlow_pb2")
Qot_GetStaticInfo_pb2 = importlib.import_module(PKG + ".common.pb.Qot_GetStaticInfo_pb2")

HEADER = struct.Struct("<1s1sI2B2I20s8s")
seen = []
errors = []


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def send(sock, proto, serial, msg):
    body = msg.SerializeToString()
    head = HEADER.pack(b"F", b"T", proto, 0, 0, serial, len(body), hashlib.sha1(body).digest(), b"\0" * 8)
    sock.sendall(head + body)


def item(t, vals, main=None):
    it = Qot_GetCapitalFlow_pb2.CapitalFlowItem()
    it.inFlow = sum(vals)
    it.time = t
    it.superInFlow, it.bigInFlow, it.midInFlow, it.smlInFlow = vals
    if main is not None:
        it.mainInFlow = main
    return it


def serve(conn):
    try:
        while True:
            raw = recv_exact(conn, HEADER.size)
            if raw is None:
                return
            f1, f2, proto, fmt, ver, serial, length, sha, _ = HEADER.unpack(raw)
            body = recv_exact(conn, length)
            assert (f1, f2, fmt, ver) == (b"F", b"T", 0, 0), (f1, f2, fmt, ver)
            assert hashlib.sha1(body).digest() == sha, "bad sha1 from capflow"
            if proto == 1001:
                req = InitConnect_pb2.Request()
                req.ParseFromString(body)
                seen.append(("init", req))
                rsp = InitConnect_pb2.Response()
                rsp.retType = 0
                rsp.s2c.serverVer = 1001
                rsp.s2c.loginUserID = 1
                rsp.s2c.connID = 6939768707708965532
                rsp.s2c.connAESKey = "0123456789abcdef"
                rsp.s2c.keepAliveInterval = 10
                send(conn, proto, serial, rsp)
            elif proto == 3211:
                req = Qot_GetCapitalFlow_pb2.Request()
                req.ParseFromString(body)
                seen.append(("flow", req))
                rsp = Qot_GetCapitalFlow_pb2.Response()
                rsp.retType = 0
                if req.c2s.periodType == 1:
                    rsp.s2c.flowItemList.extend([
                        item("2026-11-25 09:30:00", [1.5e8, -2.25e7, 3.0e6, -0.125]),
                        item("2026-11-25 09:31:00", [0.1, 0.2, -1e17, 12345.678]),
                    ])
                    rsp.s2c.lastValidTime = "2026-11-25 09:31:44"
                else:
                    rsp.s2c.flowItemList.extend([item("2026-11-24 00:00:00", [5.0, 6.0, 7.0, -8.0], 11.0)])
                send(conn, proto, serial, rsp)
            elif proto == 3202:
                req = Qot_GetStaticInfo_pb2.Request()
                req.ParseFromString(body)
                seen.append(("static", req))
                rsp = Qot_GetStaticInfo_pb2.Response()
                rsp.retType = 0
                info = rsp.s2c.staticInfoList.add()
                b = info.basic
                b.security.market = req.c2s.securityList[0].market
                b.security.code = req.c2s.securityList[0].code
                b.id, b.lotSize, b.secType, b.name, b.listTime = 1, 100, 3, "TENCENT", "2004-06-16"
                send(conn, proto, serial, rsp)
            elif proto == 1004:
                req = KeepAlive_pb2.Request()
                req.ParseFromString(body)
                rsp = KeepAlive_pb2.Response()
                rsp.retType = 0
                rsp.s2c.time = req.c2s.time
                send(conn, proto, serial, rsp)
            else:
                errors.append("capflow sent unexpected protocol %d" % proto)
                return
    except Exception as e:  # noqa: BLE001 - report everything
        errors.append(repr(e))
    finally:
        conn.close()


def main():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]

    def accept_loop():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    addr = "127.0.0.1:%d" % port

    def fetch(*args):
        r = subprocess.run([CAPFLOW, "fetch", *args, "--opend", addr], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    csv = fetch("HK.00700", "--format", "csv")
    lines = csv.splitlines()
    assert lines[0] == "last_valid_time,in_flow,super_in_flow,big_in_flow,mid_in_flow,sml_in_flow,main_in_flow,capital_flow_item_time", lines[0]
    row = lines[2].split(",")
    assert [float(x) for x in row[2:6]] == [0.1, 0.2, -1e17, 12345.678], row
    assert float(row[1]) == sum([0.1, 0.2, -1e17, 12345.678]), row
    assert row[6] == "N/A" and row[7] == "2026-11-25 09:31:00", row

    csv = fetch("US.AAPL", "--period", "week", "--start", "2026-01-05", "--end", "2026-02-06", "--format", "csv")
    assert csv.splitlines()[1] == "N/A,10.0,5.0,6.0,7.0,-8.0,11.0,2026-11-24 00:00:00", csv

    table = fetch("SH.600519")
    assert "TENCENT" in table, table  # the name came from the SDK-encoded static info reply

    assert not errors, errors
    inits = [r for k, r in seen if k == "init"]
    assert inits and all(r.c2s.clientID == "capflow" and r.c2s.programmingLanguage == "Rust" and r.c2s.packetEncAlgo == -1 for r in inits), inits
    flows = [r for k, r in seen if k == "flow"]
    assert (flows[0].c2s.security.market, flows[0].c2s.security.code, flows[0].c2s.periodType) == (1, "00700", 1)
    assert not flows[0].c2s.HasField("beginTime") and flows[0].c2s.header.securityFirm == 0
    w = flows[1].c2s
    assert (w.security.market, w.security.code, w.periodType, w.beginTime, w.endTime) == (11, "AAPL", 3, "2026-01-05 00:00:00", "2026-02-06 23:59:59"), w
    assert (flows[2].c2s.security.market, flows[2].c2s.security.code) == (21, "600519")
    print("ok: %s decoded %d capflow requests" % (PKG, len(seen)))


main()
