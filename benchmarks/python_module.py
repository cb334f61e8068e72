#!/usr/bin/python3
"""The Python module against the Python way, inside a training script: a HigherHRNet-W48-shaped COCO
checkpoint (~256 MB, benchmarks/data/higherhrnet_w48_coco.tsv) into a CrowdPose model of the same
width that the script has already built (benchmarks/data/higherhrnet_w48_crowdpose.tsv), two ways:

  module  plan = graft.plan(RULES, SRC, model); model.load_state_dict(plan.apply(), strict=True)
  python  src = torch.load(SRC); python_way.convert(src, model.state_dict()) (index_select of the 12
          shared joints); model.load_state_dict(..., strict=True)

Each run is a fresh process (one per way, alternating: module, python, module, ...). It builds the
model (not timed), then times the conversion by wall clock and measures the memory it adds: the peak
RSS over the process's RSS before the conversion (VmHWM, reset through /proc/self/clear_refs; it counts
the mapped source's file pages, which the kernel can drop, as well as anonymous memory), and the
anonymous memory (RssAnon: copies of tensors) still added while the converted tensors are alive. The
two ways' models are checked equal. One untimed warm-up round first (a warm page cache for both).

usage: python_module.py [--runs N] [--work DIR] [--smoke]     (run with /usr/bin/python3; the build
tree's graft package on PYTHONPATH, e.g. PYTHONPATH=build/python). --smoke: a width-4 model, one run.
"""
import argparse
import gc
import hashlib
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "python"))
RULES = ROOT / "rules" / "pose" / "higherhrnet_coco_to_crowdpose.graft"


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no %s in /proc/self/status" % field)


def child(way, src, crowdpose_tsv):
    """One run in this process; prints a JSON line."""
    import torch

    import graft
    import python_way
    from manifest_model import ManifestModule

    torch.set_num_threads(1)
    model = ManifestModule(graft.read(crowdpose_tsv), seed=2)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    rss0, anon0 = status("VmRSS"), status("RssAnon")
    t0 = time.perf_counter()
    if way == "module":
        converted = graft.plan(RULES, src, model).apply()
    else:
        converted = python_way.convert(torch.load(src, map_location="cpu"), model.state_dict())
    model.load_state_dict(converted, strict=True)
    seconds = time.perf_counter() - t0
    anon = status("RssAnon") - anon0
    peak = status("VmHWM") - rss0
    digest = hashlib.sha256()
    for name, t in model.state_dict().items():
        digest.update(name.encode())
        digest.update(t.contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    print(json.dumps({"way": way, "seconds": seconds, "peak": peak, "anon": anon, "sha256": digest.hexdigest()}))


def make_inputs(work, smoke):
    """The source checkpoint and the destination's manifest (remade when missing)."""
    import torch

    import graft
    from manifest_model import state_dict_of

    data = ROOT / "benchmarks" / "data"
    coco_tsv, crowdpose_tsv = data / "higherhrnet_w48_coco.tsv", data / "higherhrnet_w48_crowdpose.tsv"
    if smoke:
        scale = ROOT / "benchmarks" / "scale_manifest"
        manifests = ROOT / "tests" / "data" / "manifests"
        for name in ("coco", "crowdpose"):
            with open(work / ("w4_%s.tsv" % name), "w") as out:
                subprocess.run([str(scale), str(manifests / ("higherhrnet_w32_512_%s.tsv" % name)), "4"], stdout=out,
                               check=True)
        coco_tsv, crowdpose_tsv = work / "w4_coco.tsv", work / "w4_crowdpose.tsv"
    src = work / (coco_tsv.stem + ".pth")
    if not src.exists() or src.stat().st_mtime < coco_tsv.stat().st_mtime:
        torch.save(state_dict_of(graft.read(coco_tsv), seed=1), src)
    return src, crowdpose_tsv


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", type=pathlib.Path, default=ROOT / "build-bench" / "python_module")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    if args.smoke:
        args.runs = 1
        args.work = args.work.with_name("python_module_smoke")
    args.work.mkdir(parents=True, exist_ok=True)
    src, crowdpose_tsv = make_inputs(args.work, args.smoke)
    size = os.path.getsize(src)
    results = {"module": [], "python": []}
    for run in range(args.runs + (0 if args.smoke else 1)):
        for way in ("module", "python"):
            done = subprocess.run([sys.executable, __file__, "--child", way, str(src), str(crowdpose_tsv)],
                                  capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
            if done.returncode != 0:
                sys.exit("python_module: the %s run failed:\n%s" % (way, done.stderr))
            r = json.loads(done.stdout.strip().splitlines()[-1])
            if run > 0 or args.smoke:
                results[way].append(r)
    digests = {r["sha256"] for rs in results.values() for r in rs}
    if len(digests) != 1:
        sys.exit("python_module: the two ways' models differ")
    print("HigherHRNet %s COCO -> CrowdPose into a built model, source %.0f MB, %d runs each (median)"
          % ("w4" if args.smoke else "w48", size / 1e6, len(results["module"])))
    print("%-8s %10s %18s %20s  %s" % ("way", "wall s", "peak RSS added MB", "anonymous added MB", "runs, wall s"))
    med = {}
    for way, rs in results.items():
        med[way] = [statistics.median(r[k] for r in rs) for k in ("seconds", "peak", "anon")]
        print("%-8s %10.3f %18.0f %20.0f  %s" % (way, med[way][0], med[way][1] / 1e6, med[way][2] / 1e6,
                                                 " ".join("%.3f" % r["seconds"] for r in rs)))
    print("module: %.1fx faster than the Python way; the models are equal" % (med["python"][0] / med["module"][0]))


if __name__ == "__main__":
    main()
