// Types for the benchmark generator (plain .mjs so `npm run bench` needs no compile step).
export declare const GENERATOR_VERSION: number;
export declare const ALGORITHMS: [string, number][];
export declare const DATASETS: string[];
export declare function prng(seed: number): () => number;
export declare function planHistory(models: number, seed?: number): { at: number; seq: number; kind: 'register' | 'test' | 'tag'; id: string; algorithm?: string; dataset?: string; tag?: string }[];
export declare function historyCommits(opts: { models: number; seed?: number }): Generator<{ author: string; committer: string; message: string; files: [string, string][] }>;
export declare function generateInto(dir: string, opts: { models: number; seed?: number; engine?: 'pack' | 'fast-import' }): Promise<{ commits: number; head: string }>;
export declare function cachedRegistry(opts: { models: number; seed?: number; engine?: 'pack' | 'fast-import'; log?: (s: string) => void }): Promise<string>;
