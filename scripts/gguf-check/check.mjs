// Loads a GGUF in llama.cpp (through node-llama-cpp), tokenizes a text and greedily continues given token ids.
// Usage: node check.mjs --model FILE.gguf [--text TEXT] [--ids 1,2,3 --n N]
// Prints one JSON object: {"text_ids": [...], "generated": [...]}. text_ids are llama.cpp's tokens for TEXT with
// special tokens recognised and BOS prepended when the model asks for it; generated are up to N greedy tokens after
// the ids (stopping after an end-of-generation token, which is included, as Herd's generate includes its stop token).
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
    args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
if (!args.model) {
    console.error("usage: node check.mjs --model FILE.gguf [--text TEXT] [--ids 1,2,3 --n N]");
    process.exit(2);
}
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: args.model});
const out = {};
if (args.text !== undefined) {
    let ids = model.tokenize(args.text, true);
    const bos = model.tokens.bos;
    if (model.tokens.shouldPrependBosToken && bos != null && ids[0] !== bos) {
        ids = [bos, ...ids];
    }
    out.text_ids = Array.from(ids);
}
if (args.ids !== undefined) {
    const ids = args.ids.split(",").map(Number);
    const n = Number(args.n ?? 16);
    const context = await model.createContext({contextSize: Math.max(256, ids.length + n + 8), sequences: 1});
    const sequence = context.getSequence();
    const generated = [];
    for await (const token of sequence.evaluate(ids, {temperature: 0, yieldEogToken: true})) {
        generated.push(token);
        if (generated.length >= n || model.isEogToken(token)) {
            break;
        }
    }
    out.generated = generated;
    await context.dispose();
}
await model.dispose();
console.log(JSON.stringify(out));
