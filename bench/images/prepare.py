"""Makes the image benchmark's JPEG files from the real photos of data/images/photos (opencv-doc's,
scikit-learn's, darknet's; scripts/fetch_data.sh): N files of 640x480, each a random crop of a
random photo, JPEG quality 90. Seeded: the same files every time.

    /usr/bin/python3 prepare.py PHOTOS_DIR OUT_DIR N
"""
import os
import random
import sys

from PIL import Image

photos_dir, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(11)
photos = [Image.open(os.path.join(photos_dir, f)).convert("RGB")
          for f in sorted(os.listdir(photos_dir)) if f.lower().endswith((".jpg", ".png"))]
os.makedirs(out, exist_ok=True)
for i in range(n):
    p = photos[random.randrange(len(photos))]
    w = random.randint(min(p.width, 320), p.width)
    h = min(p.height, max(1, w * 3 // 4))
    x, y = random.randint(0, p.width - w), random.randint(0, p.height - h)
    p.crop((x, y, x + w, y + h)).resize((640, 480), Image.BILINEAR).save(
        os.path.join(out, f"{i:05d}.jpg"), quality=90)
