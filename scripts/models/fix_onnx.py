#!/usr/bin/env python3
"""Makes an ONNX graph importable by OpenCV 4.6's DNN module, without changing what it computes.

Two rewrites, the ones PaddleOCR's exported detectors need (see docs/dnn.md, "Known limits"):
  * static dimensions: every symbolic dimension of the inputs is set to a number, so shape
    inference inside OpenCV has no free variables (--shape NAME=1x3x640x640, repeatable);
    the outputs' symbolic dimensions are cleared (OpenCV computes them).
  * Clip with min/max as inputs (opset >= 11) becomes Clip with min/max attributes (the
    opset-6 form, the only one OpenCV 4.6 reads), when the bounds are constants.

Usage: fix_onnx.py IN.onnx OUT.onnx --shape x=1x3x640x640
Needs python3-onnx (scripts/setup.sh). Run once by scripts/fetch_models.sh, never at run time.
"""
import argparse
import sys

import onnx
from onnx import numpy_helper


def constant_values(graph):
    """name -> numpy value of every initializer and Constant node output."""
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    values[node.output[0]] = numpy_helper.to_array(attr.t)
    return values


def fix_clips(graph):
    values = constant_values(graph)
    fixed = 0
    for node in graph.node:
        if node.op_type != "Clip" or len(node.input) == 1:
            continue
        bounds = []
        for name in list(node.input[1:3]) + [""] * (3 - len(node.input)):
            if name == "":
                bounds.append(None)
            elif name in values:
                bounds.append(float(values[name].reshape(-1)[0]))
            else:
                sys.exit(f"fix_onnx: Clip node '{node.name}' takes a computed bound '{name}'; "
                         "only constant bounds can become attributes")
        del node.input[1:]
        if bounds[0] is not None:
            node.attribute.append(onnx.helper.make_attribute("min", bounds[0]))
        if bounds[1] is not None:
            node.attribute.append(onnx.helper.make_attribute("max", bounds[1]))
        fixed += 1
    return fixed


def set_shapes(graph, shapes):
    inputs = {i.name: i for i in graph.input}
    for name, dims in shapes.items():
        if name not in inputs:
            sys.exit(f"fix_onnx: no input '{name}'; inputs: {', '.join(inputs)}")
        tensor_dims = inputs[name].type.tensor_type.shape.dim
        if len(tensor_dims) != len(dims):
            sys.exit(f"fix_onnx: input '{name}' has {len(tensor_dims)} dimensions, "
                     f"--shape gives {len(dims)}")
        for d, v in zip(tensor_dims, dims):
            if d.HasField("dim_value") and d.dim_value != v:
                sys.exit(f"fix_onnx: input '{name}' has a fixed dimension {d.dim_value}, "
                         f"--shape gives {v}")
            d.Clear()
            d.dim_value = v
    for out in graph.output:
        for d in out.type.tensor_type.shape.dim:
            if d.HasField("dim_param"):
                d.Clear()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--shape", action="append", default=[],
                    help="NAME=D0xD1x... a static shape for an input")
    args = ap.parse_args()
    shapes = {}
    for s in args.shape:
        name, _, dims = s.partition("=")
        shapes[name] = [int(v) for v in dims.split("x")]
    model = onnx.load(args.src)
    set_shapes(model.graph, shapes)
    clips = fix_clips(model.graph)
    onnx.save(model, args.dst)
    print(f"fix_onnx: {args.dst}: {clips} Clip nodes rewritten, "
          f"{len(shapes)} input shapes fixed")


if __name__ == "__main__":
    main()
