#!/usr/bin/env python3
"""Static file server for dist/ on 127.0.0.1 (a secure context for Web Serial and service workers).

Usage: serve.py DIST_DIR PORT. Serves .wasm as application/wasm and never caches, so a test that
stops the server really exercises the service worker's offline path.
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".webmanifest": "application/manifest+json",
        ".svg": "image/svg+xml",
    }

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, fmt, *args):  # quiet: tests print their own progress
        pass


def main():
    dist, port = sys.argv[1], int(sys.argv[2])
    handler = functools.partial(Handler, directory=dist)
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(f"serving {dist} on http://127.0.0.1:{port}", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
