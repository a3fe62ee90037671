#!/usr/bin/python3
"""Serves the files of a directory over HTTP on 127.0.0.1 for sipworker's URL playback tests
(Python standard library only). --delay-ms holds every response back that long before its first
byte, like a slow media server. Prints "listening PORT" once ready, then serves until killed."""
import argparse
import functools
import http.server
import sys
import time


class SlowHandler(http.server.SimpleHTTPRequestHandler):
    delay_ms = 0

    def send_head(self):
        time.sleep(self.delay_ms / 1000)
        return super().send_head()

    def log_message(self, *args):  # quiet: the test prints what matters
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    SlowHandler.delay_ms = args.delay_ms
    handler = functools.partial(SlowHandler, directory=args.dir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    print("listening", server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
