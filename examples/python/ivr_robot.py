#!/usr/bin/env python3
"""IVR robot: registers, answers every incoming call, plays a prompt into it, logs the caller's DTMF.

    python3 ivr_robot.py --server 127.0.0.1 --user 1002 --password pass1002 --prompt welcome.wav

Runs until Ctrl-C. Each call is answered on the worker's dispatcher thread (listeners may post), and
hung up after --max-seconds unless the caller hangs up first.
"""
import argparse
import logging
import threading

from sipworker import Cmd, On, SipWorker

log = logging.getLogger("ivr")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--transport", default="udp", choices=["udp", "tcp", "tls"])
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--prompt", required=True, help="audio file played into each call")
    p.add_argument("--max-seconds", type=float, default=30.0)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    with SipWorker() as w:
        timers = {}

        @w.on(On.ON_RTCSESSION_STATE)
        def on_session(ev):
            if ev.msg == On.ON_NEWRTCSESSION and ev.sessionOrigin == "incoming":
                log.info("incoming call %s from %s", ev.sessionId, ev.fromUri)
                # The prompt replaces the microphone for this call only.
                w.answer(ev.sessionId, audio={"input": f"file:{args.prompt}", "output": "null"})
                timer = threading.Timer(args.max_seconds, w.hangup, [ev.sessionId])
                timer.daemon = True
                timers[ev.sessionId] = timer
                timer.start()
            elif ev.msg == On.ON_SESSTION_CONFIRMED:
                log.info("call %s answered, playing %s", ev.sessionId, args.prompt)
            elif ev.msg in (On.ON_SESSTION_ENDED, On.ON_SESSTION_FAILED):
                timer = timers.pop(ev.sessionId, None)
                if timer:
                    timer.cancel()
                log.info("call %s %s: %s %s", ev.sessionId, ev.msg, ev.cause or "", ev.causeCN or "")

        @w.on(On.ON_NEWDTMF)
        def on_dtmf(ev):
            log.info("call %s DTMF %s (%s)", ev.sessionId, ev.data["tone"], ev.data.get("method"))

        @w.on(On.ON_REGISTRATIONFAILED)
        def on_failed(ev):
            log.error("registration failed: %s %s", ev.cause, ev.causeCN)

        port = 5061 if args.transport == "tls" else 5060
        w.post(Cmd.INIT, {
            "uri": f"sip:{args.user}@{args.server}",
            "password": args.password,
            "sipServer": [f"sip:{args.server}:{port};transport={args.transport}"],
        })
        if w.wait_for(On.ON_REGISTERED, timeout=10) is None:
            raise SystemExit("not registered")
        log.info("registered as %s, waiting for calls (Ctrl-C to stop)", args.user)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
