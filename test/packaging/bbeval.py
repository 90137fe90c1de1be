"""Evaluates a BitBake recipe the way bitbake would for one machine, enough to check the pvr
recipes without an OE build tree: assignments (=, ?=, ??=, :=, +=) with continued lines, varflags
(SRC_URI[name.sha256sum]), include/require, inherit, addtask, shell and python functions,
${VAR} and ${@python} expansion, and the recipe's anonymous python (bb.parse.SkipRecipe).

Usage: bbeval.py RECIPE [NAME=VALUE ...]  ->  JSON on stdout:
  {"vars": {...expanded...}, "flags": {"VAR[flag]": ...}, "inherits": [...], "includes": [...],
   "tasks": [...], "funcs": {name: expanded body}, "skipped": reason or null}
"""
import json
import os
import re
import sys


class SkipRecipe(Exception):
    pass


class bb:  # the part of bitbake's module the recipes use
    class parse:
        SkipRecipe = SkipRecipe


class Data:
    def __init__(self):
        self.vars, self.flags = {}, {}

    def setVar(self, k, v):
        self.vars[k] = v

    def getVar(self, k, expand=True):
        v = self.vars.get(k)
        return self.expand(v) if v is not None and expand else v

    def getVarFlag(self, k, f, expand=True):
        v = self.flags.get("%s[%s]" % (k, f))
        return self.expand(v) if v is not None and expand else v

    def expand(self, s):
        out, i = [], 0
        while True:
            j = s.find("${", i)
            if j < 0:
                return "".join(out) + s[i:]
            out.append(s[i:j])
            k, level = j + 2, 1
            while k < len(s) and level:
                level += {"{": 1, "}": -1}.get(s[k], 0)
                k += 1
            inner = s[j + 2:k - 1]
            if inner.startswith("@"):
                out.append(str(eval(inner[1:], {"d": self, "bb": bb, "os": os})))
            else:
                v = self.getVar(inner)
                out.append(v if v is not None else "${%s}" % inner)
            i = k


ASSIGN = re.compile(r'^(?:export\s+)?([\w${}:.+/-]+?)(\[[^\]]+\])?\s*(\?\?=|\?=|:=|\+=|=)\s*"(.*)"\s*$', re.S)


def parse(path, d, info, required=True):
    if not os.path.exists(path):
        if required:
            raise SystemExit("missing %s" % path)
        return
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + "\n" + lines[i]
        i += 1
        s = line.strip()
        fn = re.match(r"^(?:fakeroot\s+)?(python\s+)?([\w-]+)\s*\(\)\s*\{$", s)
        if fn:
            body = []
            while lines[i] != "}":
                body.append(lines[i])
                i += 1
            i += 1
            info["funcs"][fn.group(2)] = "\n".join(body)
            continue
        m = ASSIGN.match(s)
        if m:
            key, flag, op, val = m.group(1), m.group(2), m.group(3), m.group(4)
            store, name = (d.flags, key + flag) if flag else (d.vars, key)
            if op in ("?=", "??=") and name in store:
                continue
            store[name] = (store.get(name, "") + " " + val) if op == "+=" else (d.expand(val) if op == ":=" else val)
        elif s.startswith(("include ", "require ")):
            inc = d.expand(s.split(None, 1)[1])
            info["includes"].append(inc)
            parse(os.path.join(os.path.dirname(path), inc), d, info, s.startswith("require"))
        elif s.startswith("inherit "):
            info["inherits"] += s.split()[1:]
        elif s.startswith("addtask "):
            info["tasks"].append(s)


def main():
    recipe = sys.argv[1]
    d = Data()
    pn, _, pv = os.path.basename(recipe)[:-3].partition("_")
    d.vars.update({"PN": pn, "PV": pv, "WORKDIR": "/work/" + pn})
    for a in sys.argv[2:]:
        k, _, v = a.partition("=")
        d.vars[k] = v
    info = {"funcs": {}, "inherits": [], "includes": [], "tasks": []}
    parse(recipe, d, info)
    skipped = None
    if "__anonymous" in info["funcs"]:
        try:
            exec("def __anonymous(d):\n" + info["funcs"]["__anonymous"] + "\n__anonymous(d)", {"bb": bb, "d": d})
        except SkipRecipe as e:
            skipped = str(e)
    out = {}
    for k in d.vars:
        try:
            out[k] = d.getVar(k)
        except Exception as e:  # an expression that cannot run here (needs real bitbake)
            out[k] = "<error: %s>" % e
    flags = {k: d.expand(v) for k, v in d.flags.items()}
    info["funcs"] = {k: (v if k == "__anonymous" else d.expand(v)) for k, v in info["funcs"].items()}
    print(json.dumps(dict(vars=out, flags=flags, skipped=skipped, **info)))


main()
