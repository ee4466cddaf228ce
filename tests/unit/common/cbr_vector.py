# Where sigv4_test's CloudBasic ("cbr") expectations come from: botocore's
# SigV4Auth, an implementation independent of adapters/common/sigv4.cpp.
# Not run by ctest; run it by hand (python3 cbr_vector.py, botocore installed)
# and compare with the constants in sigv4_test.cpp. botocore signs the query
# as given (already canonical here) and double-encodes the path like AWS's
# non-S3 services.
import datetime, hashlib
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

botocore.auth.get_current_datetime = lambda: datetime.datetime(2024, 2, 29, 23, 59, 7)
seen = {}
orig = botocore.auth.SigV4Auth.canonical_request
def record(self, request):
    seen['creq'] = orig(self, request)
    return seen['creq']
botocore.auth.SigV4Auth.canonical_request = record

def run(method, url, body, headers, token=None):
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    auth = botocore.auth.SigV4Auth(Credentials("DJHDYSIRYGJBEETGDQCP", "cbrsecret/EXAMPLE+KEY", token), "cbr", "us-east-1")
    auth.add_auth(req)
    print(seen['creq'])
    print("---")
    for k, v in req.headers.items():
        print(f"{k}: {v}")
    print("=====")

body = b'{"name":"nightly","source":"db1"}'
run("POST", "https://cloudbasic.example.com:445/api/replications/my%20job?status=active&limit=10", body,
    {"Host": "cloudbasic.example.com:445", "Content-Type": "application/json", "Content-Length": str(len(body)),
     "X-Amz-Content-Sha256": hashlib.sha256(body).hexdigest()})
run("GET", "https://cloudbasic.example.com:445/api/instances", b"",
    {"Host": "cloudbasic.example.com:445", "Accept": "application/json",
     "X-Amz-Content-Sha256": hashlib.sha256(b"").hexdigest()}, token="FQoGZXIvYXdzEXAMPLETOKEN//+=")
