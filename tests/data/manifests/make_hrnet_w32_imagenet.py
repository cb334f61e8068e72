"""Builds hrnet_w32_imagenet.tsv: the name/shape manifest of an HRNet-W32 ImageNet classifier.

Synthetic (no ImageNet checkpoint is shipped): the backbone (conv1 ... stage4) is HigherHRNet-W32's,
which is the same network; the last stage4 module also fuses into branches 1-3 (the classifier keeps
all resolutions, pose models only the highest), built like stage4.1's fuse layers; then the
classification head: incre_modules (a Bottleneck per branch), downsamp_modules, final_layer and the
1000-class classifier, with HRNet-W32-C's widths.
"""
import sys

here = sys.argv[1] if len(sys.argv) > 1 else "."
lines = [l for l in open(f"{here}/higherhrnet_w32_512_coco.tsv").read().splitlines()]
backbone_heads = ("conv1.", "bn1.", "conv2.", "bn2.", "layer1.", "transition", "stage")
out = ["# synthetic: see make_hrnet_w32_imagenet.py"]
out += [l for l in lines if l.startswith(backbone_heads) and not l.startswith("transition_")]
out += [l.replace("stage4.1.fuse_layers.", "stage4.2.fuse_layers.", 1)
        for l in lines if l.startswith(("stage4.1.fuse_layers.1.", "stage4.1.fuse_layers.2.", "stage4.1.fuse_layers.3."))]

def bn(name, c):
    return [f"{name}.weight\tfloat32\t{c}\tparam", f"{name}.bias\tfloat32\t{c}\tparam",
            f"{name}.running_mean\tfloat32\t{c}\tbuffer", f"{name}.running_var\tfloat32\t{c}\tbuffer",
            f"{name}.num_batches_tracked\tint64\t\tbuffer"]

def conv(name, o, i, k):
    return [f"{name}.weight\tfloat32\t{o},{i},{k},{k}\tparam"]

head_channels = [32, 64, 128, 256]
for b, c in enumerate([32, 64, 128, 256]):
    p = f"incre_modules.{b}.0"
    out += conv(f"{p}.conv1", head_channels[b], c, 1) + bn(f"{p}.bn1", head_channels[b])
    out += conv(f"{p}.conv2", head_channels[b], head_channels[b], 3) + bn(f"{p}.bn2", head_channels[b])
    out += conv(f"{p}.conv3", head_channels[b] * 4, head_channels[b], 1) + bn(f"{p}.bn3", head_channels[b] * 4)
    out += conv(f"{p}.downsample.0", head_channels[b] * 4, c, 1) + bn(f"{p}.downsample.1", head_channels[b] * 4)
for b in range(3):
    i, o = head_channels[b] * 4, head_channels[b + 1] * 4
    out += [f"downsamp_modules.{b}.0.weight\tfloat32\t{o},{i},3,3\tparam", f"downsamp_modules.{b}.0.bias\tfloat32\t{o}\tparam"]
    out += bn(f"downsamp_modules.{b}.1", o)
out += [f"final_layer.0.weight\tfloat32\t2048,1024,1,1\tparam", f"final_layer.0.bias\tfloat32\t2048\tparam"]
out += bn("final_layer.1", 2048)
out += ["classifier.weight\tfloat32\t1000,2048\tparam", "classifier.bias\tfloat32\t1000\tparam"]
open(f"{here}/hrnet_w32_imagenet.tsv", "w").write("\n".join(out) + "\n")
