"""The one client of `deno task bench --kamailio` (bench/side_by_side/side_by_side.ts).

N closed loops of `evrexec.run echo DATA`, one call in flight each, one
process each, over a Unix datagram socket (Kamailio's jsonrpcs, the host's
--rpc-dgram) or the host's stream socket. The same code builds, sends, reads
and checks every call, whichever server answers. Python's standard library
only: a blocking send and receive per call, so the client leaves the CPU to
the server at once. Prints one JSON line.

Usage: python3 bench/side_by_side/client.py --socket PATH [--transport dgram|stream]
       [--clients N] [--in-flight K] [--fn NAME] [--warmup-ms MS] [--duration-ms MS] [--expect data|any]

--in-flight K (default 1): each client keeps K calls in flight (pipelined:
K requests sent, then one more for every answer read); latency is from a
call's send to its answer.

--expect any: any result is right (Kamailio's evrexec.run answers {}, never
the function's value); data (the default): the result must be the data sent.
"""

import argparse
import json
import math
import os
import socket
import sys
import tempfile
import time


def exchange_for(transport, server, own_path):
    """A function sending one request and returning the answer's bytes (None: gone)."""
    if transport == "stream":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(server)
        lines = sock.makefile("rb")

        def exchange(request):
            sock.sendall(request + b"\n")
            line = lines.readline()
            return line if line else None

        return exchange, sock
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(own_path)

    def exchange(request):
        sock.sendto(request, server)
        return sock.recv(65536)

    return exchange, sock


def pipelined(args, tag, start, tally, sock, lines):
    """One client keeping args.in_flight calls in flight; fills tally."""
    measure_from = start + args.warmup_ms / 1000
    end = measure_from + args.duration_ms / 1000
    sent = {}
    call = 0

    def send():
        nonlocal call
        call += 1
        data = f"c{tag}-{call}"
        request = (
            '{"jsonrpc":"2.0","method":"evrexec.run","params":["%s","%s"],"id":%d}'
            % (args.fn, data, call)
        ).encode()
        sent[call] = (time.perf_counter(), data)
        try:
            if lines is None:
                sock.sendto(request, args.socket)
            else:
                sock.sendall(request + b"\n")
        except OSError as error:  # a full datagram queue times out here
            tally["problem"] = tally["problem"] or f"client {tag}: send: {error}"

    for _ in range(args.in_flight):
        send()
    while sent:
        try:
            answer = sock.recv(65536) if lines is None else lines.readline()
        except OSError as error:
            answer = None
            tally["problem"] = tally["problem"] or f"client {tag}: {error}"
        now = time.perf_counter()
        if not answer:
            tally["lost"] += len(sent)
            tally["problem"] = tally["problem"] or f"client {tag}: {len(sent)} calls never answered"
            break
        try:
            parsed = json.loads(answer)
            ident = parsed.get("id")
            started, data = sent.pop(ident)
            ok = "result" in parsed and (args.expect == "any" or parsed["result"] == data)
        except (ValueError, KeyError, TypeError):
            ok = False
            started = now
        if not ok:
            tally["errors"] += 1
            tally["problem"] = tally["problem"] or f"client {tag}: answered {answer[:200]!r}"
        else:
            tally["answered"] += 1
            if started >= measure_from and now <= end:
                tally["latencies"].append((now - started) * 1e6)
        if now < end:
            send()


def loop(args, tag, start, out_path):
    """One client's closed loop; writes its tally as JSON to out_path."""
    tally = {"latencies": [], "answered": 0, "errors": 0, "lost": 0, "problem": None}
    own = os.path.join(os.path.dirname(out_path), f"client-{tag}.sock")
    try:
        exchange, sock = exchange_for(args.transport, args.socket, own)
        sock.settimeout(2.0)
    except OSError as error:
        tally["connect_failed"] = True
        tally["problem"] = f"connect: {error}"
        with open(out_path, "w") as out:
            json.dump(tally, out)
        return
    if args.in_flight > 1:
        lines = sock.makefile("rb") if args.transport == "stream" else None
        pipelined(args, tag, start, tally, sock, lines)
        sock.close()
        with open(out_path, "w") as out:
            json.dump(tally, out)
        return
    measure_from = start + args.warmup_ms / 1000
    end = measure_from + args.duration_ms / 1000
    call = 0
    while True:
        started = time.perf_counter()
        if started >= end:
            break
        call += 1
        data = f"c{tag}-{call}"
        request = (
            '{"jsonrpc":"2.0","method":"evrexec.run","params":["%s","%s"],"id":%d}'
            % (args.fn, data, call)
        ).encode()
        try:
            answer = exchange(request)
        except OSError as error:  # a timeout too: the answer never came
            answer = None
            tally["problem"] = tally["problem"] or f"client {tag}: {error}"
        took = time.perf_counter() - started
        if answer is None:
            tally["lost"] += 1
            tally["problem"] = tally["problem"] or f"client {tag}: call {call} never answered"
            break
        try:
            parsed = json.loads(answer)
            ok = parsed.get("id") == call and "result" in parsed and (
                args.expect == "any" or parsed["result"] == data
            )
        except ValueError:
            ok = False
        if not ok:
            tally["errors"] += 1
            tally["problem"] = tally["problem"] or f"client {tag}: call {call} answered {answer[:200]!r}"
            continue
        tally["answered"] += 1
        if started >= measure_from:
            tally["latencies"].append(took * 1e6)
    sock.close()
    with open(out_path, "w") as out:
        json.dump(tally, out)


def percentile(ordered, q):
    """The value at quantile q of ordered, by nearest rank (as bench/common/stats.ts)."""
    if not ordered:
        return None
    rank = math.ceil(q * len(ordered))
    return ordered[min(len(ordered), max(1, rank)) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--transport", choices=["dgram", "stream"], default="dgram")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--fn", default="echo")
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--warmup-ms", type=float, default=300)
    parser.add_argument("--duration-ms", type=float, default=1000)
    parser.add_argument("--expect", choices=["data", "any"], default="data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evrexec-side-") as folder:
        start = time.perf_counter()
        children = []
        for tag in range(args.clients):
            pid = os.fork()
            if pid == 0:
                try:
                    loop(args, tag, start, os.path.join(folder, f"{tag}.json"))
                finally:
                    os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        tallies = []
        for tag in range(args.clients):
            try:
                with open(os.path.join(folder, f"{tag}.json")) as result:
                    tallies.append(json.load(result))
            except (OSError, ValueError):
                tallies.append({"latencies": [], "answered": 0, "errors": 0, "lost": 1,
                                "problem": f"client {tag} died"})
    latencies = sorted(x for t in tallies for x in t["latencies"])
    problems = [t["problem"] for t in tallies if t["problem"]]
    print(json.dumps({
        "connections": args.clients,
        "calls": len(latencies),
        "answered": sum(t["answered"] for t in tallies),
        "callsPerS": len(latencies) / (args.duration_ms / 1000),
        "p50Us": percentile(latencies, 0.5),
        "p99Us": percentile(latencies, 0.99),
        "errors": sum(t["errors"] for t in tallies),
        "lost": sum(t["lost"] for t in tallies),
        "connectFailures": sum(1 for t in tallies if t.get("connect_failed")),
        "firstProblem": problems[0] if problems else None,
    }))


if __name__ == "__main__":
    sys.exit(main())
