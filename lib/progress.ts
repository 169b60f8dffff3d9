/**
 * Progress for long runs on a terminal: done/total, rate and time left, redrawn in place on stderr
 * at most every `intervalMs`. Off a terminal it prints nothing: logs carry the summary instead.
 */
export function terminalProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 250,
): ((done: number, total: number) => void) & { finish(): void } {
  const started = Date.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const left = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    stream.write(
      `\r${label} ${done}/${total} (${pct}%) ${rate.toFixed(1)}/s` +
        (left !== undefined ? ` ~${formatSeconds(left)} left ` : ' '),
    );
    drawn = true;
  };
  const update = (done: number, total: number) => {
    if (!stream.isTTY) return;
    const now = Date.now();
    if (done < total && now - last < intervalMs) return;
    last = now;
    draw(done, total);
  };
  return Object.assign(update, {
    finish() {
      if (drawn) stream.write('\n');
    },
  });
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
