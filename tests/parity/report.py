"""A command-line run of the whole parity suite that groups the failures by cause.

    cd tests && ../.venv/bin/python -m parity.report [--scale 10] [--programs | --misuse] [--scripts]

Programs that fail are cut down to the one call that fails alone; failures are grouped by that
call's op and what went wrong (exception type and message, or which comparison), misuse cases by
family, verdict and message, with numbers and names blanked out. Each group prints its count, one
example (a program id or case id and its failing line) and, with --scripts, the repro script.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import time
from dataclasses import dataclass, field

from . import misuse, programs


def _norm(text: str) -> str:
    text = re.sub(r"\b[vl]\d+\b", "v", text)
    text = re.sub(r"tensor\(\[.*", "tensor(...)", text)
    text = re.sub(r"\[[-\d., e+]*\]", "[..]", text)
    text = re.sub(r"\([-\d, ]*\)", "(..)", text)
    text = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "N", text)
    return text[:150]


@dataclass
class Group:
    count: int = 0
    examples: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


def _program_signature(prog: programs.Program, out: programs.Outcome) -> tuple[str, str, str]:
    """(group key, example line, repro script)."""
    iso = programs.isolate(prog, out)
    if iso is not None:
        sub, sub_out = iso
        f = sub_out.failures[0]
        calls = [ln for ln in sub.lines if ln.op not in ("leaf", "const")]
        head = " + ".join(ln.op for ln in calls)
        src, fo, script = "; ".join(ln.al for ln in calls), sub_out, programs.repro(sub, sub_out)
    else:
        f = out.failures[0]
        head = "composition"
        src, fo, script = "(whole program)", out, programs.repro(prog, out)
    kinds = sorted({x.kind for x in fo.failures})
    if f.kind in ("raises", "accepts", "oracle"):
        detail = _norm(f.detail)
    else:
        where = re.sub(r"\[.*", "[]", f.where)
        where = "value" if re.fullmatch(r"v\d+", f.where) else where
        detail = f"{f.kind} of {where}" + (f": {_norm(f.detail)[:60]}" if f.kind in ("dtype", "shape", "type") else "")
    return f"{head} | {'/'.join(kinds)} | {detail}", f"{prog.name}: {src}", script


def run_programs(ids: list[str]) -> tuple[dict[str, Group], int, collections.Counter]:
    groups: dict[str, Group] = collections.defaultdict(Group)
    documented: collections.Counter = collections.Counter()
    failed = 0
    for pid in ids:
        prog = programs.generate(pid)
        out = programs.check(prog)
        for d in out.documented:
            documented[_norm(d)[:110]] += 1
        if not out.failures:
            continue
        failed += 1
        key, example, script = _program_signature(prog, out)
        g = groups[key]
        g.count += 1
        if len(g.examples) < 3:
            g.examples.append(example)
            g.scripts.append(script)
    return groups, failed, documented


def run_misuse(cases: list[misuse.Case]) -> tuple[dict[str, Group], int, collections.Counter]:
    groups: dict[str, Group] = collections.defaultdict(Group)
    documented: collections.Counter = collections.Counter()
    failed = 0
    for case in cases:
        res = misuse.run_case(case)
        if res.kind == "ok":
            if res.detail.startswith("al's values and gradients are those of torch's functional"):
                documented["in-place: torch refuses the backward; al matches torch's functional equivalent"] += 1
            continue
        if res.kind == "documented":
            documented[res.detail] += 1
            continue
        failed += 1
        if res.kind in ("accepts", "rejects", "message", "setup", "oracle"):
            err = res.al if res.kind in ("rejects", "message", "setup") else res.torch
            what = err.describe_error() if err is not None and err.raised else ""
        else:
            what = res.detail
        key = f"{case.family} | {res.kind} | {_norm(what)[:110]}"
        g = groups[key]
        g.count += 1
        if len(g.examples) < 4:
            g.examples.append(f"{case.id}: {case.call.splitlines()[-1]}")
            g.scripts.append(misuse.message(case, res))
    return groups, failed, documented


def _print(title: str, groups: dict[str, Group], scripts: bool) -> None:
    print(f"\n=== {title}: {sum(g.count for g in groups.values())} failures in {len(groups)} groups")
    for key, g in sorted(groups.items(), key=lambda kv: (-kv[1].count, kv[0])):
        print(f"{g.count:5d}  {key}")
        for ex in g.examples:
            print(f"         e.g. {ex}")
        if scripts:
            print("\n" + g.scripts[0] + "\n")


def _print_documented(how: str, documented: collections.Counter) -> None:
    """The README's documented differences the run met (not failures), most frequent first."""
    if documented:
        print(f"\n=== documented differences seen (README), {how}, not failures:")
        for k, n in documented.most_common():
            print(f"{n:5d}  {k}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=None, help="as PARITY_SCALE (default: its value, or 1)")
    ap.add_argument("--programs", action="store_true", help="only the random programs")
    ap.add_argument("--misuse", action="store_true", help="only the misuse cases")
    ap.add_argument("--scripts", action="store_true", help="print one repro script per group")
    args = ap.parse_args(argv)
    if args.scale is not None:
        os.environ["PARITY_SCALE"] = str(args.scale)
    both = not (args.programs or args.misuse)
    if args.programs or both:
        t0 = time.time()
        ids = programs.program_ids()
        groups, failed, documented = run_programs(ids)
        print(f"programs: {failed} of {len(ids)} fail ({time.time() - t0:.1f} s)")
        _print("programs, grouped by the call that fails alone", groups, args.scripts)
        _print_documented("verified", documented)
    if args.misuse or both:
        t0 = time.time()
        cases = misuse.all_cases(programs.scale())
        groups, failed, documented = run_misuse(cases)
        print(f"\nmisuse: {failed} of {len(cases)} cases fail ({time.time() - t0:.1f} s)")
        _print("misuse cases, grouped by family, verdict and message", groups, args.scripts)
        _print_documented("skipped or verified", documented)
    return 0


if __name__ == "__main__":
    sys.exit(main())
