// The ingestion library alone, as `ftune ingest` calls it (GPT-2 token statistics, default options),
// without the CLI's other commands loaded: the bench's second row, for the ingest's own footprint.
// Usage: npx tsx tools/bench/dataset/ingest-only.ts FILE OUT
import { ingestFile } from '@ftune/dataset';
import { loadTokenizer } from '@ftune/tokenizer';

async function main(): Promise<void> {
  const [file, out] = process.argv.slice(2);
  const tokenizer = loadTokenizer('gpt2');
  const m = await ingestFile(file, {
    out,
    countTokens: (t) => tokenizer.encodeIds(t).length,
    tokenizerName: 'gpt2',
  });
  process.stdout.write(`${m.records.accepted} accepted, ${m.records.rejected} rejected\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exitCode = 1;
});
