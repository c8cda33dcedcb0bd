"""Makes the ONNX test models of the dnn tests with python3-torch, and what torch computes.

    /usr/bin/python3 make_models.py OUT_DIR

writes OUT_DIR/{mlp,cnn,two_io,tiny}.onnx, OUT_DIR/unsupported.onnx (a node OpenCV 4.6
cannot import, made with python3-onnx) and OUT_DIR/reference.json:
{"<model>": {"inputs": {name: rows}, "outputs": {name: rows}}}, rows as nested lists, so that
the C++ tests feed the same inputs to Ember's ONNXModel and compare with torch (1e-4).
Seeded: the same files every run.
"""
import json
import sys

import torch
from torch import nn

torch.manual_seed(7)
out = sys.argv[1]
ROWS = 7  # not a multiple of the tests' mini-batch sizes


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    """Conv, batch norm, pooling: a small image classifier over 3x16x16 inputs."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.body(x))


class TwoIo(nn.Module):
    def __init__(self):
        super().__init__()
        self.joint = nn.Linear(8, 4)
        self.side = nn.Linear(3, 3)

    def forward(self, a, b):
        return torch.relu(self.joint(torch.cat([a, b], dim=1))), torch.tanh(self.side(b)) * 2


def rows(t):
    return t.detach().double().tolist()


reference = {}


def export(name, model, inputs, input_names, output_names, extra=None):
    model.eval()
    with torch.no_grad():
        outs = model(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    torch.onnx.export(model, tuple(inputs), f"{out}/{name}.onnx", input_names=input_names,
                      output_names=output_names, opset_version=11,
                      dynamic_axes={n: {0: "batch"} for n in input_names + output_names})
    entry = {"inputs": {n: rows(t) for n, t in zip(input_names, inputs)},
             "outputs": {n: rows(t) for n, t in zip(output_names, outs)}}
    entry["outputs"].update(extra or {})
    reference[name] = entry


export("mlp", Mlp(), [torch.randn(ROWS, 10)], ["x"], ["y"])

cnn = Cnn()
for m in cnn.modules():  # batch norm with statistics that are not the identity
    if isinstance(m, nn.BatchNorm2d):
        m.running_mean.uniform_(-0.5, 0.5)
        m.running_var.uniform_(0.5, 2.0)
        m.weight.data.uniform_(0.5, 1.5)
images = torch.rand(ROWS, 3, 16, 16)
cnn.eval()
with torch.no_grad():
    features = cnn.body(images)
export("cnn", cnn, [images], ["image"], ["logits"], {"features": rows(features)})

export("two_io", TwoIo(), [torch.randn(ROWS, 5), torch.randn(ROWS, 3)], ["a", "b"],
       ["joint", "side"])

# The conformance suite's: a linear layer over the 2-slot "features" of its frames.
export("tiny", nn.Linear(2, 3), [torch.randn(ROWS, 2)], ["features"], ["scores"])

# A graph with a node OpenCV 4.6's importer has no layer for (Hardmax).
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

graph = helper.make_graph(
    [helper.make_node("Hardmax", ["x"], ["y"], name="the_hardmax", axis=1)], "unsupported",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)]),
          f"{out}/unsupported.onnx")

with open(f"{out}/reference.json", "w") as f:
    json.dump(reference, f)
