// Writes .br (quality 11) and .gz (level 9) beside each .wasm/.js/.css file under a folder,
// so the server can send precompressed assets instead of compressing on every request.
// Usage: node scripts/precompress.mjs DIR
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    if (!/\.(wasm|js|css)$/.test(name)) continue;
    const data = readFileSync(path);
    writeFileSync(`${path}.br`, brotliCompressSync(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    }));
    writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
  }
}
walk(process.argv[2]);
