#!/usr/bin/env python3
"""Serves dist/ on localhost, cross-origin isolated.

    python3 scripts/serve.py PORT [DIR]

Every response carries `Cross-Origin-Opener-Policy: same-origin` and
`Cross-Origin-Embedder-Policy: require-corp`, so the page is cross-origin
isolated and its engine worker can share memory with the Web Workers of its
rayon pool (the multi-threaded build under threads/). A page asked for with
`?isolation=off` is served without them: the single-threaded engine, as on
a static host that sends no such headers.
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        referer = self.headers.get("Referer", "")
        if "isolation=off" not in self.path and "isolation=off" not in referer:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    root = sys.argv[2] if len(sys.argv) > 2 else "dist"
    handler = functools.partial(Handler, directory=root)
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
