#!/usr/bin/env python3
"""Answering peer for load tests: registers one account and answers every incoming call at once,
any number of them concurrently, sending a tone; the callers hang up.

    python3 answering_peer.py --server 127.0.0.1 --user 1019 --password pass1019

Prints ``registered`` once ready and a line per 100 calls; runs until SIGTERM or Ctrl-C, then hangs
up what is left and unregisters. (``python3 -m sipworker answer`` takes one call at a time, which
suits a robot, not hundreds of simultaneous callers.)
"""
import argparse
import signal
import sys
import threading

from sipworker import On, SipWorker
from sipworker.cli import server_host, server_uri

SESSION = str(On.ON_RTCSESSION_STATE)
ENDS = {str(On.ON_SESSTION_ENDED), str(On.ON_SESSTION_FAILED)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default="127.0.0.1", help="host[:port] (UDP) or a sipServer URI")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--input", default="tone:440", help="what each call hears from us (default tone:440)")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the registration")
    args = p.parse_args()

    server, host = server_uri(args.server, "udp"), server_host(args.server)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    answered = failed = 0
    with SipWorker() as w:
        @w.on(SESSION)
        def on_session(ev):  # on the worker's dispatcher thread: one event at a time, in order
            nonlocal answered, failed
            if ev.msg == On.ON_NEWRTCSESSION and ev.sessionOrigin == "incoming":
                w.answer(ev.sessionId, audio={"input": args.input, "output": "null"})
            elif ev.msg == On.ON_SESSTION_CONFIRMED and ev.sessionOrigin != "outgoing":
                answered += 1
                if answered % 100 == 0:
                    print(f"answered {answered} calls", flush=True)
            elif ev.msg in ENDS:
                failed += ev.msg == On.ON_SESSTION_FAILED
                w.delete_session(ev.sessionId)  # thousands of calls: keep none of them

        w.init(uri=f"sip:{args.user}@{host}", password=args.password, sipServer=[server],
               sipWorkerid=f"answering-peer-{args.user}", audio={"input": "silence", "output": "null"})
        outcome = w.wait_for("*", timeout=args.timeout, match={"msg": [
            On.ON_REGISTERED, On.ON_REGISTRATIONFAILED, On.ON_DISCONNECTED]})
        if outcome is None or outcome.channel != On.ON_REGISTERED:
            print(f"registration failed: {outcome.cause + ' / ' + outcome.causeCN if outcome else 'timeout'}",
                  file=sys.stderr, flush=True)
            return 1
        print("registered", flush=True)
        stop.wait()
        # close() hangs up and unregisters; posting LOGOUT first lets us see the registrar's answer.
        w.logout()
        bye = w.wait_for(On.ON_UNREGISTERED, timeout=10)
    print(f"stopped: {answered} calls answered, {failed} failed, "
          f"{'unregistered' if bye is not None else 'unregistration not confirmed'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
