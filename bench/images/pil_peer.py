"""Pillow's decode + resize to 224x224 (python3-pil), one process: the image benchmark's
decoding peer. With "draft", JPEGs are decoded at a reduced DCT scale first (Image.draft), as
Ember's ImageFeaturizer does. Prints "pillow[_draft] images_per_s=...".

    /usr/bin/python3 pil_peer.py JPEG_DIR [draft]
"""
import os
import sys
import time

from PIL import Image

folder = sys.argv[1]
draft = len(sys.argv) > 2 and sys.argv[2] == "draft"
files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".jpg"))
start = time.perf_counter()
for f in files:
    img = Image.open(f)
    if draft:
        img.draft("RGB", (224, 224))
    img.convert("RGB").resize((224, 224), Image.BILINEAR).tobytes()
elapsed = time.perf_counter() - start
print(f"pillow{'_draft' if draft else ''} images_per_s={len(files) / elapsed:.2f}")
