"""The python3-torch peer of bench/images: JPEG files -> PIL decode -> resize 224x224 ->
tensor in [0, 1] -> MobileNetV2 up to its pooled 1280-d output (the same weights as Ember's
ONNX file, as TorchScript: scripts/fetch_models.sh), a torch DataLoader with WORKERS worker
processes decoding while the main process runs the net with THREADS torch threads.
Prints one line: "torch images_per_s=... workers=... threads=...".

    /usr/bin/python3 torch_peer.py JPEG_DIR MODEL.pt WORKERS THREADS BATCH
"""
import os
import sys
import time

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

folder, model_path, workers, threads, batch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".jpg"))


class Jpegs(Dataset):
    def __len__(self):
        return len(files)

    def __getitem__(self, i):
        img = Image.open(files[i]).convert("RGB").resize((224, 224), Image.BILINEAR)
        t = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8)
        return t.view(224, 224, 3).permute(2, 0, 1).float().div_(255)


torch.set_num_threads(threads)
model = torch.jit.load(model_path).eval()
loader = DataLoader(Jpegs(), batch_size=batch, num_workers=workers)
start = time.perf_counter()
n = 0
with torch.inference_mode():
    for x in loader:
        features = model(x)
        n += features.shape[0]
elapsed = time.perf_counter() - start
assert n == len(files) and features.shape[1] == 1280
print(f"torch images_per_s={n / elapsed:.2f} workers={workers} threads={threads}")
