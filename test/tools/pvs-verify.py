#!/usr/bin/python3
"""Independent pvs@2 verifier for the tests, written from spec pvr-format A.3 with Debian's
python3-jwcrypto: recompute the payload from .pvr/json with the signature's own globs (a regex
translation of doublestar for *, ** and ?), then verify the detached JWS with the given PEM key.
Usage: pvs-verify.py STATE_JSON SIG_JSON PUBKEY_PEM  -> prints OK, exits 1 on failure."""
import base64, json, re, sys
from jwcrypto import jwk, jws

def glob_re(p):
    out, i = "", 0
    while i < len(p):
        if p.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif p.startswith("**", i):
            out, i = out + ".*", i + 2
        elif p[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif p[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(p[i]), i + 1
    return re.compile("^" + out + "$", re.S)

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

state = json.load(open(sys.argv[1], encoding="utf-8"))
sig = json.load(open(sys.argv[2], encoding="utf-8"))
prot = sig["protected"]
header = json.loads(base64.urlsafe_b64decode(prot + "=" * (-len(prot) % 4)))
inc = [glob_re(g) for g in header["pvs"]["include"]]
exc = [glob_re(g) for g in header["pvs"]["exclude"]]
sel = {k: v for k, v in state.items() if any(r.match(k) for r in inc) and not any(r.match(k) for r in exc)}
payload = json.dumps(sel, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
token = jws.JWS()
token.deserialize(json.dumps({"protected": prot, "payload": b64url(payload), "signature": sig["signature"]}))
token.verify(jwk.JWK.from_pem(open(sys.argv[3], "rb").read()))
print("OK", header["alg"], len(sel))
