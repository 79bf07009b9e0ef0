"""A local HTTP server that answers like GOV.UK Notify's email API, for tests: a real HTTP
exchange with the real notifications-python-client."""
from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt


class NotifyServer:
    """A local HTTP server answering POST /v2/notifications/email like GOV.UK Notify does,
    checking the request's JSON Web Token with the key's secret."""

    def __init__(self, status: int = 201):
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.api_key = f"lms_test-{self.service_id}-{self.secret}"
        self.status = status
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                authorization = self.headers.get("Authorization", "")
                claims = None
                if authorization.startswith("Bearer "):
                    try:
                        claims = jwt.decode(authorization.removeprefix("Bearer "), outer.secret, algorithms=["HS256"])
                    except jwt.InvalidTokenError:
                        claims = None
                outer.requests.append({"path": self.path, "claims": claims, "body": body})
                if claims is None or claims.get("iss") != outer.service_id:
                    error = {"error": "AuthError", "message": "Invalid token"}
                    self._reply(403, {"status_code": 403, "errors": [error]})
                elif outer.status != 201:
                    error = {"error": "BadRequestError", "message": "Can't send to this recipient using a team-only API key"}
                    self._reply(outer.status, {"status_code": outer.status, "errors": [error]})
                else:
                    self._reply(201, {"id": str(uuid.uuid4()), "reference": body.get("reference"),
                                      "content": {"subject": body["personalisation"]["subject"]}})

            def _reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
