"""Foundation figures: job throughput, event fan-out latency, idle RSS, cold start to /readyz.

Usage: python bench/platform_bench.py [--pg postgres://…/postgres] [--jobs 2000] [--clients 100]
"""
import argparse
import json
import queue
import threading
import time

import requests

from common import Instance, percentile, rss_mb


class SSE(threading.Thread):
    """Counts events (and when each arrived) on one SSE connection."""

    def __init__(self, url, token, last_event_id=None):
        super().__init__(daemon=True)
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.response = requests.get(url + "/api/v1/events", headers=headers, stream=True, timeout=(5, 300))
        self.events = queue.Queue()
        self.start()

    def run(self):
        try:
            for line in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if line and line.startswith("data:"):
                    self.events.put((time.perf_counter(), json.loads(line[5:])))
        except Exception:
            pass

    def take(self, n, timeout=120):
        out, deadline = [], time.time() + timeout
        while len(out) < n and time.time() < deadline:
            try:
                out.append(self.events.get(timeout=max(0.01, deadline - time.time())))
            except queue.Empty:
                break
        return out

    def close(self):
        self.response.close()


def job_throughput(pg, jobs, concurrency, worker_processes=0):
    inst = Instance(pg)
    try:
        roles = "api,worker,scheduler" if worker_processes == 0 else "api"
        proc, url, _ = inst.serve(roles=roles, CADENZA_WORKER_CONCURRENCY=concurrency)
        for _ in range(worker_processes):
            inst.worker(CADENZA_WORKER_CONCURRENCY=concurrency)
        token = inst.admin_token(url)
        auth = {"Authorization": f"Bearer {token}"}
        stream = SSE(url, token)
        time.sleep(0.3)
        t0 = time.perf_counter()
        r = requests.post(url + "/api/v1/jobs/ping", json={"count": jobs}, headers=auth)
        enqueued = time.perf_counter()
        assert r.status_code == 202, r.text
        got = stream.take(jobs, timeout=600)
        done = time.perf_counter()
        stream.close()
        assert len(got) == jobs, f"only {len(got)} of {jobs} pongs"
        return {"enqueue_per_s": jobs / (enqueued - t0), "run_per_s": jobs / (done - t0)}
    finally:
        inst.close()


def fan_out(pg, clients, rounds):
    inst = Instance(pg)
    try:
        proc, url, _ = inst.serve()
        token = inst.admin_token(url)
        auth = {"Authorization": f"Bearer {token}"}
        streams = [SSE(url, token) for _ in range(clients)]
        time.sleep(1.0)
        latencies = []
        for _ in range(rounds):
            sent = time.perf_counter()
            requests.post(url + "/api/v1/jobs/ping", json={"count": 1}, headers=auth)
            for s in streams:
                got = s.take(1, timeout=30)
                assert got, "a client received nothing"
                latencies.append((got[0][0] - sent) * 1000)
        for s in streams:
            s.close()
        return {"p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99), "samples": len(latencies)}
    finally:
        inst.close()


def start_and_idle(pg):
    inst = Instance(pg)
    try:
        proc, url, cold = inst.serve()
        time.sleep(5)
        idle = rss_mb(proc.pid)
        inst.stop(proc)
        proc, url, warm = inst.serve()
        inst.stop(proc)
        return {"cold_start_s": cold, "warm_start_s": warm, "idle_rss_mb": idle}
    finally:
        inst.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", help="PostgreSQL server URL (a fresh database is made per measurement)")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    databases = [("SQLite", None)] + ([("PostgreSQL", args.pg)] if args.pg else [])
    print("== platform benchmark (ping jobs: each job commits one event and its completion together)")
    for name, pg in databases:
        s = start_and_idle(pg)
        print(f"{name:10s} cold start to /readyz (fresh data, migrations): {s['cold_start_s']*1000:.0f} ms; "
              f"warm start: {s['warm_start_s']*1000:.0f} ms; idle RSS: {s['idle_rss_mb']:.1f} MB")
        for workers in (1, 4):
            r = job_throughput(pg, args.jobs, workers)
            print(f"{name:10s} {workers} worker{'s' if workers > 1 else ' '}: enqueue {r['enqueue_per_s']:8.0f} jobs/s, "
                  f"enqueue+run {r['run_per_s']:7.0f} jobs/s ({args.jobs} jobs)")
        if pg:
            r = job_throughput(pg, args.jobs, 1, worker_processes=4)
            print(f"{name:10s} 4 worker processes x 1: enqueue+run {r['run_per_s']:7.0f} jobs/s")
        f = fan_out(pg, args.clients, args.rounds)
        print(f"{name:10s} event fan-out to {args.clients} SSE clients (request -> job -> event -> client): "
              f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms ({f['samples']} deliveries)")


if __name__ == "__main__":
    main()
