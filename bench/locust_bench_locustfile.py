"""The Locust side of locust_bench.py: SipUsers calling the answering peer, measured by a Window.
Configured by locust_bench.py through SIPW_BENCH_* variables."""
import itertools
import os

from locust import constant, events, task
from locust.runners import MasterRunner

from sipworker.locust import SipUser

from load_window import Window, recording_path

env = os.environ
window = None
_recordings = itertools.count()


@events.init.add_listener
def _measure(environment, runner=None, **_):
    global window
    if isinstance(runner, MasterRunner):
        return  # the worker process is what is measured
    window = Window(env["SIPW_BENCH_RESULT"], float(env["SIPW_BENCH_WARMUP"]), float(env["SIPW_BENCH_WINDOW"]))
    environment.events.request.add_listener(
        lambda name, response_time, exception=None, **_: window.report(name, response_time, exception))


class BenchCaller(SipUser):
    sip_server = env.get("SIPW_BENCH_SERVER", "sip:127.0.0.1:5060;transport=udp")
    first = int(env.get("SIPW_BENCH_FIRST_USER", "7101"))
    accounts = [{"uri": f"sip:{n}@127.0.0.1", "password": f"pass{n}"}
                for n in range(first, first + int(env.get("SIPW_BENCH_ACCOUNTS", "60")))]
    wait_time = constant(float(env.get("SIPW_BENCH_WAIT", "1")))

    @task
    def call_the_peer(self):
        options = {}
        if self.account_index == 0:  # the sample whose audio is checked for gaps
            path = recording_path(env["SIPW_BENCH_RECORDINGS"], "locust", next(_recordings))
            options["audio"] = {"input": "silence", "output": f"file:{path}"}
        self.call(env["SIPW_BENCH_TARGET"], duration=float(env["SIPW_BENCH_DURATION"]), **options)
