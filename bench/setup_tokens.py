#!/usr/bin/env python3
"""Setup phase of bench/run.sh (stdlib only): drives the authorization code flow as a
browser would (login page, consent page, code), exchanges each code at /token, and writes
the tokens the load phase needs.

    setup_tokens.py BASE_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD N OUT_DIR

Writes OUT_DIR/refresh_tokens.txt (N refresh tokens, one per line, each from its own code
flow, so N independent token families) and OUT_DIR/access_token.txt (a user access token
from one more flow, for /userinfo).
"""
import base64
import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def field(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    if not m:
        raise SystemExit(f"setup: no hidden field {name!r} in page:\n{page[:2000]}")
    return (
        m.group(1)
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x3f;", "?")
        .replace("&quot;", '"')
    )


class Browser:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path_or_url, form=None, headers=None):
        url = path_or_url if "://" in path_or_url else self.base + path_or_url
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            resp = self.opener.open(req, timeout=30)
        except urllib.error.HTTPError as e:  # 3xx (redirects are not followed) and errors
            resp = e
        body = resp.read().decode("utf-8", "replace")
        return resp.status if hasattr(resp, "status") else resp.code, resp.headers, body


def code_flow(browser, client_id, redirect_uri, email, password, scope):
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": "bench",
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    url = "/authorize?" + query
    for _ in range(10):
        status, headers, body = browser.request(url)
        if status not in (302, 303, 307):
            raise SystemExit(f"setup: GET {url} answered {status}:\n{body[:2000]}")
        location = headers["Location"]
        if not location.startswith("/"):
            params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
            if "code" not in params:
                raise SystemExit(f"setup: no code in redirect {location}")
            return params["code"], verifier
        path = location.split("?", 1)[0]
        if path == "/login":
            _, _, page = browser.request(location)
            status, headers, body = browser.request(
                "/login",
                form={
                    "email": email,
                    "password": password,
                    "csrf_token": field(page, "csrf_token"),
                    "return_to": field(page, "return_to"),
                },
            )
            if status != 303:
                raise SystemExit(f"setup: login answered {status}:\n{body[:2000]}")
            url = headers["Location"]
        elif path == "/consent":
            _, _, page = browser.request(location)
            status, headers, body = browser.request(
                "/consent",
                form={
                    "csrf_token": field(page, "csrf_token"),
                    "request": field(page, "request"),
                    "decision": "allow",
                },
            )
            if status != 303:
                raise SystemExit(f"setup: consent answered {status}:\n{body[:2000]}")
            url = headers["Location"]
            if not url.startswith("/"):
                params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
                return params["code"], verifier
        else:
            url = location
    raise SystemExit("setup: too many redirects")


def exchange(base, client_id, secret, redirect_uri, code, verifier):
    basic = base64.b64encode(
        f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(secret, safe='')}".encode()
    ).decode()
    data = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    ).encode()
    req = urllib.request.Request(
        base + "/token",
        data=data,
        headers={
            "Authorization": "Basic " + basic,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        raise SystemExit(f"setup: /token answered {e.code}: {e.read()[:1000]!r}")


def main():
    base, client_id, secret, redirect_uri, email, password, n, out_dir = sys.argv[1:9]
    n = int(n)
    browser = Browser(base)  # one browser: logs in once, then its session is reused
    scope = "openid email offline_access"
    refresh_tokens = []
    for _ in range(n):
        code, verifier = code_flow(browser, client_id, redirect_uri, email, password, scope)
        tokens = exchange(base, client_id, secret, redirect_uri, code, verifier)
        if "refresh_token" not in tokens:
            raise SystemExit(f"setup: no refresh_token in token response: {tokens}")
        refresh_tokens.append(tokens["refresh_token"])
    code, verifier = code_flow(browser, client_id, redirect_uri, email, password, scope)
    access_token = exchange(base, client_id, secret, redirect_uri, code, verifier)["access_token"]
    with open(os.path.join(out_dir, "refresh_tokens.txt"), "w") as f:
        f.write("\n".join(refresh_tokens) + "\n")
    with open(os.path.join(out_dir, "access_token.txt"), "w") as f:
        f.write(access_token + "\n")
    print(f"setup: {n} refresh token families and 1 access token minted through the code flow")


if __name__ == "__main__":
    main()
