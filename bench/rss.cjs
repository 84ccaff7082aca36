// Preloaded into the measured modelgit process: records its own peak resident set at exit
// (/usr/bin/time reports the largest of the process and its git children instead).
process.on('exit', () => {
  try {
    require('node:fs').appendFileSync(process.env.MODELGIT_BENCH_RSS, `${process.resourceUsage().maxRSS}\n`);
  } catch {
    /* not under the benchmark */
  }
});
