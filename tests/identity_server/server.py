#!/usr/bin/env python3
"""Local identity server for qflow-auth's tests and demo.

Endpoints that behave like QFlow Hub's IdentityServer3 under any prefix (e.g. `/core`):
`POST <prefix>/connect/token` (form body, JSON answers, every error as HTTP 400),
`POST <prefix>/connect/revocation` (RFC 7009), `POST <prefix>/connect/introspect` (RFC 7662),
`GET|POST <prefix>/connect/userinfo` (OpenID Connect, Bearer token), and discovery at
`GET <prefix>/.well-known/openid-configuration` and, RFC 8414 style,
`GET /.well-known/oauth-authorization-server<prefix>`. Switches in the prefix make it misbehave.
Standard library only; HTTPS uses a throw-away CA made with the `openssl` command at start-up.

The prefix is a list of segments; each is a mode:

    core               IdentityServer3 behaviour (the default; the segment is only a name)
    rfc                RFC 6749 client authentication: Basic credentials are form-decoded and
                       invalid_client is a 401 with WWW-Authenticate; the answer includes `scope`
    oauth401           invalid_client answered as 401 (without the rest of `rfc`)
    tag-<name>         labels the request for /_log and /_stats; no effect on behaviour
    expires-<s>        expires_in is <s>
    no-expiry          no expires_in member
    string-expiry      expires_in as a string ("3600")
    lowercase          token_type "bearer", plus `scope` and an extra `iat` member
    slow-<ms>          wait <ms> before answering
    html500            HTTP 500 with an HTML page
    empty<status>      HTTP <status> with an empty body (e.g. empty400, empty403)
    garbage            HTTP 200 with a body that is not JSON
    truncated-json     HTTP 200 with JSON cut off in the middle (complete HTTP framing)
    truncated          HTTP 200 announcing more bytes than it sends, then closing the connection
    huge-<bytes>       HTTP 200 with a Content-Length of <bytes> (streamed until the client stops)
    chunked-<bytes>    HTTP 200, chunked, <bytes> long, no Content-Length
    trickle            HTTP 200 announcing 1000 bytes, then one byte every 200 ms, forever
    drop               close the connection without answering
    redirect           HTTP 301 to the same path with a trailing slash
    close-after        answer normally, then close the connection without announcing it
    stale              answer only the first request on each connection; close the connection on any
                       later one without answering (a server's idle timeout hitting as a request comes)
    unavailable        revocation answers 503 with Retry-After: 7
    no-oidc-discovery  the OpenID Connect discovery path answers 404 (the RFC 8414 one still works)
    other-issuer       discovery names https://identity.qflowhub.io/core as issuer
    http-endpoints     discovery lists http:// endpoints on a remote host

Other routes: `GET /_log?tag=<name>` lists the tagged requests as received (headers, raw body,
parsed form, connection number, whether they came through a CONNECT proxy); `GET /_stats?tag=<name>`
counts them and the distinct connections they used. The HTTP listener also acts as a CONNECT proxy
to itself, so proxy settings can be tested. The `socks5` listener is a SOCKS5 proxy (RFC 1928; no
authentication, or user `proxyuser` with password `proxy&pass` by RFC 1929) that likewise tunnels
every CONNECT, whatever its target, to the HTTP listener; such requests are logged with `via_proxy`
set to `socks5 <host>:<port>` (`<host>` as the client sent it: an address or a name to resolve).

On start-up one JSON line is printed (and written to --ready-file): the base URLs and the CA file.
With --tls there are four HTTPS listeners, all with certificates from one CA made at start-up:
`https` (valid for 127.0.0.1, ::1, localhost), `https_wrong_host` (certificate for another name),
`https_expired` (certificate expired in 2020) and `https_tls11` (valid certificate, TLS 1.1 at most).
The server stops on SIGTERM/SIGINT, or when its standard input closes if --exit-on-stdin-eof is given
(so that a test harness that dies cannot leave it running).
"""

import argparse
import warnings
import base64
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
# TLS 1.1 is deprecated; serving it on purpose is the point of the https_tls11 listener.
warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*TLSv1")
ENDPOINTS = ("/connect/token", "/connect/revocation", "/connect/introspect", "/connect/userinfo",
             "/.well-known/openid-configuration")
RFC8414_PREFIX = "/.well-known/oauth-authorization-server"

STATE_LOCK = threading.Lock()
REFRESH_TOKENS = {}  # refresh token -> {"client", "user", "scopes"}
ACCESS_TOKENS = {}  # access token -> {"client", "user", "scopes", "expires_at"}
REQUEST_LOG = []  # tagged requests
CONNECTION_COUNTER = [0]
TOTALS = {"token_requests": 0}


def load_fixtures(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class OAuthError(Exception):
    def __init__(self, error, description=None, status=400, client_auth=False):
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status
        self.client_auth = client_auth


class Modes:
    """The behaviour switches found in a request path."""

    def __init__(self, segments):
        self.names = set()
        self.tag = None
        self.values = {}
        for seg in segments:
            if seg.startswith("tag-"):
                self.tag = seg[4:]
                continue
            name, _, value = seg.partition("-")
            if value.isdigit() and name in ("expires", "slow", "huge", "chunked"):
                self.values[name] = int(value)
            elif name.startswith("empty") and name[5:].isdigit():
                self.values["empty"] = int(name[5:])
            else:
                self.names.add(seg)

    def has(self, name):
        return name in self.names


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "qflow-local-identity/1.0"
    sys_version = ""
    # Headers and body go out in two writes; with Nagle's algorithm the body would wait for the
    # client's delayed ACK (40 ms per request on a reused connection).
    disable_nagle_algorithm = True
    fixtures = None
    verbose = False

    # Set on the handler classes of SOCKS tunnels: what the client asked the proxy to connect to.
    socks_target = None

    def setup(self):
        super().setup()
        with STATE_LOCK:
            CONNECTION_COUNTER[0] += 1
            self.connection_number = CONNECTION_COUNTER[0]
        self.via_proxy = None if self.socks_target is None else "socks5 " + self.socks_target
        self.requests_on_connection = 0

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("identity-server: " + (fmt % args) + "\n")

    # ---- plumbing -------------------------------------------------------------------------------

    def send_body(self, status, body, content_type="application/json; charset=utf-8", extra_headers=()):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Pragma", "no-cache")
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, obj, extra_headers=()):
        self.send_body(status, json.dumps(obj), extra_headers=extra_headers)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # ---- routes ---------------------------------------------------------------------------------

    def do_CONNECT(self):
        # A CONNECT proxy that tunnels to this server itself: after the 200, the same connection
        # carries the tunnelled requests, which are marked as having come through the proxy.
        self.via_proxy = self.path
        self.send_response(200, "Connection established")
        self.end_headers()

    def route(self):
        """(endpoint, modes) for a request path; endpoint None when nothing matches."""
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith(RFC8414_PREFIX):
            return "rfc8414", Modes(s for s in path[len(RFC8414_PREFIX):].split("/") if s), \
                path[len(RFC8414_PREFIX):]
        for endpoint in ENDPOINTS:
            if path.endswith(endpoint):
                prefix = path[: -len(endpoint)]
                return endpoint, Modes(s for s in prefix.split("/") if s), prefix
        return None, None, path

    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        tag = query.get("tag")
        if parsed.path == "/_log":
            with STATE_LOCK:
                entries = [e for e in REQUEST_LOG if e["tag"] == tag]
            self.send_json(200, entries)
            return
        if parsed.path == "/_stats":
            with STATE_LOCK:
                entries = [e for e in REQUEST_LOG if e["tag"] == tag]
                totals = dict(TOTALS)
            by_endpoint = {}
            for e in entries:
                by_endpoint[e["endpoint"]] = by_endpoint.get(e["endpoint"], 0) + 1
            self.send_json(200, {
                "requests": len(entries),
                "connections": len({e["connection"] for e in entries}),
                "by_endpoint": by_endpoint,
                "token_requests_total": totals["token_requests"],
            })
            return
        self.handle_endpoint(b"")

    def do_POST(self):
        self.handle_endpoint(self.read_body())

    def handle_endpoint(self, raw):
        endpoint, modes, prefix = self.route()
        if endpoint is None:
            self.send_json(404, {"error": "not_found"})
            return
        if endpoint == "/connect/token":
            with STATE_LOCK:
                TOTALS["token_requests"] += 1
        self.log_request_entry(endpoint, modes, raw)
        self.requests_on_connection += 1
        if self.misbehave(modes):
            return
        if modes.has("close-after"):
            # Keep-alive as far as the client can tell, yet closed once this answer is out.
            self.close_connection = True
        try:
            if endpoint in ("/.well-known/openid-configuration", "rfc8414"):
                self.discovery(endpoint, modes, prefix)
            elif endpoint == "/connect/userinfo":
                self.userinfo()
            elif self.command != "POST":
                raise OAuthError("invalid_request", "use POST", status=405)
            elif endpoint == "/connect/token":
                status, answer = self.token_endpoint(modes, raw)
                self.send_json(status, answer)
            elif endpoint == "/connect/revocation":
                self.revocation(modes, raw)
            elif endpoint == "/connect/introspect":
                self.introspection(modes, raw)
        except OAuthError as e:
            body = {"error": e.error}
            if e.description:
                body["error_description"] = e.description
            status = e.status
            headers = []
            if e.client_auth and (modes.has("rfc") or modes.has("oauth401")):
                status = 401
                headers.append(("WWW-Authenticate", 'Basic realm="qflow-local"'))
            self.send_json(status, body, extra_headers=headers)

    # ---- discovery, revocation, introspection, userinfo ---------------------------------------

    def base_url(self):
        scheme = "https" if getattr(self.server, "tls_context", None) is not None else "http"
        return "%s://%s" % (scheme, self.headers.get("Host"))

    def discovery(self, endpoint, modes, prefix):
        oidc = endpoint != "rfc8414"
        if modes.has("no-oidc-discovery") and oidc:
            self.send_json(404, {"error": "not_found"})
            return
        authority = self.base_url() + prefix.rstrip("/")
        if modes.has("http-endpoints"):
            endpoints_base = "http://identity.example.com" + prefix.rstrip("/")
        else:
            endpoints_base = authority
        issuer = "https://identity.qflowhub.io/core" if modes.has("other-issuer") else authority
        document = {
            "issuer": issuer,
            "token_endpoint": endpoints_base + "/connect/token",
            "revocation_endpoint": endpoints_base + "/connect/revocation",
            "introspection_endpoint": endpoints_base + "/connect/introspect",
            "userinfo_endpoint": endpoints_base + "/connect/userinfo",
            "jwks_uri": endpoints_base + "/.well-known/jwks",
            "grant_types_supported": ["password", "client_credentials", "refresh_token"],
            "scopes_supported": ["qflowapi", "openid", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
        self.send_json(200, document)

    def parse_form(self, raw):
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
        try:
            pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
        except (UnicodeDecodeError, ValueError):
            raise OAuthError("invalid_request", "the body is not valid form data")
        form = {}
        for name, value in pairs:
            if name in form:
                raise OAuthError("invalid_request", "parameter %s repeated" % name)
            form[name] = value
        return form

    def revocation(self, modes, raw):
        if modes.has("unavailable"):
            self.send_body(503, b"", content_type="text/plain", extra_headers=[("Retry-After", "7")])
            return
        client_id, token = self.token_parameter(modes, raw)
        with STATE_LOCK:
            for store in (REFRESH_TOKENS, ACCESS_TOKENS):
                if token in store and store[token]["client"] == client_id:
                    del store[token]
        self.send_body(200, b"", content_type="text/plain")  # RFC 7009: 200 even for unknown tokens

    def token_parameter(self, modes, raw):
        """The authenticated client and the `token` parameter of a revocation or introspection request."""
        form = self.parse_form(raw)
        client_id, _ = self.authenticate_client(modes, form)
        token = form.get("token")
        if not token:
            raise OAuthError("invalid_request", "token is required")
        return client_id, token

    def introspection(self, modes, raw):
        client_id, token = self.token_parameter(modes, raw)
        with STATE_LOCK:
            access = ACCESS_TOKENS.get(token)
            refresh = REFRESH_TOKENS.get(token)
        record, kind = (access, "access_token") if access else (refresh, "refresh_token")
        if record is None or (access and access["expires_at"] < time.time()):
            self.send_json(200, {"active": False})
            return
        answer = {"active": True, "client_id": record["client"], "scope": " ".join(record["scopes"]),
                  "token_type": kind}
        if access:
            answer["exp"] = int(access["expires_at"])
        if record["user"]:
            answer["sub"] = self.fixtures["users"][record["user"]]["sub"]
        self.send_json(200, answer)

    def userinfo(self):
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        with STATE_LOCK:
            record = ACCESS_TOKENS.get(token) if scheme.lower() == "bearer" else None
        if record is None or record["expires_at"] < time.time():
            challenge = 'Bearer error="invalid_token", error_description="the access token is not valid"'
            self.send_body(401, b"", content_type="text/plain", extra_headers=[("WWW-Authenticate", challenge)])
            return
        if record["user"] is None or "openid" not in record["scopes"]:
            challenge = 'Bearer error="insufficient_scope", scope="openid"'
            self.send_body(403, b"", content_type="text/plain", extra_headers=[("WWW-Authenticate", challenge)])
            return
        user = record["user"]
        self.send_json(200, {"sub": self.fixtures["users"][user]["sub"], "email": user, "preferred_username": user})

    def log_request_entry(self, endpoint, modes, raw):
        if modes.tag is None:
            return
        try:
            form = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            form = None
        entry = {
            "tag": modes.tag,
            "endpoint": endpoint,
            "method": self.command,
            "path": self.path,
            "connection": self.connection_number,
            "via_proxy": self.via_proxy,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": raw.decode("utf-8", "replace"),
            "form": form,
        }
        with STATE_LOCK:
            REQUEST_LOG.append(entry)

    # ---- misbehaviour ---------------------------------------------------------------------------

    def misbehave(self, modes):
        """Answers badly if a mode says so; returns True when the request has been dealt with."""
        if "slow" in modes.values:
            time.sleep(modes.values["slow"] / 1000.0)
        if modes.has("drop") or (modes.has("stale") and self.requests_on_connection > 1):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if modes.has("html500"):
            page = "<!DOCTYPE html><html><body><h1>Server Error</h1><p>stack trace: NullReference at " \
                   "TokenController</p></body></html>"
            self.send_body(500, page, content_type="text/html; charset=utf-8")
            return True
        if "empty" in modes.values:
            self.send_body(modes.values["empty"], b"", content_type="text/plain")
            return True
        if modes.has("garbage"):
            self.send_body(200, "this is not JSON {", content_type="application/json")
            return True
        if modes.has("truncated-json"):
            self.send_body(200, '{"access_token": "abc", "tok')
            return True
        if modes.has("redirect"):
            self.send_body(301, b"", content_type="text/plain",
                           extra_headers=[("Location", self.path.rstrip("/") + "/")])
            return True
        if modes.has("truncated"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "500")
            self.end_headers()
            self.wfile.write(b'{"access_token": "abc", "token_type": "Bearer"')
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if "huge" in modes.values or "chunked" in modes.values or modes.has("trickle"):
            self.stream_forever(modes)
            return True
        return False

    def stream_forever(self, modes):
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        chunked = "chunked" in modes.values
        # A trickle announces a small body, so that only the timeout can stop it.
        total = modes.values.get("huge") or modes.values.get("chunked") or 1000
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(total))
        self.end_headers()
        prefix = b'{"access_token": "abc", "padding": "'
        piece = b"a" * 65536
        sent = 0
        try:
            if modes.has("trickle"):
                self.wfile.write(prefix)
                while True:
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.2)
            while sent < total:
                data = (prefix + piece)[: total - sent] if sent == 0 else piece[: total - sent]
                if chunked:
                    self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
                else:
                    self.wfile.write(data)
                sent += len(data)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass  # the client stopped reading, as it should

    # ---- the token endpoint ---------------------------------------------------------------------

    def token_endpoint(self, modes, raw):
        form = self.parse_form(raw)
        client_id, client = self.authenticate_client(modes, form)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("unsupported_grant_type")
        known = ("password", "client_credentials", "refresh_token", "urn:qflow:grant-type:api-key")
        if grant_type not in known:
            raise OAuthError("unsupported_grant_type")
        if grant_type not in client["grants"]:
            raise OAuthError("unauthorized_client")

        user = None
        if grant_type == "password":
            username, password = form.get("username"), form.get("password")
            if not username or password is None:
                raise OAuthError("invalid_request", "username and password are required")
            user_record = self.fixtures["users"].get(username)
            if user_record is None or user_record["password"] != password:
                raise OAuthError("invalid_grant", "invalid_username_or_password")
            user = username
            scopes = self.requested_scopes(form, client)
        elif grant_type == "client_credentials":
            if "scope" not in form:
                form["scope"] = " ".join(s for s in client["scopes"] if s not in ("offline_access", "openid"))
            scopes = self.requested_scopes(form, client)
            if "offline_access" in scopes or "openid" in scopes:
                raise OAuthError("invalid_scope")
        elif grant_type == "refresh_token":
            token = form.get("refresh_token")
            with STATE_LOCK:
                stored = REFRESH_TOKENS.get(token)
                if stored is None or stored["client"] != client_id:
                    raise OAuthError("invalid_grant")
                # IdentityServer3's default: one-time-only refresh tokens (rotation).
                del REFRESH_TOKENS[token]
            user = stored["user"]
            scopes = stored["scopes"]
            if form.get("scope"):
                narrowed = form["scope"].split(" ")
                if not set(narrowed) <= set(scopes):
                    raise OAuthError("invalid_scope")
                scopes = narrowed
        else:  # the extension grant
            if form.get("api_key") != client.get("api_key"):
                raise OAuthError("invalid_grant", "unknown api_key")
            scopes = self.requested_scopes(form, client)

        return 200, self.issue(modes, client_id, user, scopes)

    def authenticate_client(self, modes, form):
        header = self.headers.get("Authorization")
        basic = None
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                raise OAuthError("invalid_client", client_auth=True)
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except Exception:
                raise OAuthError("invalid_client", client_auth=True)
            basic_id, sep, basic_secret = decoded.partition(":")
            if not sep:
                raise OAuthError("invalid_client", client_auth=True)
            if modes.has("rfc"):
                # RFC 6749 section 2.3.1; IdentityServer3 skips this step.
                basic_id = urllib.parse.unquote_plus(basic_id)
                basic_secret = urllib.parse.unquote_plus(basic_secret)
            basic = (basic_id, basic_secret)
        if basic and "client_secret" in form:
            raise OAuthError("invalid_request", "more than one client authentication method")
        if basic:
            if "client_id" in form and form["client_id"] != basic[0]:
                raise OAuthError("invalid_request", "client_id differs from the Basic credentials")
            client_id, secret = basic
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        client = self.fixtures["clients"].get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client", client_auth=True)
        if client.get("public"):
            if secret is not None:
                raise OAuthError("invalid_client", client_auth=True)
        elif secret != client["secret"]:
            raise OAuthError("invalid_client", client_auth=True)
        return client_id, client

    @staticmethod
    def requested_scopes(form, client):
        if "scope" not in form:
            return [s for s in client["scopes"] if s != "offline_access"]
        scopes = [s for s in form["scope"].split(" ")]
        if not all(scopes) or not set(scopes) <= set(client["scopes"]):
            raise OAuthError("invalid_scope")
        return scopes

    def issue(self, modes, client_id, user, scopes):
        lifetime = modes.values.get("expires", self.fixtures["access_token_lifetime"])
        access_token = "at-" + secrets.token_urlsafe(24)
        answer = {"access_token": access_token}
        if not modes.has("no-expiry"):
            answer["expires_in"] = str(lifetime) if modes.has("string-expiry") else lifetime
        answer["token_type"] = "bearer" if modes.has("lowercase") else "Bearer"
        if user is not None and "offline_access" in scopes:
            refresh = "rt-" + secrets.token_urlsafe(24)
            with STATE_LOCK:
                REFRESH_TOKENS[refresh] = {"client": client_id, "user": user, "scopes": scopes}
            answer["refresh_token"] = refresh
        if user is not None and "openid" in scopes:
            answer["id_token"] = fake_jwt({"iss": "qflow-local", "aud": client_id,
                                           "sub": self.fixtures["users"][user]["sub"],
                                           "iat": int(time.time())})
        if modes.has("rfc") or modes.has("lowercase"):
            answer["scope"] = " ".join(scopes)
        if modes.has("lowercase"):
            answer["iat"] = int(time.time())
        with STATE_LOCK:
            ACCESS_TOKENS[access_token] = {"client": client_id, "user": user, "scopes": scopes,
                                           "expires_at": time.time() + lifetime}
        return answer


def fake_jwt(claims):
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return "%s.%s.%s" % (b64({"alg": "none", "typ": "JWT"}), b64(claims), "unsigned")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls_context = None

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so that a client failing it
        # (as the TLS tests make it do) cannot block the accept loop.
        if self.tls_context is not None:
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # clients hanging up mid-answer are expected in the misbehaviour tests


class Server6(Server):
    address_family = socket.AF_INET6


SOCKS_USER, SOCKS_PASSWORD = b"proxyuser", b"proxy&pass"


class SocksServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A SOCKS5 proxy whose every tunnel leads to `http_server` (see the module documentation)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, http_server):
        super().__init__(address, None)
        self.http_server = http_server

    def finish_request(self, request, client_address):
        target = socks5_handshake(request)
        if target is None:
            return
        tunnel = type("SocksTunnel", (Handler,), {"socks_target": target})
        tunnel(request, client_address, self.http_server)

    def handle_error(self, request, client_address):
        pass


def socks5_handshake(sock):
    """Runs the proxy's side of RFC 1928 (and RFC 1929 when the client offers it); answers failures as
    the RFC says. Returns "<host>:<port>" of an accepted CONNECT, else None."""
    def read(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("client hung up")
            data += chunk
        return data

    try:
        version, count = read(2)
        methods = read(count)
        if version != 5:
            return None
        if 2 in methods:  # username/password
            sock.sendall(b"\x05\x02")
            _, user_len = read(2)
            user = read(user_len)
            password = read(read(1)[0])
            if (user, password) != (SOCKS_USER, SOCKS_PASSWORD):
                sock.sendall(b"\x01\x01")
                return None
            sock.sendall(b"\x01\x00")
        elif 0 in methods:
            sock.sendall(b"\x05\x00")
        else:
            sock.sendall(b"\x05\xff")
            return None
        _, command, _, address_type = read(4)
        if address_type == 1:
            host = socket.inet_ntop(socket.AF_INET, read(4))
        elif address_type == 3:
            host = read(read(1)[0]).decode("ascii", "replace")
        elif address_type == 4:
            host = "[%s]" % socket.inet_ntop(socket.AF_INET6, read(16))
        else:
            host = None
        port = int.from_bytes(read(2), "big")
        if command != 1 or host is None:
            sock.sendall(b"\x05\x07\x00\x01" + bytes(6))  # command or address type not supported
            return None
        sock.sendall(b"\x05\x00\x00\x01" + bytes(6))  # succeeded; the bound address is not used
        return "%s:%d" % (host, port)
    except (ConnectionError, OSError, ValueError):
        return None


# The HTTPS listeners of --tls: (name in the start-up line, certificate, highest TLS version).
TLS_LISTENERS = (
    ("https", "server", None),
    ("https_wrong_host", "wronghost", None),
    ("https_expired", "expired", None),
    ("https_tls11", "server", ssl.TLSVersion.TLSv1_1),
)

# Leaf certificates: name -> (subjectAltName, validity as openssl ca options).
LEAVES = {
    "server": ("IP:127.0.0.1,IP:::1,DNS:localhost", ["-days", "2"]),
    "wronghost": ("DNS:wrong-host.invalid", ["-days", "2"]),
    "expired": ("IP:127.0.0.1,IP:::1,DNS:localhost", ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"]),
}

CA_CONFIG = """[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
[any]
commonName = supplied
"""


def make_test_ca(directory):
    """A CA and the LEAVES it signs, made with the openssl command; returns the CA file and
    {leaf: (certificate, key)}."""
    if shutil.which("openssl") is None:
        raise SystemExit("identity-server: the openssl command is needed for --tls (apt-get install openssl)")

    def run(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def write(name, text):
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=qflow-auth local test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    write("ca.cnf", CA_CONFIG)
    write("index.txt", "")
    write("serial", "01\n")
    leaves = {}
    for name, (names, validity) in LEAVES.items():
        run("req", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        write(name + ".ext", "subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
              "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n" % names)
        # `openssl ca`, unlike `openssl x509 -req`, can set a validity in the past (the expired leaf).
        run("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-notext",
            "-in", name + ".csr", "-out", name + ".pem", "-extfile", name + ".ext", *validity)
        leaves[name] = (os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key"))
    return os.path.join(directory, "ca.pem"), leaves


def serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="HTTP port (0: any free port)")
    parser.add_argument("--tls", action="store_true", help="also serve HTTPS with a throw-away CA")
    parser.add_argument("--ready-file", help="write the start-up JSON line to this file too")
    parser.add_argument("--fixtures", default=os.path.join(HERE, "fixtures.json"))
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    Handler.fixtures = load_fixtures(args.fixtures)
    Handler.verbose = args.verbose

    http_server = Server(("127.0.0.1", args.port), Handler)
    socks_server = SocksServer(("127.0.0.1", 0), http_server)
    info = {"pid": os.getpid(), "http": "http://127.0.0.1:%d" % http_server.server_address[1],
            "http6": None, "ca_file": None, "socks5": "127.0.0.1:%d" % socks_server.server_address[1]}
    info.update({key: None for key, _, _ in TLS_LISTENERS})
    serve(http_server)
    serve(socks_server)

    try:
        http6_server = Server6(("::1", 0), Handler)
        info["http6"] = "http://[::1]:%d" % http6_server.server_address[1]
        serve(http6_server)
    except OSError:
        pass  # no IPv6 loopback on this machine; tests that need it say so

    workdir = None
    if args.tls:
        workdir = tempfile.mkdtemp(prefix="qflow-identity-")
        ca_file, leaves = make_test_ca(workdir)
        info["ca_file"] = ca_file
        for key, leaf, highest_version in TLS_LISTENERS:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*leaves[leaf])
            if highest_version is not None:
                # An outdated server: TLS 1.0/1.1 only, which OpenSSL 3 allows at security level 0.
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.maximum_version = highest_version
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
            https_server = Server(("127.0.0.1", 0), Handler)
            https_server.tls_context = context
            info[key] = "https://127.0.0.1:%d" % https_server.server_address[1]
            serve(https_server)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.exit_on_stdin_eof:
        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            stop.set()
        threading.Thread(target=watch_stdin, daemon=True).start()

    line = json.dumps(info)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.replace(tmp, args.ready_file)
    print(line, flush=True)

    stop.wait()
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    os._exit(0)


if __name__ == "__main__":
    main()
