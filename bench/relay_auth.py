#!/usr/bin/env python3
"""bench/relay_auth.py: the upstream credentials of the relay ceilings (W3r, W4r).

W3r and W4r send W3's and W4's upstream requests through each proxy as plain
pass-throughs, with the credentials fixed in the proxy's configuration, so that
the proxy does none of the adapter's work (no login, no list envelope, no
signature). These are those credentials, made by bench/run before each of the
two workloads:

  relay_auth.py cpm-token PORT API_KEY
      POST /api/token/obtain/api_key/ on backup-sim's CPM port; prints the access
      token (valid an hour: the simulator's default access_ttl).
  relay_auth.py sigv4 HOST PATH ACCESS_KEY_ID SECRET REGION
      signs GET PATH for Host HOST (service cbr, empty body; host,
      x-amz-content-sha256 and x-amz-date signed); prints three lines
      NAME<TAB>VALUE: X-Amz-Date, X-Amz-Content-Sha256, Authorization.
      backup-sim accepts the signature for max_skew_seconds (900 s), longer
      than one workload.

The secrets are the simulator's demo defaults; nothing here is printed but the
token and the headers, which bench/run writes into the proxies' files.
"""
import datetime
import hashlib
import hmac
import json
import sys
import urllib.parse
import urllib.request


def cpm_token(port, api_key):
    body = urllib.parse.urlencode({"api_key": api_key}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/token/obtain/api_key/", data=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as res:
        print(json.load(res)["access"])


def sigv4(host, path, key_id, secret, region):
    service = "cbr"
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    payload_hash = hashlib.sha256(b"").hexdigest()
    # A path of unreserved characters only: its canonical (normalized,
    # double-encoded) form is itself.
    if any(not (c.isalnum() or c in "/-._~") for c in path):
        sys.exit(f"relay_auth.py: path {path!r}: only unreserved characters are supported")
    names = "host;x-amz-content-sha256;x-amz-date"
    canonical = "\n".join([
        "GET", path, "",
        f"host:{host}", f"x-amz-content-sha256:{payload_hash}", f"x-amz-date:{amz_date}", "",
        names, payload_hash])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    print(f"X-Amz-Date\t{amz_date}")
    print(f"X-Amz-Content-Sha256\t{payload_hash}")
    print(f"Authorization\tAWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={names}, Signature={signature}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "cpm-token":
        cpm_token(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 7 and sys.argv[1] == "sigv4":
        sigv4(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
