#!/usr/bin/env python3
"""A small smart-HTTP git server for the clone tests: `git http-backend` behind HTTP basic auth.

Serves the bare repositories under --root on 127.0.0.1 and prints the port it listens on.
--token T       require basic auth with password T (any user name), else answer 401
--die-after N   exit the whole server after sending N bytes of one response body (a server that
                dies mid-clone)
--slow-file F   while file F exists, send response bodies slowly (a clone that can be killed)
--hang-after N  after N bytes of a response body, send nothing more for a minute (a server that
                hangs mid-clone)
--redirect-to U answer every request with a redirect to U + the request's path
--record F      append each request's Authorization header (empty if none) to file F
"""

import argparse
import base64
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def authorized(self):
        if not ARGS.token:
            return True
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user_pass = base64.b64decode(header[6:]).decode()
        except Exception:
            return False
        return user_pass.split(":", 1)[-1] == ARGS.token

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_git(self):
        if ARGS.record:
            with open(ARGS.record, "a") as f:
                f.write(self.headers.get("Authorization", "") + "\n")
        if ARGS.redirect_to:
            self.send_response(302)
            self.send_header("Location", ARGS.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not self.authorized():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = dict(os.environ)
        env.update(
            GIT_PROJECT_ROOT=ARGS.root,
            GIT_HTTP_EXPORT_ALL="1",
            PATH_INFO=path,
            QUERY_STRING=query,
            REQUEST_METHOD=self.command,
            CONTENT_TYPE=self.headers.get("Content-Type", ""),
            REMOTE_ADDR="127.0.0.1",
            REMOTE_USER="test",
        )
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        body = self.read_body()
        env["CONTENT_LENGTH"] = str(len(body))
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.split(b"\r\n"):
            name, _, value = line.decode().partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        sent = 0
        chunk = 8192
        for i in range(0, len(payload), chunk):
            piece = payload[i : i + chunk]
            if ARGS.die_after and sent + len(piece) > ARGS.die_after:
                self.wfile.write(piece[: ARGS.die_after - sent])
                self.wfile.flush()
                os._exit(3)
            if ARGS.hang_after and sent + len(piece) > ARGS.hang_after:
                self.wfile.write(piece[: ARGS.hang_after - sent])
                self.wfile.flush()
                time.sleep(60)
                return
            if ARGS.slow_file and os.path.exists(ARGS.slow_file):
                time.sleep(0.2)
            self.wfile.write(piece)
            sent += len(piece)

    do_GET = handle_git
    do_POST = handle_git


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--token")
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--slow-file")
    parser.add_argument("--hang-after", type=int, default=0)
    parser.add_argument("--redirect-to")
    parser.add_argument("--record")
    ARGS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
