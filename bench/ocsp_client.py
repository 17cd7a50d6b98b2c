"""Load generators of ``bench/ocsp.py``, each checking every answer it counts.

* ``drive_async``: ``--clients`` processes, each an asyncio event loop (uvloop when installed)
  with ``--connections`` / ``--clients`` concurrent connections, POSTing random requests of
  the set; one connection per request (``keep_alive=False``, what ``openssl ocsp`` takes) or
  kept alive. The same client for every server: it drives openssl as it drives mynacard.
* ``drive_wrk``: Debian's ``wrk`` (C) with keep-alive connections and a Lua script that
  compares every answer with the answers checked before the run (byte for byte: the servers run
  on a frozen clock, so a correct answer never changes).

An answer counts as right when it is byte-identical to the checked answer to that request, or
else parses as an OCSP response about the asked serial with the expected status (``good`` /
``revoked``): openssl signs each answer on the spot, so its bytes differ every time.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import resource
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

Request = tuple[bytes, str, int]  # DER request, expected status, serial


def answer_ok(body: bytes, req: Request, known: bytes | None) -> bool:
    if known is not None and body == known:
        return True
    from cryptography.x509 import ocsp

    try:
        resp = ocsp.load_der_ocsp_response(body)
        return bool(resp.serial_number == req[2] and resp.certificate_status.name.lower() == req[1])
    except Exception:
        return False


async def _conn_loop(port: int, path: str, reqs: list[Request], known: list[bytes | None], stop: float,
                     keep_alive: bool, seed: int, tally: list[int]) -> None:
    """One connection's worth of requests, on the event loop's bare socket calls (the stream
    classes cost the client more CPU than the answers cost the servers)."""
    rng = random.Random(seed)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/ocsp-request\r\n"
            + ("" if keep_alive else "Connection: close\r\n") + "Content-Length: ").encode()
    loop = asyncio.get_running_loop()
    sock: socket.socket | None = None
    while loop.time() < stop:
        i = rng.randrange(len(reqs))
        der = reqs[i][0]
        closes = True
        try:
            if sock is None:
                sock = socket.socket()
                sock.setblocking(False)
                await loop.sock_connect(sock, ("127.0.0.1", port))
            await loop.sock_sendall(sock, head + str(len(der)).encode() + b"\r\n\r\n" + der)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = await loop.sock_recv(sock, 65536)
                if not chunk:
                    raise ConnectionError("closed before the answer")
                data += chunk
            top, body = data.split(b"\r\n\r\n", 1)
            lines = top.split(b"\r\n")
            length = next(int(x.split(b":", 1)[1]) for x in lines if x.lower().startswith(b"content-length:"))
            while len(body) < length:
                chunk = await loop.sock_recv(sock, 65536)
                if not chunk:
                    raise ConnectionError("closed in the answer")
                body += chunk
            tally[0] += 1
            if not (lines[0].split(b" ", 2)[1] == b"200" and answer_ok(body, reqs[i], known[i])):
                tally[1] += 1
            closes = not keep_alive or lines[0].startswith(b"HTTP/1.0") or b"connection: close" in top.lower()
        except (OSError, StopIteration, ValueError, IndexError):
            tally[2] += 1
        if closes and sock is not None:
            sock.close()
            sock = None
    if sock is not None:
        sock.close()


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) of the living processes of the process group ``pgid``."""
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _client(port: int, path: str, reqs: list[Request], known: list[bytes | None], seconds: float, conns: int,
            keep_alive: bool, seed: int, out: Any) -> None:
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    tally = [0, 0, 0]  # answers, wrong answers, transport errors
    stop = loop.time() + seconds

    async def main() -> None:
        await asyncio.gather(*(_conn_loop(port, path, reqs, known, stop, keep_alive, seed * 1000 + k, tally)
                               for k in range(conns)))

    loop.run_until_complete(main())
    use = resource.getrusage(resource.RUSAGE_SELF)
    out.put([*tally, use.ru_utime + use.ru_stime])


def drive_async(port: int, path: str, reqs: list[Request], known: list[bytes | None], seconds: float,
                clients: int, connections: int, keep_alive: bool) -> tuple[float, int, int, int, float]:
    """Answers/s, answers, wrong answers, transport errors, the client's CPU seconds."""
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    per = max(1, connections // clients)
    procs = [ctx.Process(target=_client, args=(port, path, reqs, known, seconds, per, keep_alive, n, q))
             for n in range(clients)]
    t = time.perf_counter()
    for p in procs:
        p.start()
    got = [q.get() for _ in procs]
    dt = time.perf_counter() - t
    for p in procs:
        p.join()
    n = sum(g[0] for g in got)
    return n / dt, n, sum(g[1] for g in got), sum(g[2] for g in got), sum(g[3] for g in got)


WRK_LUA = """
local reqs, valid = {}, {}
local threads = {}
checked, wrong = 0, 0

local function chunks(name)
  local f = assert(io.open(name, "rb"))
  local data = f:read("*a")
  f:close()
  local out, pos = {}, 1
  while pos < #data do
    local n = data:byte(pos) * 256 + data:byte(pos + 1)
    out[#out + 1] = data:sub(pos + 2, pos + 1 + n)
    pos = pos + 2 + n
  end
  return out
end

setup = function(thread)
  threads[#threads + 1] = thread
end

init = function(args)
  local headers = {["Content-Type"] = "application/ocsp-request"}
  for _, body in ipairs(chunks(args[1])) do
    reqs[#reqs + 1] = wrk.format("POST", args[2], headers, body)
  end
  for _, body in ipairs(chunks(args[3])) do
    valid[body] = true
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  return reqs[math.random(#reqs)]
end

response = function(status, headers, body)
  checked = checked + 1
  if status ~= 200 or not valid[body] then
    wrong = wrong + 1
  end
end

done = function(summary, latency, requests)
  local c, w = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("checked")
    w = w + t:get("wrong")
  end
  io.write(string.format("CHECKED %d WRONG %d\\n", c, w))
end
"""


def drive_wrk(port: int, path: str, work: Path, threads: int, connections: int, seconds: float
              ) -> tuple[float, int, int, str]:
    """Answers/s that wrk measured, answers checked, wrong answers, wrk's error line if any."""
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "-s",
         str(work / "ocsp.lua"), f"http://127.0.0.1:{port}{path}", "--", str(work / "requests.bin"), path,
         str(work / "answers.bin")],
        capture_output=True, text=True, check=True).stdout
    rate = float(out.split("Requests/sec:")[1].split()[0])
    checked, wrong = (int(x) for x in out.split("CHECKED")[1].split()[::2][:2])
    errors = " ".join(line.strip() for line in out.splitlines() if "errors" in line or "Non-2xx" in line)
    return rate, checked, wrong, errors


def write_wrk_inputs(work: Path, reqs: list[Request], answers: list[bytes]) -> None:
    (work / "ocsp.lua").write_text(WRK_LUA)
    (work / "requests.bin").write_bytes(b"".join(len(d).to_bytes(2, "big") + d for d, _, _ in reqs))
    (work / "answers.bin").write_bytes(b"".join(len(a).to_bytes(2, "big") + a for a in answers))
