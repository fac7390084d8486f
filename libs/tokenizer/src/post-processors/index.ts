// Post-processors: run after the model (and truncation) on one sequence's tokens.
// ByteLevel only trims offsets (with trim_offsets; GPT2TokenizerFast sets it false, so nothing changes);
// TemplateProcessing adds special tokens around a single sequence (e.g. a BOS token). Pairs are not supported.

export interface ByteLevelProcessorConfig {
  type: 'ByteLevel';
  add_prefix_space?: boolean;
  trim_offsets?: boolean;
  use_regex?: boolean;
}

export type TemplatePiece =
  { SpecialToken: { id: string; type_id: number } } | { Sequence: { id: 'A' | 'B'; type_id: number } };

export interface TemplateProcessingConfig {
  type: 'TemplateProcessing';
  single: TemplatePiece[];
  pair?: TemplatePiece[];
  special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }>;
}

export type PostProcessorConfig = ByteLevelProcessorConfig | TemplateProcessingConfig;

/** Token ids with offsets and the byte-level strings needed to trim them. */
export interface TokenRun {
  ids: number[];
  offsets: Array<[number, number]>;
}

export interface PostProcessor {
  readonly config: PostProcessorConfig;
  /** How many tokens `process` adds to a single sequence. */
  readonly addedTokens: number;
  process(run: TokenRun, addSpecialTokens: boolean, tokenString: (id: number) => string): TokenRun;
}

const SPACE_CHAR = '\u0120'; // 'Ġ', the byte-level character of a space

function leadingSpaces(token: string): number {
  let n = 0;
  while (n < token.length && token[n] === SPACE_CHAR) n++;
  return n;
}

function trailingSpaces(token: string): number {
  let n = 0;
  while (n < token.length && token[token.length - 1 - n] === SPACE_CHAR) n++;
  return n;
}

/** tokenizers' byte_level process_offsets: offsets exclude the spaces a token starts or ends with. */
function trimOffsets(run: TokenRun, addPrefixSpace: boolean, tokenString: (id: number) => string): TokenRun {
  const offsets = run.offsets.map(([start, end], i): [number, number] => {
    const token = tokenString(run.ids[i]);
    let lead = leadingSpaces(token);
    const trail = trailingSpaces(token);
    if (lead > 0 && (i === 0 || start === 0) && addPrefixSpace && lead === 1) lead = 0;
    if (lead > 0) start = Math.min(start + lead, end);
    if (trail > 0 && end >= trail) end = Math.max(end - trail, start);
    return [start, end];
  });
  return { ids: run.ids, offsets };
}

export function postProcessorFromConfig(config: PostProcessorConfig): PostProcessor {
  switch (config.type) {
    case 'ByteLevel':
      return {
        config,
        addedTokens: 0,
        process: (run, _add, tokenString) =>
          (config.trim_offsets ?? true)
            ? trimOffsets(run, config.add_prefix_space ?? true, tokenString)
            : run,
      };
    case 'TemplateProcessing': {
      const before: number[] = [];
      const after: number[] = [];
      let seen = false;
      for (const piece of config.single) {
        if ('Sequence' in piece) {
          seen = true;
          continue;
        }
        const special = config.special_tokens[piece.SpecialToken.id];
        if (!special) throw new Error(`TemplateProcessing: unknown special token ${piece.SpecialToken.id}`);
        (seen ? after : before).push(...special.ids);
      }
      return {
        config,
        addedTokens: before.length + after.length,
        process: (run, add) => {
          if (!add) return run;
          const none = (): [number, number] => [0, 0];
          return {
            ids: [...before, ...run.ids, ...after],
            offsets: [...before.map(none), ...run.offsets, ...after.map(none)],
          };
        },
      };
    }
    default:
      throw new Error(`Unsupported post-processor: ${JSON.stringify(config)}`);
  }
}
