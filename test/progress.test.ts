import { formatSeconds, terminalProgress } from '../lib/progress';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, s: { isTTY, write: (c: string) => chunks.push(c) } as unknown as NodeJS.WriteStream };
}

describe('terminalProgress', () => {
  it('draws done/total, percent, rate and time left on a terminal, and always the final state', () => {
    const { chunks, s } = stream(true);
    const progress = terminalProgress('indicators', s, 0);
    progress(50, 200);
    progress(200, 200);
    progress.finish();
    expect(chunks[0]).toMatch(/^\rindicators 50\/200 \(25%\) \d+(\.\d)?\/s/);
    expect(chunks[1]).toMatch(/^\rindicators 200\/200 \(100%\)/);
    expect(chunks[2]).toBe('\n');
  });

  it('throttles redraws but never skips the last one', () => {
    const { chunks, s } = stream(true);
    const progress = terminalProgress('x', s, 60_000);
    progress(1, 3);
    progress(2, 3);
    progress(3, 3);
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toContain('3/3');
  });

  it('prints nothing off a terminal', () => {
    const { chunks, s } = stream(false);
    const progress = terminalProgress('x', s, 0);
    progress(1, 2);
    progress.finish();
    expect(chunks).toEqual([]);
  });

  it.each([
    [5, '5s'],
    [65, '1m05s'],
    [3725, '1h02m'],
  ])('formats %d seconds as %s', (s, text) => expect(formatSeconds(s)).toBe(text));
});
