"""What locust_bench.py measures inside a load process, the same way under Locust and under plain
threads: CPU (every thread of the process, native ones included) and the calls that completed during
a window that opens ``warmup`` seconds after the first registration. No locust import here.
"""
import json
import os
import resource
import struct
import threading
import time
import wave


class Window:
    def __init__(self, out_path, warmup, length):
        self.out_path, self.warmup, self.length = out_path, warmup, length
        self._open = self._started = False
        self.calls = self.failed = 0
        self.call_ms = 0.0
        self.setup_ms, self.first_audio_ms = [], []

    def report(self, name, ms, failure):
        if name == "register" and not self._started:
            self._started = True
            threading.Thread(target=self._measure, daemon=True).start()  # a greenlet under gevent
        if not self._open:
            return
        if failure is not None:
            self.failed += 1
        elif name == "call":
            self.calls += 1
            self.call_ms += ms
        elif name == "call_setup":
            self.setup_ms.append(ms)
        elif name == "first_audio":
            self.first_audio_ms.append(ms)

    def _measure(self):
        time.sleep(self.warmup)
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        self._open = True
        time.sleep(self.length)
        self._open = False
        r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        seconds = t1 - t0
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        with open(self.out_path, "w") as f:
            json.dump({"seconds": seconds, "cpu_percent": 100.0 * cpu / seconds,
                       "calls_per_s": self.calls / seconds, "concurrent_calls": self.call_ms / 1000.0 / seconds,
                       "calls": self.calls, "failed": self.failed,
                       "setup_median_ms": _median(self.setup_ms), "first_audio_median_ms": _median(self.first_audio_ms),
                       "first_audio_p95_ms": _percentile(self.first_audio_ms, 0.95)}, f)


def _median(values):
    return _percentile(values, 0.5)


def _percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def recording_gaps(path, block_ms=10, loud=500):
    """(gaps, blocks) of a recording of a steady tone: quiet blocks between the first and the last
    loud one (the silence before media flows and after the hangup is not a gap)."""
    with wave.open(path) as f:
        rate, channels, frames = f.getframerate(), f.getnchannels(), f.getnframes()
        raw = f.readframes(frames)
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)[::channels]
    block = rate * block_ms // 1000
    levels = [max(map(abs, samples[i:i + block])) for i in range(0, len(samples) - block + 1, block)]
    loud_blocks = [i for i, level in enumerate(levels) if level > loud]
    if not loud_blocks:
        return None, len(levels)
    inside = levels[loud_blocks[0]:loud_blocks[-1] + 1]
    return sum(level <= loud for level in inside), len(inside)


def recording_path(directory, who, n):
    return os.path.join(directory, f"{who}-{n}.wav")
