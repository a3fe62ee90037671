"""A call-center load test on Locust: every simulated user registers its own account, then calls
the target over and over, holding each call a few seconds.

One machine (the answering peer first, in another shell):

    python3 answering_peer.py --server 127.0.0.1 --user 1019 --password pass1019
    locust -f locustfile.py --headless -u 10 -r 5 --run-time 1m --stop-timeout 10 --csv out/run

Several machines: the same locustfile (and sipworker) on each; the master on one of them, workers
on the others:

    locust -f locustfile.py --master --headless --expect-workers 2 -u 200 -r 20 --run-time 5m \
           --stop-timeout 10 --csv out/run
    locust -f locustfile.py --worker --master-host MASTER_HOST            # on each worker machine

Configuration, read from the environment of every process (give each machine the same values):

    SIPW_LOAD_SERVER     sipServer URI (default sip:127.0.0.1:5060;transport=udp)
    SIPW_LOAD_USERS      accounts as FIRST-LAST user numbers (default 1001-1018)
    SIPW_LOAD_DOMAIN     domain of the accounts' URIs (default 127.0.0.1)
    SIPW_LOAD_PASSWORD   password, "{user}" is replaced by the user number (default pass{user})
    SIPW_LOAD_TARGET     number to call (default 1019, the answering peer above)
    SIPW_LOAD_DURATION   seconds each call is held once confirmed (default 3)
    SIPW_LOAD_WAIT       seconds between calls, "MIN-MAX" (default 1-2)
"""
import os

from locust import between, task

from sipworker.locust import SipUser


def _accounts():
    first, _, last = os.environ.get("SIPW_LOAD_USERS", "1001-1018").partition("-")
    domain = os.environ.get("SIPW_LOAD_DOMAIN", "127.0.0.1")
    password = os.environ.get("SIPW_LOAD_PASSWORD", "pass{user}")
    return [{"uri": f"sip:{n}@{domain}", "password": password.replace("{user}", str(n))}
            for n in range(int(first), int(last or first) + 1)]


class Caller(SipUser):
    sip_server = os.environ.get("SIPW_LOAD_SERVER", "sip:127.0.0.1:5060;transport=udp")
    accounts = _accounts()
    wait_time = between(*(float(s) for s in os.environ.get("SIPW_LOAD_WAIT", "1-2").split("-")))
    target = os.environ.get("SIPW_LOAD_TARGET", "1019")
    duration = float(os.environ.get("SIPW_LOAD_DURATION", "3"))

    @task
    def call_the_target(self):
        self.call(self.target, duration=self.duration)
