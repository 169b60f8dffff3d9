/** Preloaded (`node --require`) into a child the bench measures: prints its peak RSS on exit. */
process.on('exit', () => {
  process.stderr.write(`\npeak-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
