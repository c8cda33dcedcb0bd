"""Converts the Keras layers model of npm nsfwjs (MobileNetV2, unpacked by unpack_tfjs.js) to
ONNX with python3-torch: a generic rebuild of the layers it uses (ZeroPadding2D, Conv2D,
DepthwiseConv2D, BatchNormalization, ReLU, Add, AveragePooling2D, Flatten, Dropout, Dense),
weights dequantised from uint8 (value = min + q * scale), exported at opset 9 (which OpenCV
4.6's importer takes: Clip and Pad with attributes) with a dynamic batch axis.

    /usr/bin/python3 nsfwjs_to_onnx.py UNPACKED_DIR OUT.onnx [OUT.pt]

The input is NCHW float RGB in [0, 1] (nsfwjs divides pixels by 255), named "input"; the
output "probabilities". OUT.pt, when given, is the same network as TorchScript returning the
1280-d pooled features (the image benchmark's python3-torch peer). Checks the rebuild against the reference of the TF.js runtime on a
constant 0.5 image before writing.
"""
import json
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

src, out = sys.argv[1], sys.argv[2]
model = json.load(open(f"{src}/model.json"))
raw = np.fromfile(f"{src}/weights.bin", dtype=np.uint8)
weights, at = {}, 0
for w in model["weightsManifest"][0]["weights"]:
    n = int(np.prod(w["shape"]))
    q = w["quantization"]
    assert q["dtype"] == "uint8", w
    weights[w["name"]] = (raw[at:at + n].astype(np.float32) * q["scale"] + q["min"]).reshape(w["shape"])
    at += n
assert at == raw.size, (at, raw.size)
layers = model["modelTopology"]["model_config"]["config"]["layers"]


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


class Keras(nn.Module):
    def __init__(self):
        super().__init__()
        self.mods = nn.ModuleDict()
        for l in layers:
            c, name = l["config"], l["name"]
            kind = l["class_name"]
            if kind == "Conv2D" or kind == "DepthwiseConv2D":
                assert c["dilation_rate"] == [1, 1] and c["activation"] == "linear"
                k = weights[f"{name}/kernel" if kind == "Conv2D" else f"{name}/depthwise_kernel"]
                kh, kw, cin = k.shape[0], k.shape[1], k.shape[2]
                pad = (kh // 2, kw // 2) if c["padding"] == "same" else (0, 0)
                if kind == "Conv2D":
                    m = nn.Conv2d(cin, k.shape[3], (kh, kw), tuple(c["strides"]), pad,
                                  bias=c["use_bias"])
                    m.weight.data = t(k.transpose(3, 2, 0, 1))
                else:
                    assert c["depth_multiplier"] == 1
                    m = nn.Conv2d(cin, cin, (kh, kw), tuple(c["strides"]), pad, groups=cin,
                                  bias=c["use_bias"])
                    m.weight.data = t(k.transpose(2, 3, 0, 1))
                if c["use_bias"]:
                    m.bias.data = t(weights[f"{name}/bias"])
                self.mods[name] = m
            elif kind == "BatchNormalization":
                m = nn.BatchNorm2d(weights[f"{name}/gamma"].shape[0], eps=c["epsilon"])
                m.weight.data = t(weights[f"{name}/gamma"])
                m.bias.data = t(weights[f"{name}/beta"])
                m.running_mean.data = t(weights[f"{name}/moving_mean"])
                m.running_var.data = t(weights[f"{name}/moving_variance"])
                self.mods[name] = m
            elif kind == "Dense":
                k = weights[f"{name}/kernel"]
                m = nn.Linear(k.shape[0], k.shape[1])
                m.weight.data = t(k.T)
                m.bias.data = t(weights[f"{name}/bias"])
                self.mods[name] = m

    def forward(self, x):
        values = {}
        for l in layers:
            ins = [values[i[0]] for i in l["inbound_nodes"][0]] if l["inbound_nodes"] else [x]
            values[l["name"]] = self.apply(l, ins)
        return values[model["modelTopology"]["model_config"]["config"]["output_layers"][0][0]]

    def apply(self, l, ins):
        c, name, kind = l["config"], l["name"], l["class_name"]
        y = ins[0]
        if kind == "ZeroPadding2D":
            (top, bottom), (left, right) = c["padding"]
            y = F.pad(y, (left, right, top, bottom))
        elif kind in ("Conv2D", "DepthwiseConv2D", "BatchNormalization"):
            y = self.mods[name](y)
        elif kind == "ReLU":
            assert c["negative_slope"] == 0 and c["threshold"] == 0
            y = torch.clamp(y, 0, c["max_value"]) if c["max_value"] else F.relu(y)
        elif kind == "Add":
            y = ins[0]
            for other in ins[1:]:
                y = y + other
        elif kind == "AveragePooling2D":
            assert c["padding"] == "valid"
            y = F.avg_pool2d(y, tuple(c["pool_size"]), tuple(c["strides"]))
        elif kind == "Flatten":
            y = torch.flatten(y.permute(0, 2, 3, 1), 1)  # Keras flattens channels last
        elif kind == "Dense":
            y = self.mods[name](y)
            act = c["activation"]
            y = F.relu(y) if act == "relu" else F.softmax(y, dim=1) if act == "softmax" else y
            assert act in ("relu", "softmax", "linear"), act
        elif kind not in ("InputLayer", "Dropout"):
            raise ValueError(f"layer {name}: {kind} is not supported")
        return y


net = Keras().eval()
with torch.no_grad():
    got = net(torch.full((1, 3, 224, 224), 0.5))[0].numpy()
# What @tensorflow/tfjs (pure-JS CPU backend) gives for the same model and input.
want = np.array([0.83755, 0.02360, 0.12880, 0.00853, 0.00153])
if np.abs(got - want).max() > 2e-4:
    sys.exit(f"the rebuilt network disagrees with TF.js: {got} vs {want}")
if len(sys.argv) > 3:
    class Features(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):  # the layers up to the pooled output (Flatten's input)
            values = {}
            for l in layers:
                if l["class_name"] == "Flatten":
                    return torch.flatten(values[l["inbound_nodes"][0][0][0]], 1)
                ins = [values[i[0]] for i in l["inbound_nodes"][0]] if l["inbound_nodes"] else [x]
                values[l["name"]] = self.net.apply(l, ins)

    torch.jit.trace(Features(net), torch.zeros(1, 3, 224, 224)).save(sys.argv[3])
torch.onnx.export(net, torch.zeros(1, 3, 224, 224), out, input_names=["input"],
                  output_names=["probabilities"], opset_version=9,
                  dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}})
print(f"[models] MobileNetV2 of nsfwjs, 224x224 RGB in [0, 1]; agrees with TF.js: {got.round(5)}")
