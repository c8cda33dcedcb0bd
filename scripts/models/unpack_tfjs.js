// Unpacks a TF.js layers model that nsfwjs ships as browserified modules (model.min.js: the
// Keras topology and weights manifest; group1-shard1of1.min.js: the weights, base64) into
// model.json and weights.bin, for nsfwjs_to_onnx.py.
//   node unpack_tfjs.js MODEL_DIR OUT_DIR
const fs = require("fs");
const path = require("path");
const [dir, out] = process.argv.slice(2);
const model = require(path.resolve(dir, "model.min.js"));
const shard = require(path.resolve(dir, "group1-shard1of1.min.js"));
if (!model.modelTopology || !model.weightsManifest || typeof shard !== "string") {
  console.error(`unexpected layout in ${dir}`);
  process.exit(1);
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "model.json"), JSON.stringify(model));
fs.writeFileSync(path.join(out, "weights.bin"), Buffer.from(shard, "base64"));
